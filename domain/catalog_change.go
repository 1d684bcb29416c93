package domain

import (
	"fmt"
	"strconv"
	"time"
)

// ChangeKind is what a catalogue change did (the change feed's "kind"). A
// struct, so that no other kind can be made up outside this package.
type ChangeKind struct{ name string }

var (
	ChangeVersionMirrored  = ChangeKind{"version.mirrored"}
	ChangeVersionUpdated   = ChangeKind{"version.updated"}
	ChangeVersionYanked    = ChangeKind{"version.yanked"}
	ChangeVersionUnyanked  = ChangeKind{"version.unyanked"}
	ChangeVersionPruned    = ChangeKind{"version.pruned"}
	ChangeSourceSuspended  = ChangeKind{"source.suspended"}
	ChangeSourceQuarantine = ChangeKind{"source.quarantined"}
	ChangeSourceResumed    = ChangeKind{"source.resumed"}
	ChangeSourceRemoved    = ChangeKind{"source.removed"}
)

var changeKinds = []ChangeKind{ChangeVersionMirrored, ChangeVersionUpdated, ChangeVersionYanked, ChangeVersionUnyanked,
	ChangeVersionPruned, ChangeSourceSuspended, ChangeSourceQuarantine, ChangeSourceResumed, ChangeSourceRemoved}

func (k ChangeKind) String() string { return k.name }

// ParseChangeKind reads a kind as stored; an unknown one is an error.
func ParseChangeKind(s string) (ChangeKind, error) {
	for _, k := range changeKinds {
		if k.name == s {
			return k, nil
		}
	}
	return ChangeKind{}, fmt.Errorf("change kind %q: %w", truncate(s, 40), ErrInvalidInput)
}

// CatalogChange is one change to the catalogue as the change feed tells it:
// a version's (Plugin and Version set) or a whole source's (both "").
// SHA256 and Size name the version's bytes; for a version change other than
// a mirror they are filled in from the version's mirror by the read model.
type CatalogChange struct {
	Kind    ChangeKind
	Source  SourceID
	Plugin  string
	Version string
	SHA256  string
	Size    int64
	Reason  string
	At      time.Time
}

// SourceChange is the catalogue change a source's event makes (ok false:
// none; most source events are bookkeeping no reader of the catalogue
// needs).
func SourceChange(id SourceID, e SourceEvent) (CatalogChange, bool) {
	c := CatalogChange{Source: id, At: e.OccurredAt()}
	switch e := e.(type) {
	case SourceSuspended:
		c.Kind, c.Reason = ChangeSourceSuspended, e.Reason
		if e.Quarantine {
			c.Kind = ChangeSourceQuarantine
		}
	case SourceResumed:
		c.Kind, c.Reason = ChangeSourceResumed, e.Reason
	case SourceRemoved:
		c.Kind, c.Reason = ChangeSourceRemoved, e.Reason
	case SourceUpstreamStatusChanged:
		c.Kind, c.Reason = upstreamChange(e)
	default:
		return CatalogChange{}, false
	}
	return c, true
}

// UpstreamReasonPrefix starts the reason of a change the upstream node
// made (SourceUpstreamStatusChanged): the feed's shape stays SPEC15's, and
// a reader still tells the upstream's withholding from this node's own.
const UpstreamReasonPrefix = "upstream: "

// upstreamChange maps the upstream node's status of a source to the change
// readers see here: it hides the source's plugins (and downloads answer 451
// or 410) exactly as this node's own quarantine or removal does. Active
// again is a resumption, though this node may still withhold the source
// itself (an earlier change without the prefix says so).
func upstreamChange(e SourceUpstreamStatusChanged) (ChangeKind, string) {
	reason := UpstreamReasonPrefix + e.Reason
	switch e.Status {
	case UpstreamQuarantined:
		return ChangeSourceQuarantine, reason
	case UpstreamRemoved:
		return ChangeSourceRemoved, reason
	}
	return ChangeSourceResumed, UpstreamReasonPrefix + "serves the source again"
}

// PluginChange is the catalogue change a plugin history's event makes (ok
// false: none; refusals and stored-copy verdicts change no listing).
func PluginChange(e PluginEvent) (CatalogChange, bool) {
	switch e := e.(type) {
	case PluginMirrored:
		return CatalogChange{Kind: ChangeVersionMirrored, Source: e.SourceID, Plugin: e.Plugin, Version: e.Version,
			SHA256: e.SHA256, Size: e.Size, At: e.At}, true
	case PluginVersionUpdated:
		return CatalogChange{Kind: ChangeVersionUpdated, Source: e.SourceID, Plugin: e.Plugin, Version: e.To, At: e.At}, true
	case PluginYanked:
		return CatalogChange{Kind: ChangeVersionYanked, Source: e.SourceID, Plugin: e.Plugin, Version: e.Version,
			Reason: e.Reason, At: e.At}, true
	case PluginUnyanked:
		return CatalogChange{Kind: ChangeVersionUnyanked, Source: e.SourceID, Plugin: e.Plugin, Version: e.Version,
			Reason: e.Reason, At: e.At}, true
	case PluginPruned:
		return CatalogChange{Kind: ChangeVersionPruned, Source: e.SourceID, Plugin: e.Plugin, Version: e.Version,
			Reason: e.Reason, At: e.At}, true
	}
	return CatalogChange{}, false
}

// maxCursorDigits: the largest int64 has 19 digits.
const maxCursorDigits = 19

// ParseChangeCursor reads a change feed cursor: the decimal number of the
// last change a reader has, "0" before the first. Only digits: a sign,
// spaces or an exponent mean the client did not take it from the feed.
func ParseChangeCursor(field, s string) (int64, error) {
	bad := func() error {
		return InField(field, fmt.Errorf("%s %q is not a change feed cursor (a whole number from 0, as the feed's \"next\" or \"cursor\"): %w",
			field, truncate(s, 40), ErrInvalidInput))
	}
	if s == "" || len(s) > maxCursorDigits {
		return 0, bad()
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, bad()
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, bad()
	}
	return n, nil
}
