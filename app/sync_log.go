package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"golang.org/x/mod/sumdb/note"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// A source whose upstream node announces a transparency log (issue #16,
// domain/source_log.go) is synced only through that log: once the listing
// is fetched, the upstream's current checkpoint must extend the one the
// last sync trusted (and every entry added since must be what its hashes
// say; the first checkpoint seen is trusted as it is); then each version
// about to be mirrored from the node must be, at the log_index it lists,
// the very statement its last hop signed. A log that fails the first
// check, or that the upstream stops announcing, stops the source's syncs
// until an admin accepts it; a version that fails the second is rejected,
// and one listed without a log_index waits for the next sync.

// UpstreamLogs reads and checks upstream nodes' transparency logs
// (internal/logwatch over the publisher client, in the wiring).
type UpstreamLogs interface {
	// CheckLog opens the checkpoint the node at nodeURL serves now with
	// verifiers (it must name origin), proves it extends trusted and
	// audits the entries added since. At first (trusted nil: never
	// checked, or an admin accepted the log after a fault) it audits
	// nothing: the checkpoint first seen is trusted as it is, like a key
	// at first use, and each version mirrored is held to its own entry
	// (CheckedLog.Entry); the syncs after audit from its size on. A log
	// that does not hold together is a *LogInconsistency; anything else
	// that goes wrong (the node unreachable, a bad signature) is an
	// ordinary error.
	CheckLog(ctx context.Context, nodeURL, origin string, verifiers note.Verifiers, trusted *tlogtiles.Checkpoint) (CheckedLog, error)
}

// CheckedLog is an upstream's checkpoint that passed CheckLog.
type CheckedLog struct {
	Signed     []byte // the signed note, as served
	Checkpoint tlogtiles.Checkpoint
	// Entry reads the entry at index, proven in the checked tree: an entry
	// the tree does not prove is a *LogInconsistency.
	Entry func(ctx context.Context, index int64) ([]byte, error)
}

// LogInconsistency is a log that does not hold together: Kind is one of
// domain's LogFault kinds; Index the size or entry it concerns; Offered
// the signed checkpoint that failed (nil when no checkpoint is at fault).
type LogInconsistency struct {
	Kind    string
	Index   int64
	Detail  string
	Offered []byte
}

func (e *LogInconsistency) Error() string {
	return fmt.Sprintf("transparency log inconsistency (%s at %d): %s", e.Kind, e.Index, e.Detail)
}

// featureTransparencyLog is what a node with a log announces.
const featureTransparencyLog = "transparency-log"

// checkUpstreamLog checks the upstream's log when it announces one: nil
// (and no error) when it does not and no checkpoint of it is trusted
// here, or the wiring has no log reader. An upstream that stops
// announcing the log a checkpoint is trusted of is a fault (withdrawn):
// else a node could escape every check by no longer naming its log. An
// inconsistency is recorded on the source and ends the sync; a failure to
// read the log is recorded as the sync's failure and ends it too: a
// version is not mirrored from a node whose log cannot be checked.
func (h SyncSource) checkUpstreamLog(ctx context.Context, id domain.SourceID, st domain.SourceState) (*CheckedLog, error) {
	if h.Logs == nil {
		return nil, nil
	}
	origin := st.Info.LogOrigin
	if origin == "" || !slices.Contains(st.Info.Features, featureTransparencyLog) {
		if st.UpstreamLog == "" {
			return nil, nil // never announced, or accepted as gone: synced as any upstream
		}
		return nil, h.recordLogFault(ctx, id, withdrawnLog(st.UpstreamLog))
	}
	checked, err := h.checkLog(ctx, origin, st)
	if err == nil {
		return &checked, nil
	}
	if bad := (*LogInconsistency)(nil); errors.As(err, &bad) {
		return nil, h.recordLogFault(ctx, id, bad)
	}
	return nil, h.recordSyncFailure(ctx, id, fmt.Errorf("the transparency log of %s: %w", id, err))
}

