package publisher_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/publisher"
)

func TestBodySizeCap(t *testing.T) {
	t.Parallel()
	// exactly builds a valid /verify-ownership body of n bytes.
	exactly := func(n int) string {
		const frame = `{"signature":""}`
		return `{"signature":"` + strings.Repeat("s", n-len(frame)) + `"}`
	}
	chunked := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			// Flushing before the body forces chunked encoding: no
			// Content-Length to reject early, the cap must hold while reading.
			w.(http.Flusher).Flush()
			io.WriteString(w, body)
		}
	}
	tests := []struct {
		name    string
		max     int64
		handler http.HandlerFunc
		wantErr string // "" for success
	}{
		{name: "at the cap", max: 64, handler: reply(200, "application/json", exactly(64))},
		{name: "at the cap, chunked", max: 64, handler: chunked(exactly(64))},
		{name: "one byte over", max: 64, handler: reply(200, "application/json", exactly(65)), wantErr: "response larger than 64 bytes"},
		{name: "one byte over, chunked", max: 64, handler: chunked(exactly(65)), wantErr: "response larger than 64 bytes"},
		{name: "default cap", handler: chunked(exactly(1<<20 + 1)), wantErr: "response larger than 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := serve(t, tt.handler)
			_, err := lenient(publisher.Config{MaxBodyBytes: tt.max}).ProveOwnership(t.Context(), srv.URL, "a", "c")
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ProveOwnership: %v", err)
				}
				return
			}
			if !errors.Is(err, publisher.ErrIncompatible) {
				t.Fatalf("error = %v, want ErrIncompatible", err)
			}
			checkMessage(t, err, "POST "+srv.URL+"/verify-ownership: "+tt.wantErr)
		})
	}
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	// stall holds a request until the client gives up (or 10s, so a broken
	// client fails the test instead of hanging it).
	stall := func(r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
	tests := []struct {
		name    string
		url     func(t *testing.T) string
		ctx     func(t *testing.T) context.Context
		wantMsg string
		also    error         // a further error the chain must hold
		timeout time.Duration // 0: timeout
	}{
		{
			name: "closed port",
			url: func(t *testing.T) string {
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				addr := l.Addr().String()
				l.Close()
				return "http://" + addr
			},
			wantMsg: "connection refused",
		},
		{
			name: "untrusted TLS certificate",
			url: func(t *testing.T) string {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(answerAll))
				srv.Config.ErrorLog = quietLog() // the handshake failure is expected
				srv.StartTLS()
				t.Cleanup(srv.Close)
				return srv.URL
			},
			wantMsg: "certificate",
			timeout: 10 * time.Second, // a handshake under -race can take longer than 200ms
		},
		{
			name: "no response headers in time",
			url: func(t *testing.T) string {
				srv, _ := serve(t, func(_ http.ResponseWriter, r *http.Request) { stall(r) })
				return srv.URL
			},
			wantMsg: "no complete response within 200ms",
		},
		{
			name: "body not finished in time",
			url: func(t *testing.T) string {
				srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					io.WriteString(w, `{"version": "1.0.0", `)
					w.(http.Flusher).Flush()
					stall(r)
				})
				return srv.URL
			},
			wantMsg: "no complete response within 200ms",
		},
		{
			name: "caller cancelled",
			url: func(t *testing.T) string {
				srv, _ := serve(t, func(_ http.ResponseWriter, r *http.Request) { stall(r) })
				return srv.URL
			},
			ctx: func(t *testing.T) context.Context {
				ctx, cancel := context.WithCancel(t.Context())
				time.AfterFunc(50*time.Millisecond, cancel)
				return ctx
			},
			wantMsg: "context canceled",
			also:    context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := tt.url(t)
			ctx := t.Context()
			if tt.ctx != nil {
				ctx = tt.ctx(t)
			}
			limit := cmp.Or(tt.timeout, timeout)
			start := time.Now()
			_, err := lenient(publisher.Config{Timeout: limit}).FederationInfo(ctx, base)
			if elapsed := time.Since(start); elapsed > limit+5*time.Second {
				t.Errorf("call took %v with a %v timeout", elapsed, limit)
			}
			if !errors.Is(err, publisher.ErrUnreachable) {
				t.Fatalf("error = %v, want ErrUnreachable", err)
			}
			if tt.also != nil && !errors.Is(err, tt.also) {
				t.Errorf("error %v does not wrap %v", err, tt.also)
			}
			checkMessage(t, err, "GET "+base+"/federation-info: ")
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

// With private networks refused (the default), nothing reaches a loopback
// server: not through its IP, not through a name that resolves to it. The
// refusal happens before connect, so the server does not even see a TCP
// connection.
func TestPrivateNetworksRefusedByDefault(t *testing.T) {
	t.Parallel()
	srv, rec := serve(t, answerAll)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	urls := []string{
		srv.URL,
		"http://localhost:" + port,
		"http://[::1]:" + port,
		"http://[::ffff:127.0.0.1]:" + port,
		"http://0.0.0.0:" + port,
	}
	c := publisher.New(publisher.Config{})
	for _, u := range urls {
		for _, call := range calls {
			t.Run(call.endpoint+" "+u, func(t *testing.T) {
				t.Parallel()
				err := call.do(t.Context(), c, u)
				if !errors.Is(err, publisher.ErrForbiddenAddress) {
					t.Fatalf("error = %v, want ErrForbiddenAddress", err)
				}
				checkMessage(t, err, "")
				if !strings.Contains(err.Error(), "private networks are not allowed; set PFN_ALLOW_PRIVATE_NETWORKS=true") {
					t.Errorf("error %q does not say why", err)
				}
			})
		}
	}
	t.Cleanup(func() {
		// Runs after the parallel subtests, before srv.Close.
		if n, c := len(rec.requests()), rec.conns.Load(); n != 0 || c != 0 {
			t.Errorf("server saw %d requests on %d connections, want none", n, c)
		}
	})
}

func TestRedirects(t *testing.T) {
	t.Parallel()
	// hops serves /federation-info as a chain of n redirects ending in
	// federationInfoJSON, alternating between two servers and redirect codes.
	hops := func(t *testing.T, n int) (string, *recorder) {
		var a, b *httptest.Server
		// Handlers wait for both servers to exist: closing ready is what
		// orders the writes of a and b before their reads.
		ready := make(chan struct{})
		codes := []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusMovedPermanently, http.StatusPermanentRedirect, http.StatusSeeOther}
		handler := func(w http.ResponseWriter, r *http.Request) {
			<-ready
			var i int
			if r.URL.Path != "/federation-info" {
				fmt.Sscanf(r.URL.Path, "/hop/%d", &i)
			}
			if i == n {
				reply(200, "application/json", federationInfoJSON)(w, r)
				return
			}
			next := a
			if i%2 == 0 {
				next = b
			}
			http.Redirect(w, r, fmt.Sprintf("%s/hop/%d", next.URL, i+1), codes[i%len(codes)])
		}
		a, rec := serve(t, handler)
		b, _ = serve(t, handler)
		close(ready)
		return a.URL, rec
	}
	c := lenient(publisher.Config{})
	for _, n := range []int{1, 3, 5} {
		t.Run(fmt.Sprintf("%d redirects", n), func(t *testing.T) {
			t.Parallel()
			base, _ := hops(t, n)
			info, err := c.FederationInfo(t.Context(), base)
			if err != nil || info.AssetDomain != "https://assets.example.com" {
				t.Fatalf("FederationInfo = %+v, %v", info, err)
			}
		})
	}
	t.Run("6 redirects", func(t *testing.T) {
		t.Parallel()
		base, _ := hops(t, 6)
		_, err := c.FederationInfo(t.Context(), base)
		if !errors.Is(err, publisher.ErrIncompatible) {
			t.Fatalf("error = %v, want ErrIncompatible", err)
		}
		checkMessage(t, err, "GET "+base+"/federation-info: after redirect to ")
		if !strings.Contains(err.Error(), "more than 5 redirects") {
			t.Errorf("error %q does not say why", err)
		}
	})
	t.Run("redirect to another scheme", func(t *testing.T) {
		t.Parallel()
		srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		})
		_, err := c.FederationInfo(t.Context(), srv.URL)
		if !errors.Is(err, publisher.ErrIncompatible) {
			t.Fatalf("error = %v, want ErrIncompatible", err)
		}
		if !strings.Contains(err.Error(), `redirect to a "file" URL`) {
			t.Errorf("error %q does not say why", err)
		}
	})
	t.Run("POST keeps its body through 307 and 308", func(t *testing.T) {
		t.Parallel()
		target, rec := serve(t, answerAll)
		first, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/moved/verify-ownership", http.StatusPermanentRedirect)
		})
		sig, err := c.ProveOwnership(t.Context(), first.URL, "plugin-author", "challenge")
		if err != nil || sig != "c2ln" {
			t.Fatalf("ProveOwnership = %q, %v", sig, err)
		}
		reqs := rec.requests()
		if len(reqs) != 1 || reqs[0].Method != http.MethodPost || !strings.Contains(reqs[0].Body, `"challenge":"challenge"`) {
			t.Errorf("redirect target saw %+v, want the POST with its body", reqs)
		}
	})
}
