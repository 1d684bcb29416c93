package app

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// mirroredBefore is a version a plugin's history holds before the sync.
type mirroredBefore struct{ slug, version, signature, sha256 string }

func planFixture(listed []ListedPlugin, have []mirroredBefore, filters []domain.Filters, unsigned []int, maxFiles int) syncInput {
	const id = domain.SourceID("src")
	histories := map[string]*domain.PluginHistory{}
	for _, p := range listed {
		histories[p.Slug] = domain.NewPluginHistory(id, p.Slug)
	}
	for _, m := range have {
		hist := histories[m.slug]
		hist.Load([]domain.PluginEvent{domain.PluginMirrored{SourceID: id, Plugin: m.slug,
			Version: m.version, SHA256: m.sha256, PublisherSignature: m.signature, BlobKey: m.slug + "@" + m.version}})
	}
	signed := make([]bool, len(listed))
	for i := range signed {
		signed[i] = !slices.Contains(unsigned, i)
	}
	return syncInput{Source: id, Username: "jane", AssetDomain: "https://assets.example.com",
		NamingScheme: "{author}/{slug}/{version}.zip", Listed: listed, Histories: histories,
		Filters: filters, Signed: signed, MaxFiles: maxFiles}
}

func listedPlugin(slug, version string, tags ...string) ListedPlugin {
	return ListedPlugin{Slug: slug, Name: slug, Version: version, Tags: tags, Signature: "sig-" + version, SHA256: "sha-" + version}
}

// describePlan renders a plan so a table row can say what it expects.
func describePlan(plan syncPlan) (steps, downloads, deferred, touched []string) {
	kinds := map[stepKind]string{stepRefuse: "refuse", stepTampered: "tampered", stepUnsigned: "unsigned", stepRollback: "rollback"}
	for _, s := range plan.Steps {
		line := kinds[s.kind] + " " + s.plugin.Slug + "@" + s.plugin.Version
		if s.kind != stepRefuse { // refusal texts are the domain's validation messages
			line += ": " + s.reason
		}
		steps = append(steps, line)
	}
	for _, d := range plan.Downloads {
		downloads = append(downloads, d.plugin.Slug+"@"+d.plugin.Version+" "+d.url+" "+d.key)
	}
	for _, d := range plan.Deferred {
		deferred = append(deferred, d.plugin.Slug+"@"+d.plugin.Version)
	}
	for _, h := range plan.Touched {
		touched = append(touched, h.Plugin)
	}
	return steps, downloads, deferred, touched
}

// planWantsAll is a subscriber who wants everything.
var planWantsAll = []domain.Filters{{}}

// plannedDownload is how a planned download of slug@version reads in describe.
func plannedDownload(slug, version string) string {
	return fmt.Sprintf("%s@%s https://assets.example.com/jane/%s/%s.zip plugins/src/%s@%s.zip", slug, version, slug, version, slug, version)
}

// planCase is one row of TestPlanSync.
type planCase struct {
	name      string
	in        syncInput
	wanted    int
	already   int
	steps     []string
	downloads []string
	deferred  []string
	touched   []string
}