// recordLogFault records the log's inconsistency on the source and says
// why the sync ends.
func (h SyncSource) recordLogFault(ctx context.Context, id domain.SourceID, bad *LogInconsistency) error {
	reason := bad.Detail
	if bad.Kind == domain.LogFaultEntry {
		reason = fmt.Sprintf("entry %d: %s", bad.Index, bad.Detail)
	}
	err := fmt.Errorf("sync of %s: the upstream's transparency log failed a consistency check (%s: %s); nothing is mirrored: %w",
		id, bad.Kind, reason, domain.ErrConflict)
	if rerr := h.Sources.Update(ctx, id, func(s *domain.Source) error {
		return s.RecordLogInconsistency(bad.Kind, reason, string(bad.Offered), h.Now())
	}); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// withdrawnLog is the fault of an upstream whose /federation-info no
// longer announces the log whose checkpoint (signed) is trusted here.
func withdrawnLog(signed string) *LogInconsistency {
	detail := "the upstream no longer announces its transparency log"
	c, err := trustedCheckpoint(signed)
	if err == nil && c != nil {
		return &LogInconsistency{Kind: domain.LogFaultWithdrawn, Index: c.N,
			Detail: fmt.Sprintf("%s; the checkpoint trusted here is of log %q at %d entries", detail, c.Origin, c.N)}
	}
	return &LogInconsistency{Kind: domain.LogFaultWithdrawn, Detail: detail + "; a checkpoint of it is trusted here"}
}

// checkLog checks the upstream's log under origin from the checkpoint
// trusted here.
func (h SyncSource) checkLog(ctx context.Context, origin string, st domain.SourceState) (CheckedLog, error) {
	verifiers, err := logVerifiers(origin, st)
	if err != nil {
		return CheckedLog{}, err
	}
	trusted, err := trustedCheckpoint(st.UpstreamLog)
	if err != nil {
		return CheckedLog{}, err
	}
	if trusted != nil && trusted.Origin != origin {
		return CheckedLog{}, &LogInconsistency{Kind: domain.LogFaultOrigin, Index: trusted.N,
			Detail: fmt.Sprintf("the upstream announces log %q; the checkpoint trusted here is of log %q", origin, trusted.Origin)}
	}
	return h.Logs.CheckLog(ctx, st.InstanceURL, origin, verifiers, trusted)
}

// logVerifiers checks the upstream's checkpoints: signed by its proven
// key under the log's origin.
func logVerifiers(origin string, st domain.SourceState) (note.Verifiers, error) {
	if err := tlogtiles.ValidOrigin(origin); err != nil {
		return nil, err
	}
	vkey, err := note.NewEd25519VerifierKey(origin, st.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("the source's key as a log verifier: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("the source's key as a log verifier: %w", err)
	}
	return note.VerifierList(v), nil
}

// trustedCheckpoint reads the checkpoint the last sync kept (nil when
// none). Its signature was checked when it was kept, and the key that
// made it may have been rotated since: only its body is read now.
func trustedCheckpoint(signed string) (*tlogtiles.Checkpoint, error) {
	if signed == "" {
		return nil, nil
	}
	c, err := tlogtiles.ParseSignedCheckpoint([]byte(signed))
	if err != nil {
		return nil, fmt.Errorf("the trusted log checkpoint: %w", err)
	}
	return &c, nil
}

// checkLogged holds each planned download from a node to the upstream's
// log: the entry at the version's log_index must be the last hop's
// statement, byte for byte. A version that fails is rejected (recorded on
// its plugin, asked again by the next sync). The node logs every v2
// statement it signs, so a version it lists without a log_index is one its
// log has not caught up with yet: like one whose entry cannot be read now,
// or one beyond this sync's lookups (maxLogLookups), it is answered and
// left for the next sync, unrecorded.
func (h SyncSource) checkLogged(ctx context.Context, log *CheckedLog, plan *syncPlan, rec *syncRecording) {
	if log == nil {
		return
	}
	kept := plan.Downloads[:0:0]
	lookups, limit := 0, maxLogLookups(h.MaxFiles)
	for _, d := range plan.Downloads {
		p := d.plugin
		if !fromNode(p) {
			kept = append(kept, d)
			continue
		}
		waiting := func(why string) {
			rec.incomplete = true
			rec.answer(p, "waiting for the upstream's transparency log: "+why+"; the next sync asks again")
		}
		if p.LogIndex == nil {
			waiting("the upstream lists this version without its log_index (its log has not caught up)")
			continue
		}
		if lookups == limit {
			waiting(fmt.Sprintf("this sync has looked up %d versions in the log, its most", limit))
			continue
		}
		lookups++
		problem, err := h.logProblem(ctx, log, p)
		switch {
		case problem != "":
			rec.reject(d.history, p, "not in the upstream's transparency log: "+problem)
		case err != nil:
			waiting("it could not be read: " + err.Error())
		default:
			kept = append(kept, d)
		}
	}
	plan.Downloads = kept
}

// defaultLogLookups bounds a sync's log lookups when its files are not
// bounded (PFN_SYNC_MAX_FILES's default).
const defaultLogLookups = 200

// maxLogLookups is how many versions a sync looks up in the upstream's
// log: as many as it may download (maxFiles, 0 = no limit), so a listing
// cannot make it read entries without end.
func maxLogLookups(maxFiles int) int {
	if maxFiles > 0 {
		return maxFiles
	}
	return defaultLogLookups
}

// logProblem says why a node's version is not at its log_index ("" when
// it is); err is a log that could not be read.
func (h SyncSource) logProblem(ctx context.Context, log *CheckedLog, p ListedPlugin) (string, error) {
	idx, size := *p.LogIndex, log.Checkpoint.N
	if idx < 0 || idx >= size {
		return fmt.Sprintf("log_index %d is outside its checkpoint's %d entries", idx, size), nil
	}
	want, err := h.Signer.StatementBytesV2(hopStatement(p, len(p.Provenance)-1))
	if err != nil {
		return "the last hop's statement: " + err.Error(), nil
	}
	got, err := log.Entry(ctx, idx)
	if bad := (*LogInconsistency)(nil); errors.As(err, &bad) {
		return fmt.Sprintf("entry %d is not proven in its tree: %s", idx, bad.Detail), nil
	}
	if err != nil {
		return "", err
	}
	if !bytes.Equal(got, want) {
		return fmt.Sprintf("entry %d is another statement than the one its last hop signed", idx), nil
	}
	return "", nil
}
