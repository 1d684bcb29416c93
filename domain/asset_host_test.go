package domain_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

func TestAssetHostRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, instance, asset string
		allowed               []string
		ok                    bool
	}{
		{"the seed: a sibling host of one registrable domain", "https://plugins.example.com", "https://assets.example.com", nil, true},
		{"the instance's own host", "https://plugins.example.com", "https://plugins.example.com/files", nil, true},
		{"the registrable domain itself", "https://plugins.example.com", "https://example.com", nil, true},
		{"a deeper host of the domain", "https://plugins.example.com", "https://a.b.cdn.example.com", nil, true},
		{"case and a trailing dot do not matter", "https://plugins.example.com", "https://ASSETS.Example.COM.", nil, true},
		{"ports do not matter", "https://plugins.example.com:8443", "https://assets.example.com:444", nil, true},
		{"under a two-label public suffix", "https://plugins.example.co.uk", "https://cdn.example.co.uk", nil, true},
		{"IDN in either spelling", "https://plugins.xn--bcher-kva.example", "https://cdn.bücher.example", nil, true},
		{"loopback publisher on its own base URL", "http://127.0.0.1:8081", "http://127.0.0.1:8081", nil, true},
		{"loopback publisher, another port", "http://127.0.0.1:8081", "http://127.0.0.1:9000/assets", nil, true},
		{"IPv6, same address written differently", "http://[::1]:8081", "http://[0:0::1]:8081", nil, true},
		{"localhost, same host", "http://localhost:8081", "http://localhost:8082", nil, true},
		{"another registrable domain", "https://plugins.example.com", "https://evil.example.net", nil, false},
		{"a look-alike suffix", "https://plugins.example.com", "https://example.com.evil.net", nil, false},
		{"a look-alike prefix", "https://plugins.example.com", "https://evilexample.com", nil, false},
		{"two sites under a private public suffix", "https://alice.github.io", "https://mallory.github.io", nil, false},
		{"two names under an ICANN suffix", "https://plugins.example.co.uk", "https://example2.co.uk", nil, false},
		{"a public suffix itself", "https://plugins.example.com", "https://com", nil, false},
		{"another IP address", "http://127.0.0.1:8081", "http://127.0.0.2:8081", nil, false},
		{"an IP address for a named instance", "https://plugins.example.com", "https://93.184.216.34", nil, false},
		{"a name for an IP instance", "http://127.0.0.1:8081", "http://localhost:8081", nil, false},
		{"localhost siblings", "http://a.localhost:8081", "http://b.localhost:8081", nil, false},
		{"allowed by the admin", "https://plugins.example.com", "https://cdn.example.net/p", []string{"cdn.example.net"}, true},
		{"allowed: an IP address", "http://127.0.0.1:8081", "http://127.0.0.2:8081", []string{"127.0.0.2"}, true},
		{"allowed another host only", "https://plugins.example.com", "https://evil.example.net", []string{"cdn.example.net"}, false},
		{"an allowed host does not allow its subdomains", "https://plugins.example.com", "https://x.cdn.example.net", []string{"cdn.example.net"}, false},
	}
	for _, tt := range tests {
		err := domain.CheckAssetHost(tt.instance, tt.asset, tt.allowed)
		if tt.ok && err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		if !tt.ok && (!errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), "allowed_asset_hosts")) {
			t.Errorf("%s: %v, want a refusal that names allowed_asset_hosts", tt.name, err)
		}
	}
}

func TestNormalizeAllowedAssetHosts(t *testing.T) {
	t.Parallel()
	got, err := domain.NormalizeAllowedAssetHosts([]string{"CDN.Example.net", " cdn.example.net ", "[::1]", "0:0::2", "127.0.0.1", "bücher.example"})
	want := []string{"127.0.0.1", "::1", "::2", "cdn.example.net", "xn--bcher-kva.example"}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("= %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"https://cdn.example.net", "cdn.example.net:443", "cdn.example.net/x", "exa~mple.net", "", "1.2.3", "[::1]:80"} {
		if _, err := domain.NormalizeAllowedAssetHosts([]string{bad}); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("%q: %v, want ErrInvalidInput", bad, err)
		}
	}
	if _, err := domain.NormalizeAllowedAssetHosts(make([]string, 33)); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("33 hosts: %v", err)
	}
}

// The source applies the rule whenever it takes /federation-info, with the
// admin's allow-list; a refused asset domain is not recorded, and one
// recorded before the rule existed stops syncs.
func TestSourceRefusesAnAssetDomainOffItsHost(t *testing.T) {
	t.Parallel()
	s := verifiedSource(t) // https://plugins.example.com
	evil := domain.PublisherInfo{ProtocolVersion: "1", AssetDomain: "https://evil.example.net", NamingScheme: "{slug}.zip"}
	if err := s.RefreshInfo(evil, t0); !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("RefreshInfo(evil) = %v", err)
	}
	if s.State().Info.AssetDomain != "" {
		t.Fatalf("refused asset domain recorded: %+v", s.State().Info)
	}
	if err := s.AllowAssetHosts([]string{"EVIL.example.net"}, t0); err != nil {
		t.Fatal(err)
	}
	before := len(s.Changes())
	if err := s.AllowAssetHosts([]string{"evil.example.net"}, t0); err != nil || len(s.Changes()) != before {
		t.Fatalf("the same list again: %v, %d new events", err, len(s.Changes())-before)
	}
	if err := s.RefreshInfo(evil, t0); err != nil {
		t.Fatalf("allowed host refused: %v", err)
	}
	if err := s.CanSync(); err != nil {
		t.Fatalf("CanSync with an allowed asset host: %v", err)
	}
	replayed := replay(t, s)
	if !slices.Equal(replayed.State().AllowedAssetHosts, []string{"evil.example.net"}) || replayed.State().Info.AssetDomain != evil.AssetDomain {
		t.Fatalf("replayed state: %+v", replayed.State())
	}
	// Withdrawn: the recorded asset domain is no longer fetched from.
	if err := s.AllowAssetHosts(nil, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.CanSync(); !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), "evil.example.net") {
		t.Fatalf("CanSync after the host was withdrawn: %v", err)
	}
	if err := s.RecordSync(domain.SyncSummary{}, t0); err == nil {
		t.Fatal("a sync was recorded for a refused asset domain")
	}
}
