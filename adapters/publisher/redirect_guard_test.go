package publisher

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// The test server listens on loopback, so to see a redirect refused with
// private networks off, this client lets loopback through and applies the
// production rule to every other address. Every target below is refused in
// the dialer before any packet leaves, so none of them needs to exist.
func TestRedirectToNonPublicAddressIsRefused(t *testing.T) {
	t.Parallel()
	loopbackOK := func(a netip.Addr) string {
		if a.Unmap().IsLoopback() {
			return ""
		}
		return nonPublicReason(a)
	}
	c := newClient(Config{}, loopbackOK)
	targets := []struct{ url, why string }{
		{"http://169.254.169.254/latest/meta-data/iam/security-credentials/", "169.254.169.254 is a link-local address"},
		{"http://[::ffff:169.254.169.254]/latest/meta-data/", "169.254.169.254 is a link-local address"},
		{"http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254 is a unique local"},
		{"http://10.0.0.1:8080/admin", "10.0.0.1 is a private"},
		{"https://192.168.1.1/", "192.168.1.1 is a private"},
		{"http://100.100.100.200/latest/meta-data/", "100.100.100.200 is a carrier-grade NAT"}, // Alibaba Cloud metadata
	}
	for _, tt := range targets {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, tt.url, http.StatusFound)
			}))
			t.Cleanup(srv.Close)
			_, err := c.FederationInfo(t.Context(), srv.URL)
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Fatalf("error = %v, want ErrForbiddenAddress", err)
			}
			want := "GET " + srv.URL + "/federation-info: after redirect to " + tt.url + ": " + tt.why
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error = %q\nwant prefix %q", err, want)
			}
		})
	}
	// The same client still reaches the loopback server itself, so the
	// refusals above are about the redirect targets.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"signature":"c2ln"}`))
	}))
	t.Cleanup(srv.Close)
	if _, err := c.ProveOwnership(t.Context(), srv.URL, "a", "c"); err != nil {
		t.Errorf("loopback with loopbackOK: %v", err)
	}
}
