package app

import (
	"net/url"
	"slices"

	"github.com/pfn-network/pfn/domain"
)

// syncInput is everything a sync decides from, read before anything is
// downloaded: the listing, the mirror's histories of the wanted plugins,
// the subscribers' filters, which publisher signatures verify, and the
// per-sync file limit.
type syncInput struct {
	Source       domain.SourceID
	Username     string
	AssetDomain  string
	NamingScheme string
	Listed       []ListedPlugin
	Histories    map[string]*domain.PluginHistory // by slug; holds every wanted, usable slug
	Filters      []domain.Filters
	Signed       []bool // per listed entry: its publisher signature verifies
	Resigned     []bool // per listed entry: re-signed after a key rotation (resignedVersions); nil: none
	MaxFiles     int    // 0 = no limit
	Attestation  domain.AttestationPolicy
	// Chain says, per listed entry, why its chain of nodes does not hold
	// ("" when it does, or for a publisher's entry): sync_chain.go.
	Chain []string
}

// stepKind is what the plan does with a listed entry that is not downloaded.
type stepKind int

const (
	stepRefuse     stepKind = iota // refused before any download; recorded on the source
	stepTampered                   // a mirrored version listed differently; the first copy stays
	stepUnsigned                   // the publisher signature does not verify
	stepRollback                   // a version below the mirrored latest
	stepUnattested                 // no signature_v2 where one is due (sync_attest.go)
)

// planStep is one decision about a listed entry, in listing order so the
// answer lists refusals as the publisher lists the entries.
type planStep struct {
	kind    stepKind
	plugin  ListedPlugin
	history *domain.PluginHistory // nil for stepRefuse
	reason  string
}

// syncPlan is what a sync will do. Planning records nothing and reads
// nothing but its input, so every branch is testable without I/O; the
// executor (SyncSource.run) records the steps and downloads.
type syncPlan struct {
	Wanted          int
	AlreadyMirrored int
	Steps           []planStep
	Downloads       []*download             // started by this sync
	Deferred        []*download             // beyond MaxFiles: left for the next sync
	Touched         []*domain.PluginHistory // histories of wanted plugins, pruned after the sync
	Held            []*heldVersion          // kept versions listed as mirrored: asked about after the downloads
}

// planSync decides, entry by entry, what a listing means for the mirror.
// Bad slugs and malformed entries are refused whoever wants them (no filter
// can be applied to them); an entry with a usable slug is judged (its
// version, its asset URL) only when a subscriber wants it.
func planSync(in syncInput) syncPlan {
	var plan syncPlan
	var todo []*download
	planned := map[[2]string]bool{} // (slug, version) already queued in this sync
	for i, p := range in.Listed {
		if reason := unusable(p); reason != "" {
			plan.Steps = append(plan.Steps, planStep{kind: stepRefuse, plugin: p, reason: reason})
			continue
		}
		if !wanted(in.Filters, p) {
			continue
		}
		plan.Wanted++
		hist := in.Histories[p.Slug]
		if !slices.Contains(plan.Touched, hist) { // a publisher may list a slug twice
			plan.Touched = append(plan.Touched, hist)
		}
		if i < len(in.Chain) && in.Chain[i] != "" {
			if _, known := hist.Mirrored(p.Version); !known {
				// A chain that does not hold (a cycle included) is refused
				// before any download, and recorded on the plugin.
				plan.Steps = append(plan.Steps, planStep{kind: stepUnsigned, plugin: p, history: hist, reason: in.Chain[i]})
				continue
			}
		}
		if p.Yanked != nil {
			if _, known := hist.Mirrored(p.Version); !known {
				continue // yanked upstream: not fetched (the upstream serves no file)
			}
		}
		step, known := judge(hist, p, in.Signed[i], i < len(in.Resigned) && in.Resigned[i])
		if step == nil && !known {
			step = in.unattested(p, hist)
		}
		if step != nil {
			plan.Steps = append(plan.Steps, *step)
		}
		if known {
			plan.AlreadyMirrored++
			if step == nil && p.Yanked == nil { // a yanked version's file is not served upstream
				plan.Held = in.held(plan.Held, p, hist)
			}
			continue
		}
		if step != nil || planned[[2]string{p.Slug, p.Version}] {
			continue // refused, or listed twice
		}
		planned[[2]string{p.Slug, p.Version}] = true
		d, err := in.download(p, hist)
		if err != nil {
			plan.Steps = append(plan.Steps, planStep{kind: stepRefuse, plugin: p, reason: err.Error()})
			continue
		}
		todo = append(todo, d)
	}
	plan.Downloads, plan.Deferred = splitByFiles(todo, in.MaxFiles)
	return plan
}

// judge says what a wanted entry with a usable slug is before any
// download: a step when it is refused or contradicts the history, known
// when the version is mirrored already; neither means "download it".
// A version re-signed after a key rotation is judged on its sha256 alone.
func judge(hist *domain.PluginHistory, p ListedPlugin, signed, resigned bool) (step *planStep, known bool) {
	if _, err := domain.ParseVersion(p.Version); err != nil {
		return &planStep{kind: stepRefuse, plugin: p, reason: err.Error()}, false
	}
	listing := domain.Listing{Version: p.Version, Signature: p.Signature, SHA256: p.SHA256}
	if v, known := hist.Mirrored(p.Version); known {
		if resigned {
			listing.Signature = v.Signature
		}
		if detail := hist.Tampering(listing); detail != "" {
			return &planStep{kind: stepTampered, plugin: p, history: hist, reason: detail}, true
		}
		return nil, true
	}
	if !signed {
		return &planStep{kind: stepUnsigned, plugin: p, history: hist,
			reason: "publisher signature does not verify against the source's key"}, false
	}
	// Both versions parse here, so this is the comparison Consider makes.
	if hist.Latest() != "" && domain.CompareVersions(p.Version, hist.Latest()) < 0 {
		return &planStep{kind: stepRollback, plugin: p, history: hist,
			reason: "version " + p.Version + " is below the mirrored " + hist.Latest() + " (rollback)"}, false
	}
	return nil, false
}

// download names where a planned version comes from and where it goes.
func (in syncInput) download(p ListedPlugin, hist *domain.PluginHistory) (*download, error) {
	assetURL, err := domain.AssetURL(in.AssetDomain, in.NamingScheme, in.Username, p.Slug, p.Version)
	if err != nil {
		return nil, err
	}
	// One directory per source, not per plugin: creating fifty
	// directories (and flushing them) cost a first sync more than its
	// event bookkeeping. Slugs hold no '@', so the key stays unique.
	return &download{plugin: p, history: hist, url: assetURL,
		key: "plugins/" + url.PathEscape(string(in.Source)) + "/" + p.Slug + "@" + url.PathEscape(p.Version) + ".zip"}, nil
}

// wantedSlugs are the slugs whose histories the plan reads.
func wantedSlugs(listed []ListedPlugin, filters []domain.Filters) []string {
	var slugs []string
	for _, p := range listed {
		if unusable(p) == "" && wanted(filters, p) {
			slugs = append(slugs, p.Slug)
		}
	}
	return slugs
}
