package httpapi

import (
	"net/http"
	"testing"
)

func TestPeerAddressBelievesOnlyTrustedProxies(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		proxies   bool
		remote    string
		xff, real string
		want      string
	}{
		{"no proxies: the connection", false, "198.51.100.7:5000", "203.0.113.1", "203.0.113.2", "198.51.100.7"},
		{"untrusted peer's headers ignored", true, "198.51.100.7:5000", "203.0.113.1", "203.0.113.2", "198.51.100.7"},
		{"trusted proxy's X-Forwarded-For", true, "192.0.2.1:5000", "203.0.113.1", "", "203.0.113.1"},
		{"spoofed hop left of the client is ignored", true, "192.0.2.1:5000", "6.6.6.6, 203.0.113.1", "", "203.0.113.1"},
		{"chain of trusted proxies", true, "192.0.2.1:5000", "203.0.113.1, 10.1.2.3", "", "203.0.113.1"},
		{"trusted proxy's X-Real-IP", true, "10.9.9.9:5000", "", "203.0.113.2", "203.0.113.2"},
		{"loopback is not trusted unless listed", true, "127.0.0.1:5000", "203.0.113.1", "", "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var nets = trusted
			if !tt.proxies {
				nets = nil
			}
			req, _ := http.NewRequest(http.MethodGet, "/", nil)
			req.RemoteAddr = tt.remote
			if tt.xff != "" {
				req.Header.Set("X-Forwarded-For", tt.xff)
			}
			if tt.real != "" {
				req.Header.Set("X-Real-IP", tt.real)
			}
			if got := peerAddress(nets)(req); got != tt.want {
				t.Fatalf("peer = %s, want %s", got, tt.want)
			}
		})
	}
}
