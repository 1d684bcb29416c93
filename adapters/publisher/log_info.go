package publisher

import (
	"slices"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// LogInfo is what a PFN node announces of its transparency log (issue #16)
// in /federation-info: "log": {"origin", "verifier_key", "checkpoint"}.
type LogInfo struct {
	Origin      string // the log's origin, the name its checkpoints are signed under
	VerifierKey string // a sumdb/note verifier key; a downstream derives its own from the node's proven key
	Checkpoint  string // the URL of its current checkpoint
}

// FeatureTransparencyLog is the feature a node with a log announces.
const FeatureTransparencyLog = "transparency-log"

// maxLogMember caps the members of "log" other than the origin (which
// tlogtiles.ValidOrigin caps at tlogtiles.MaxOrigin): a verifier key is
// under 200 bytes, the checkpoint's URL an instance URL and a path.
const maxLogMember = 2048

// parseLogInfo reads the "log" member of a /federation-info object: nil
// unless the node announces the "transparency-log" feature and a log. A
// node that announces the feature must describe the log well: a missing
// or invalid origin is a problem, so a downstream never mistakes a node
// whose log it cannot read for one without a log.
func parseLogInfo(obj jsonObject, features []string, problems *problemList) *LogInfo {
	if !slices.Contains(features, FeatureTransparencyLog) {
		return nil
	}
	log, ok, err := obj.object("log")
	switch {
	case err != nil:
		problems.add(err)
		return nil
	case !ok:
		problems.addf(`the "transparency-log" feature comes without "log"`)
		return nil
	}
	l := &LogInfo{
		Origin:      problems.required(log, "origin", "log"),
		VerifierKey: problems.str(log, "verifier_key"),
		Checkpoint:  problems.str(log, "checkpoint"),
	}
	for _, m := range []struct{ key, value string }{{"verifier_key", l.VerifierKey}, {"checkpoint", l.Checkpoint}} {
		if len(m.value) > maxLogMember {
			problems.addf("%q in %q is %d bytes, the cap is %d", m.key, "log", len(m.value), maxLogMember)
			return nil
		}
	}
	if l.Origin != "" {
		if err := tlogtiles.ValidOrigin(l.Origin); err != nil {
			problems.add(err)
			return nil
		}
	}
	return l
}

// logIndexMember returns an entry's optional "log_index": a whole number
// from 0, nil when absent or null.
func logIndexMember(obj jsonObject) (*int64, error) {
	if obj.member("log_index") == nil {
		return nil, nil
	}
	n, err := obj.count("log_index")
	if err != nil {
		return nil, err
	}
	return &n, nil
}
