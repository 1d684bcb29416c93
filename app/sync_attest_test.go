package app_test

import (
	"context"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// publishV2 serves content as slug@version and lists it as a v2 publisher
// does, signed over the bytes given (signed), which a test may make other
// than the bytes served.
func (w *mirrorWorld) publishV2(t *testing.T, slug, version, served, signed string) app.ListedPlugin {
	t.Helper()
	p := app.SignListingV2(w.key, app.ListedPlugin{Slug: slug, Name: slug, Version: version, Description: "about <" + slug + ">",
		Tags: []string{"tools"}}, []byte(signed))
	w.catalog.Serve(w.url(t, slug, version), []byte(served))
	w.list(p)
	return p
}

// announceV2 makes the source's last /federation-info list plugin-signature-v2.
func (w *mirrorWorld) announceV2(t *testing.T) {
	t.Helper()
	info := mirrorInfo
	info.Features = []string{domain.FeaturePluginSignatureV2}
	if err := w.sources.Update(context.Background(), w.id, func(s *domain.Source) error { return s.RefreshInfo(info, now()) }); err != nil {
		t.Fatal(err)
	}
}

// TestSyncAttestsBytes: who vouches for each mirrored file's bytes, and
// what a sync refuses for want of a publisher's signature_v2 over them.
func TestSyncAttestsBytes(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		require   bool // PFN_REQUIRE_ATTESTED_BYTES
		setup     func(t *testing.T, w *mirrorWorld)
		attested  map[string]domain.BytesAttester // mirrored slug → who vouches
		rejected  []string                        // "slug@version: reason" prefixes
		downloads int
	}{
		{name: "v2 over the served bytes is attested by the publisher, v1 by the node",
			setup: func(t *testing.T, w *mirrorWorld) {
				w.publishV2(t, "alpha", "1.0.0", "alpha's bytes", "alpha's bytes")
				w.publish(t, "bravo", "1.0.0", "bravo's bytes")
			},
			attested:  map[string]domain.BytesAttester{"alpha": domain.AttestedByPublisher, "bravo": domain.AttestedByNode},
			downloads: 2},
		{name: "an asset host serving other bytes than the publisher signed is refused",
			setup: func(t *testing.T, w *mirrorWorld) {
				w.publishV2(t, "alpha", "1.0.0", "the asset host's bytes", "alpha's bytes")
			},
			rejected:  []string{"alpha@1.0.0: the asset host serves other bytes than the publisher signed (signature_v2): downloaded sha256 " + sha("the asset host's bytes")},
			downloads: 1},
		{name: "a signature_v2 by another key is refused after the download",
			setup: func(t *testing.T, w *mirrorWorld) {
				p := w.publishV2(t, "alpha", "1.0.0", "alpha's bytes", "alpha's bytes")
				_, other := newKey(t)
				p.SignatureV2 = app.SignListingV2(other, p, []byte("alpha's bytes")).SignatureV2
				w.list(p)
			},
			rejected:  []string{"alpha@1.0.0: signature_v2 of plugin alpha 1.0.0: signature does not verify: it does not vouch for the downloaded bytes"},
			downloads: 1},
		{name: "a publisher announcing v2 but leaving it out of an entry is refused before the download",
			setup: func(t *testing.T, w *mirrorWorld) {
				w.announceV2(t)
				w.publish(t, "alpha", "1.0.0", "alpha's bytes")
				w.publishV2(t, "bravo", "1.0.0", "bravo's bytes", "bravo's bytes")
			},
			attested:  map[string]domain.BytesAttester{"bravo": domain.AttestedByPublisher},
			rejected:  []string{"alpha@1.0.0: the publisher announces plugin-signature-v2 but lists no signature_v2 for this version"},
			downloads: 1},
		{name: "PFN_REQUIRE_ATTESTED_BYTES refuses a v1-only version and takes a v2 one",
			require: true,
			setup: func(t *testing.T, w *mirrorWorld) {
				w.publish(t, "alpha", "1.0.0", "alpha's bytes")
				w.publishV2(t, "bravo", "1.0.0", "bravo's bytes", "bravo's bytes")
			},
			attested:  map[string]domain.BytesAttester{"bravo": domain.AttestedByPublisher},
			rejected:  []string{"alpha@1.0.0: no signature_v2: the publisher does not vouch for this version's bytes, and this node mirrors only publisher-attested bytes (PFN_REQUIRE_ATTESTED_BYTES)"},
			downloads: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			w := subscribedWorld(t)
			w.sync.RequireAttested = c.require
			c.setup(t, w)
			res := w.run(t)
			wantPrefixes(t, "rejections", rejections(res.Rejected), c.rejected)
			if got := len(w.catalog.Downloads()); got != c.downloads {
				t.Errorf("%d downloads, want %d", got, c.downloads)
			}
			got := map[string]domain.BytesAttester{}
			for slug, events := range w.allPluginEvents() {
				for _, e := range w.mirror.Events(w.id, slug) {
					if m, ok := e.(domain.PluginMirrored); ok {
						got[slug] = m.BytesAttestedBy
						if (m.PublisherSignatureV2 != "") != (m.BytesAttestedBy == domain.AttestedByPublisher) {
							t.Errorf("%s: signature_v2 %q but attested by %v", slug, m.PublisherSignatureV2, m.BytesAttestedBy)
						}
					}
				}
				if _, ok := c.attested[slug]; !ok && len(events) != 1 {
					t.Errorf("%s: events %v, want the one rejection", slug, events)
				}
			}
			if len(got) != len(c.attested) {
				t.Errorf("mirrored %v, want %v", got, c.attested)
			}
			for slug, want := range c.attested {
				if got[slug] != want {
					t.Errorf("%s attested by %v, want %v", slug, got[slug], want)
				}
			}
			w.kept(t) // a refused file is not left in the blob store
		})
	}
}
