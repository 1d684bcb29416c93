package domain

import (
	"fmt"
	"strings"
	"time"
)

// Yank events: an admin pulls a mirrored version from service, or puts it back.
const (
	EventPluginYanked   = "plugin.yanked"
	EventPluginUnyanked = "plugin.unyanked"
)

func (PluginYanked) EventType() string   { return EventPluginYanked }
func (PluginUnyanked) EventType() string { return EventPluginUnyanked }

// PluginYanked: an admin pulled a mirrored version. It stays known (a
// later sync does not mirror it again) and reads as gone, with the reason.
type PluginYanked struct {
	SourceID SourceID  `json:"source_id"`
	Plugin   string    `json:"plugin"`
	Version  string    `json:"version"`
	Reason   string    `json:"reason"`
	Actor    string    `json:"actor"`
	At       time.Time `json:"at"`
}

// PluginUnyanked: an admin put a yanked version back in service.
type PluginUnyanked struct {
	SourceID SourceID  `json:"source_id"`
	Plugin   string    `json:"plugin"`
	Version  string    `json:"version"`
	Reason   string    `json:"reason"`
	Actor    string    `json:"actor"`
	At       time.Time `json:"at"`
}

// Yank pulls a mirrored version from service. It refuses an unknown
// version and an empty reason (the reason is what a download answers);
// yanking a yanked version records nothing (recorded false).
func (h *PluginHistory) Yank(version, reason, actor string, at time.Time) (recorded bool, err error) {
	v, err := h.yankable(version, reason)
	if err != nil || v.Yanked {
		return false, err
	}
	h.record(PluginYanked{SourceID: h.Source, Plugin: h.Plugin, Version: version, Reason: strings.TrimSpace(reason), Actor: actor, At: at})
	return true, nil
}

// Unyank puts a yanked version back; unyanking a version that is not
// yanked records nothing (recorded false).
func (h *PluginHistory) Unyank(version, reason, actor string, at time.Time) (recorded bool, err error) {
	v, err := h.yankable(version, reason)
	if err != nil || !v.Yanked {
		return false, err
	}
	h.record(PluginUnyanked{SourceID: h.Source, Plugin: h.Plugin, Version: version, Reason: strings.TrimSpace(reason), Actor: actor, At: at})
	return true, nil
}

func (h *PluginHistory) yankable(version, reason string) (MirroredVersion, error) {
	if strings.TrimSpace(reason) == "" {
		return MirroredVersion{}, InField("reason", fmt.Errorf("a reason is required: %w", ErrInvalidInput))
	}
	v, ok := h.versions[version]
	if !ok {
		return MirroredVersion{}, fmt.Errorf("%s/%s version %q was never mirrored: %w", h.Source, h.Plugin, version, ErrNotFound)
	}
	return v, nil
}

// LatestServed is the newest mirrored version that is not yanked ("" when
// there is none): what "latest" means to a consumer. Latest stays the
// newest mirrored, yanked or not, because a publisher listing below it is
// still a rollback.
func (h *PluginHistory) LatestServed() string {
	best := ""
	for v, mv := range h.versions {
		if !mv.Yanked && (best == "" || versionLess(best, v)) {
			best = v
		}
	}
	return best
}

func (h *PluginHistory) applyYank(version, reason, actor string, yanked bool) {
	if v, ok := h.versions[version]; ok {
		v.Yanked, v.YankReason, v.YankedBy = yanked, reason, actor
		if !yanked {
			v.YankReason = ""
		}
		h.versions[version] = v
	}
}

// UpstreamActor is the actor of a yank that follows an upstream node's:
// it names the node, so that only that node's marker going away unyanks.
func UpstreamActor(instanceURL string) string { return "upstream " + instanceURL }

// FollowUpstreamYank makes a mirrored version's yank follow the upstream
// node's marker (SPEC15 §2): yanked there and not here, it is yanked with
// the upstream's reason; no longer yanked there, a yank that followed it
// (actor) is lifted. An admin's own yank is left alone. It says whether it
// recorded anything.
func (h *PluginHistory) FollowUpstreamYank(version string, yanked bool, reason, actor string, at time.Time) bool {
	v, ok := h.versions[version]
	switch {
	case !ok || v.Pruned:
		return false
	case yanked && !v.Yanked:
		if strings.TrimSpace(reason) == "" {
			reason = "yanked upstream"
		}
		h.record(PluginYanked{SourceID: h.Source, Plugin: h.Plugin, Version: version, Reason: strings.TrimSpace(reason), Actor: actor, At: at})
		return true
	case !yanked && v.Yanked && v.YankedBy == actor:
		h.record(PluginUnyanked{SourceID: h.Source, Plugin: h.Plugin, Version: version, Reason: "the upstream node no longer yanks it", Actor: actor, At: at})
		return true
	}
	return false
}