// planCases cover every branch of planSync.
var planCases = []planCase{
	{name: "new version is downloaded",
		in:     planFixture([]ListedPlugin{listedPlugin("hello", "1.0.0")}, nil, planWantsAll, nil, 0),
		wanted: 1, downloads: []string{plannedDownload("hello", "1.0.0")}, touched: []string{"hello"}},
	{name: "newer version than the mirrored latest is downloaded",
		in: planFixture([]ListedPlugin{listedPlugin("hello", "1.1.0")},
			[]mirroredBefore{{"hello", "1.0.0", "sig-1.0.0", "sha-1.0.0"}}, planWantsAll, nil, 0),
		wanted: 1, downloads: []string{plannedDownload("hello", "1.1.0")}, touched: []string{"hello"}},
	{name: "same version, same listing: nothing to do",
		in: planFixture([]ListedPlugin{listedPlugin("hello", "1.0.0")},
			[]mirroredBefore{{"hello", "1.0.0", "sig-1.0.0", "sha-1.0.0"}}, planWantsAll, nil, 0),
		wanted: 1, already: 1, touched: []string{"hello"}},
	{name: "same version, unverifiable signature: already mirrored, not judged again",
		in: planFixture([]ListedPlugin{listedPlugin("hello", "1.0.0")},
			[]mirroredBefore{{"hello", "1.0.0", "sig-1.0.0", "sha-1.0.0"}}, planWantsAll, []int{0}, 0),
		wanted: 1, already: 1, touched: []string{"hello"}},
	{name: "same version signed differently is tampering",
		in: planFixture([]ListedPlugin{listedPlugin("hello", "1.0.0")},
			[]mirroredBefore{{"hello", "1.0.0", "other-sig", "sha-1.0.0"}}, planWantsAll, nil, 0),
		wanted: 1, already: 1, touched: []string{"hello"},
		steps: []string{"tampered hello@1.0.0: the publisher now signs this version differently"}},
	{name: "same version with another sha256 is tampering",
		in: planFixture([]ListedPlugin{listedPlugin("hello", "1.0.0")},
			[]mirroredBefore{{"hello", "1.0.0", "sig-1.0.0", "sha-old"}}, planWantsAll, nil, 0),
		wanted: 1, already: 1, touched: []string{"hello"},
		steps: []string{"tampered hello@1.0.0: the publisher now lists another sha256 for this version (sha-1.0.0, mirrored sha-old)"}},
	{name: "a yanked version is never downloaded again",
		in: func() syncInput {
			in := planFixture([]ListedPlugin{listedPlugin("hello", "1.0.0")},
				[]mirroredBefore{{"hello", "1.0.0", "sig-1.0.0", "sha-1.0.0"}}, planWantsAll, nil, 0)
			in.Histories["hello"].Load([]domain.PluginEvent{domain.PluginYanked{SourceID: "src", Plugin: "hello", Version: "1.0.0", Reason: "malware"}})
			return in
		}(),
		wanted: 1, already: 1, touched: []string{"hello"}},
	{name: "older version is a rollback",
		in: planFixture([]ListedPlugin{listedPlugin("hello", "0.9.0")},
			[]mirroredBefore{{"hello", "1.0.0", "sig-1.0.0", "sha-1.0.0"}}, planWantsAll, nil, 0),
		wanted: 1, touched: []string{"hello"},
		steps: []string{"rollback hello@0.9.0: version 0.9.0 is below the mirrored 1.0.0 (rollback)"}},
	{name: "signature that does not verify is refused",
		in:     planFixture([]ListedPlugin{listedPlugin("hello", "1.0.0")}, nil, planWantsAll, []int{0}, 0),
		wanted: 1, touched: []string{"hello"},
		steps: []string{"unsigned hello@1.0.0: publisher signature does not verify against the source's key"}},
	{name: "unwanted by every filter: neither judged nor read",
		in: planFixture([]ListedPlugin{listedPlugin("hello", "1.0.0", "theme"), listedPlugin("world", "x", "tools")}, nil,
			[]domain.Filters{{Tags: []string{"theme"}}, {Slugs: []string{"other"}}}, nil, 0),
		wanted: 1, downloads: []string{plannedDownload("hello", "1.0.0")}, touched: []string{"hello"}},
	{name: "no filters: nothing wanted",
		in: planFixture([]ListedPlugin{listedPlugin("hello", "1.0.0")}, nil, nil, nil, 0)},
	{name: "malformed entry is refused whoever wants it",
		in: planFixture([]ListedPlugin{{Slug: "hello", Version: "1.0.0", Invalid: "entry has no signature"}}, nil,
			[]domain.Filters{{Slugs: []string{"other"}}}, nil, 0),
		steps: []string{"refuse hello@1.0.0"}},
	{name: "bad slug is refused whoever wants it",
		in:    planFixture([]ListedPlugin{listedPlugin("../etc", "1.0.0")}, nil, nil, nil, 0),
		steps: []string{"refuse ../etc@1.0.0"}},
	{name: "unparsable version of a wanted plugin is refused",
		in:     planFixture([]ListedPlugin{listedPlugin("hello", "not a version")}, nil, planWantsAll, nil, 0),
		wanted: 1, touched: []string{"hello"}, steps: []string{"refuse hello@not a version"}},
	{name: "version listed twice is downloaded once",
		in: planFixture([]ListedPlugin{listedPlugin("hello", "1.0.0"), listedPlugin("hello", "1.0.0")},
			nil, planWantsAll, nil, 0),
		wanted: 2, downloads: []string{plannedDownload("hello", "1.0.0")}, touched: []string{"hello"}},
	{name: "a duplicate whose signature does not verify is refused, the first is downloaded",
		in: planFixture([]ListedPlugin{listedPlugin("hello", "1.0.0"), listedPlugin("hello", "1.0.0")},
			nil, planWantsAll, []int{1}, 0),
		wanted: 2, downloads: []string{plannedDownload("hello", "1.0.0")}, touched: []string{"hello"},
		steps: []string{"unsigned hello@1.0.0: publisher signature does not verify against the source's key"}},
	{name: "asset URL the naming scheme cannot give is refused",
		in: func() syncInput {
			in := planFixture([]ListedPlugin{listedPlugin("hello", "1.0.0")}, nil, planWantsAll, nil, 0)
			in.AssetDomain = ""
			return in
		}(),
		wanted: 1, touched: []string{"hello"}, steps: []string{"refuse hello@1.0.0"}},
	{name: "beyond the file limit: deferred in listing order",
		in: planFixture([]ListedPlugin{listedPlugin("a", "1.0.0"), listedPlugin("b", "1.0.0"), listedPlugin("c", "1.0.0")},
			nil, planWantsAll, nil, 2),
		wanted: 3, downloads: []string{plannedDownload("a", "1.0.0"), plannedDownload("b", "1.0.0")}, deferred: []string{"c@1.0.0"},
		touched: []string{"a", "b", "c"}},
	{name: "several versions of one plugin: one history to prune, steps in listing order",
		in: planFixture([]ListedPlugin{listedPlugin("hello", "2.0.0"), listedPlugin("hello", "0.1.0"), listedPlugin("hello", "1.0.0")},
			[]mirroredBefore{{"hello", "1.0.0", "sig-1.0.0", "sha-1.0.0"}, {"hello", "0.5.0", "sig-0.5.0", "sha-0.5.0"}}, planWantsAll, nil, 0),
		wanted: 3, already: 1, downloads: []string{plannedDownload("hello", "2.0.0")}, touched: []string{"hello"},
		steps: []string{"rollback hello@0.1.0: version 0.1.0 is below the mirrored 1.0.0 (rollback)"}},
}

func TestPlanSync(t *testing.T) {
	t.Parallel()
	for _, tt := range planCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := map[string]int{}
			for slug, h := range tt.in.Histories {
				before[slug] = len(h.Changes())
			}
			plan := planSync(tt.in)
			steps, downloads, deferred, touched := describePlan(plan)
			if plan.Wanted != tt.wanted || plan.AlreadyMirrored != tt.already {
				t.Errorf("wanted, already mirrored = %d, %d; want %d, %d", plan.Wanted, plan.AlreadyMirrored, tt.wanted, tt.already)
			}
			for _, c := range []struct {
				what      string
				got, want []string
			}{{"steps", steps, tt.steps}, {"downloads", downloads, tt.downloads}, {"deferred", deferred, tt.deferred}, {"touched", touched, tt.touched}} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s:\n got %s\nwant %s", c.what, strings.Join(c.got, "\n     "), strings.Join(c.want, "\n     "))
				}
			}
			for slug, h := range tt.in.Histories {
				if len(h.Changes()) != before[slug] {
					t.Errorf("planning recorded on %s's history; it must only read", slug)
				}
			}
		})
	}
}
