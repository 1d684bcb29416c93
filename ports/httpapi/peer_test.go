package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/migrations/pgtest"
	"github.com/pfn-network/pfn/ports/httpapi"
)

type answer struct {
	status     int
	retryAfter string
	body       map[string]any
}

func send(t *testing.T, method, url, key, forwardedFor, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", forwardedFor)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
	_ = json.NewDecoder(resp.Body).Decode(&a.body)
	return a
}

func (a answer) isTooMany(t *testing.T) bool {
	t.Helper()
	if a.status != http.StatusTooManyRequests {
		return false
	}
	if secs, err := strconv.Atoi(a.retryAfter); err != nil || secs < 1 {
		t.Fatalf("429 with Retry-After %q, want whole seconds", a.retryAfter)
	}
	if msg, _ := a.body["error"].(string); msg == "" {
		t.Fatalf("429 without a JSON error body: %v", a.body)
	}
	return true
}

// Key creation is limited per peer address, and X-Forwarded-For counts only
// when the peer is a trusted proxy.
func TestKeyCreationLimitKeysOnTheRealPeer(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	untrusted := "http://" + serveLimited(t, httpapi.Deps{App: keyApp(pool)})
	proxies, err := httpapi.ParseTrustedProxies("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	behindProxy := "http://" + serveLimited(t, httpapi.Deps{App: keyApp(pool), TrustedProxies: proxies})
	create := func(base, forwardedFor string) answer {
		return send(t, http.MethodPost, base+"/federation/create-admin-key", testMasterKey, forwardedFor, `{"role":"consumer"}`)
	}

	limited := false
	for i := range 15 { // the burst is 10
		if a := create(untrusted, fmt.Sprintf("198.51.100.%d", i)); a.isTooMany(t) {
			limited = true
			break
		} else if a.status != http.StatusCreated {
			t.Fatalf("create key = %d %v", a.status, a.body)
		}
	}
	if !limited {
		t.Fatal("a client rotating X-Forwarded-For from an untrusted address was never limited")
	}

	for i := range 15 {
		if a := create(behindProxy, fmt.Sprintf("198.51.100.%d", i)); a.status != http.StatusCreated {
			t.Fatalf("behind a trusted proxy, client %d of 15 = %d %v: the proxy's address was used", i, a.status, a.body)
		}
	}
	limited = false
	for range 15 {
		if create(behindProxy, "203.0.113.9").isTooMany(t) {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("one client behind a trusted proxy was never limited")
	}
	if a := create(behindProxy, "203.0.113.10"); a.status != http.StatusCreated {
		t.Fatalf("another client behind the proxy = %d %v", a.status, a.body)
	}
}

// Failed authentication is limited per peer address on every authenticated
// route; a good key from another address is not affected.
func TestFailedAuthenticationIsRateLimited(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	proxies, err := httpapi.ParseTrustedProxies("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	a := &httpapi.App{Authenticate: keys{}, ListSources: app.ListSources{Sources: postgres.SourceReader{Pool: pool}},
		AuthFailureRate: 0.01, AuthFailureBurst: 3}
	base := "http://" + serveLimited(t, httpapi.Deps{App: a, TrustedProxies: proxies})
	const attacker = "192.0.2.66"
	for i := range 3 {
		if got := send(t, http.MethodGet, base+"/federation/sources", fmt.Sprintf("guess-%d", i), attacker, ""); got.status != http.StatusUnauthorized {
			t.Fatalf("bad key %d = %d %v, want 401", i, got.status, got.body)
		}
	}
	routes := []struct{ method, path, body string }{
		{http.MethodGet, "/federation/sources", ""},
		{http.MethodGet, "/federation/subscriptions", ""},
		{http.MethodPost, "/federation/subscribe", `{"sourceId":"alice@a.example"}`},
		{http.MethodGet, "/federation/events", ""},
		{http.MethodPost, "/federation/revoke-key", `{"id":"x"}`},
	}
	for _, r := range routes {
		for _, key := range []string{"guess-again", "", "admin-key"} { // once blocked, even a good key waits
			if got := send(t, r.method, base+r.path, key, attacker, r.body); !got.isTooMany(t) {
				t.Fatalf("%s %s with key %q after repeated failures = %d %v, want 429", r.method, r.path, key, got.status, got.body)
			}
		}
	}
	if got := send(t, http.MethodGet, base+"/federation/sources", "admin-key", "192.0.2.67", ""); got.status != http.StatusOK {
		t.Fatalf("a good key from another address = %d %v, want 200", got.status, got.body)
	}

	// Without the proxy trusted, rotating X-Forwarded-For does not help.
	direct := "http://" + serveLimited(t, httpapi.Deps{App: &httpapi.App{Authenticate: keys{}, AuthFailureRate: 0.01, AuthFailureBurst: 3}})
	limited := false
	for i := range 6 {
		if send(t, http.MethodGet, direct+"/federation/subscriptions", "guess", fmt.Sprintf("198.51.100.%d", i), "").isTooMany(t) {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("bad keys with a rotating X-Forwarded-For from an untrusted peer were never limited")
	}
}

func TestParseTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  bool
	}{
		{"", "[]", false},
		{"10.0.0.0/8", "[10.0.0.0/8]", false},
		{"192.0.2.7, 2001:db8::1", "[192.0.2.7/32 2001:db8::1/128]", false},
		{"10.0.0.0/33", "", true},
		{"proxy.example", "", true},
	} {
		got, err := httpapi.ParseTrustedProxies(tc.in)
		if (err != nil) != tc.err || (!tc.err && fmt.Sprint(got) != tc.want) {
			t.Errorf("ParseTrustedProxies(%q) = %v, %v; want %s (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}
