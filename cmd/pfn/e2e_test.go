package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pfn-network/pfn/internal/apicontract"
)

// The end-to-end tests run the real binaries: the node (pfn serve) and the
// reference publisher (pfn-publisher), talking HTTP on loopback.

func buildBinary(t testing.TB, pkg, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// startProcess runs a binary until the test ends (SIGTERM, then wait).
func startProcess(t testing.TB, bin string, env []string, args ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("%s did not stop on SIGTERM", filepath.Base(bin))
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(bin), stderr.String())
		}
	})
	return cmd, bufio.NewReader(stdout)
}

type publisherProc struct {
	URL       string
	PublicKey string // raw base64
	cmd       *exec.Cmd
}

func startPublisher(t testing.TB, bin string, args ...string) publisherProc {
	t.Helper()
	cmd, out := startProcess(t, bin, nil, append([]string{"-listen", "127.0.0.1:0"}, args...)...)
	line1, err1 := out.ReadString('\n')
	line2, err2 := out.ReadString('\n')
	if err1 != nil || err2 != nil {
		t.Fatalf("publisher did not announce itself: %q %q", line1, line2)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	return publisherProc{
		URL:       strings.TrimSpace(strings.TrimPrefix(line1, "listening on ")),
		PublicKey: strings.TrimSpace(strings.TrimPrefix(line2, "public key: ")),
		cmd:       cmd,
	}
}

func startNode(t testing.TB, bin string, env ...string) string {
	base, _ := startNodeProcess(t, bin, env...)
	return base
}

// startNodeProcess starts pfn serve on a new database and returns its base
// URL and pid.
func startNodeProcess(t testing.TB, bin string, env ...string) (string, int) {
	t.Helper()
	env = append(env, "PFN_DATABASE_URL="+databaseURL(t))
	for k, v := range dataEnv(t) {
		env = append(env, k+"="+v)
	}
	cmd, base := startNodeWith(t, bin, env...)
	return base, cmd.Process.Pid
}

// startNodeWith starts pfn serve with exactly env (plus a listen address)
// and waits until it is ready.
func startNodeWith(t testing.TB, bin string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	return startNodeWithin(t, bin, 60*time.Second, env...)
}

// startNodeWithin is startNodeWith that gives up after timeout.
func startNodeWithin(t testing.TB, bin string, timeout time.Duration, env ...string) (*exec.Cmd, string) {
	t.Helper()
	addr := freeAddr(t)
	// No metrics listener unless the test asks for one (the default port
	// is one for the whole machine).
	env = append([]string{"PFN_METRICS_LISTEN=off"}, env...)
	env = append(env, "PFN_LISTEN="+addr, "PFN_ALLOW_PRIVATE_NETWORKS=true")
	cmd, _ := startProcess(t, bin, env, "serve")
	base := "http://" + addr
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd, base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node never became ready: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type apiClient struct {
	t    testing.TB
	base string
}

// do sends body (a value marshalled to JSON, or raw []byte) and decodes the
// JSON answer into a map.
func (c apiClient) do(method, path, key string, body any) (int, map[string]any) {
	c.t.Helper()
	status, raw := c.send(method, path, key, body)
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			c.t.Fatalf("%s %s answered %d with non-JSON %q", method, path, status, raw)
		}
	}
	return status, out
}

// send is do without decoding the answer.
func (c apiClient) send(method, path, key string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	// Every answer the end-to-end tests read through here is checked
	// against the API's OpenAPI document.
	client := &http.Client{Transport: apicontract.Transport(c.t, nil)}
	resp, err := client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func (c apiClient) sourceCount(key string) int {
	c.t.Helper()
	status, body := c.do(http.MethodGet, "/federation/sources", key, nil)
	if status != http.StatusOK {
		c.t.Fatalf("GET /federation/sources = %d %v", status, body)
	}
	list, _ := body["sources"].([]any)
	return len(list)
}

func TestEndToEndSources(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pub := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	dir := t.TempDir()

	good := startPublisher(t, pub, "-key-file", filepath.Join(dir, "good.pem"))
	wrong := startPublisher(t, pub, "-key-file", filepath.Join(dir, "wrong.pem"),
		"-challenge-key-file", filepath.Join(dir, "other.pem"))
	downAddr := freeAddr(t) // nothing listens here

	const master = "master-key-for-the-e2e-test-0123456789"
	api := apiClient{t, startNode(t, pfn, "PFN_MASTER_KEY="+master)}

	status, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{"description": "e2e"})
	admin, _ := body["key"].(string)
	if status != http.StatusCreated || !strings.HasPrefix(admin, "fadmin_") || body["role"] != "admin" || body["created"] == "" {
		t.Fatalf("create-admin-key = %d %v", status, body)
	}

	t.Run("a publisher holding its key becomes verified", func(t *testing.T) {
		status, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
			"instance_url": good.URL + "/", "username": "plugin-author", "public_key": good.PublicKey})
		source, _ := body["source"].(map[string]any)
		if status != http.StatusCreated || body["verified"] != true || body["status"] != "verified" {
			t.Fatalf("add-source = %d %v", status, body)
		}
		if score, _ := source["trust_score"].(float64); score <= 0 {
			t.Fatalf("trust score %v, want above zero", source["trust_score"])
		}
		if source["instance_url"] != good.URL || source["asset_domain"] == "" {
			t.Fatalf("source %v", source)
		}
	})

	t.Run("registering the same source twice is 409, naming verify-source", func(t *testing.T) {
		status, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
			"instance_url": good.URL, "username": "plugin-author", "public_key": good.PublicKey})
		msg := fmt.Sprint(body["error"])
		if status != http.StatusConflict || !strings.Contains(msg, "already registered") ||
			!strings.Contains(msg, `call POST /federation/verify-source with {"sourceId": "plugin-author@`) {
			t.Fatalf("second add-source = %d %v", status, body)
		}
	})

	t.Run("a publisher answering with another key ends failed with the reason", func(t *testing.T) {
		status, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
			"instance_url": wrong.URL, "username": "plugin-author", "public_key": wrong.PublicKey})
		if status != http.StatusCreated || body["verified"] != false || body["status"] != "failed" ||
			!strings.Contains(fmt.Sprint(body["reason"]), "does not verify") {
			t.Fatalf("add-source = %d %v", status, body)
		}
		source, _ := body["source"].(map[string]any)
		if source["trust_score"] != 0.0 || source["last_failure"] != body["reason"] {
			t.Fatalf("failed source %v", source)
		}
	})

	t.Run("a publisher that is down gives a clear error and the source is kept", func(t *testing.T) {
		status, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
			"instance_url": "http://" + downAddr, "username": "plugin-author", "public_key": good.PublicKey})
		if status != http.StatusCreated || body["verified"] != false || !strings.Contains(fmt.Sprint(body["reason"]), "refused") {
			t.Fatalf("add-source = %d %v", status, body)
		}
		id := "plugin-author@" + downAddr
		status, body = api.do(http.MethodGet, "/federation/source-status?sourceId="+id, admin, nil)
		if status != http.StatusOK || body["id"] != id || body["status"] != "failed" {
			t.Fatalf("source-status = %d %v", status, body)
		}
		// Re-verifying once it is reachable is the way back.
		status, body = api.do(http.MethodPost, "/federation/verify-source", admin, map[string]string{"sourceId": id})
		if status != http.StatusOK || body["verified"] != false {
			t.Fatalf("verify-source = %d %v", status, body)
		}
	})

	t.Run("sources on one host with different ports coexist", func(t *testing.T) {
		if n := api.sourceCount(admin); n != 3 {
			t.Fatalf("%d sources, want 3", n)
		}
	})

	t.Run("verify and update keep a verified source verified", func(t *testing.T) {
		id := "plugin-author@" + strings.TrimPrefix(good.URL, "http://")
		for _, path := range []string{"/federation/verify-source", "/federation/update-source"} {
			status, body := api.do(http.MethodPost, path, admin, map[string]string{"sourceId": id})
			source, _ := body["source"].(map[string]any)
			if status != http.StatusOK || source["status"] != "verified" {
				t.Fatalf("%s = %d %v", path, status, body)
			}
		}
	})

	t.Run("keys: 401 without, 403 with a consumer key, 401 once revoked", func(t *testing.T) {
		status, body := api.do(http.MethodPost, "/federation/create-admin-key", admin, map[string]string{"role": "consumer"})
		consumer, _ := body["key"].(string)
		if status != http.StatusCreated || !strings.HasPrefix(consumer, "fcons_") {
			t.Fatalf("create consumer key = %d %v", status, body)
		}
		for _, tc := range []struct {
			key  string
			want int
		}{{"", 401}, {"fadmin_0123456789abcdef.nope", 401}, {consumer, 403}, {admin, 200}} {
			if status, body := api.do(http.MethodGet, "/federation/sources", tc.key, nil); status != tc.want || body == nil {
				t.Fatalf("GET sources with %q = %d %v, want %d", tc.key, status, body, tc.want)
			}
		}
		if status, body := api.do(http.MethodPost, "/federation/revoke-key", admin, map[string]string{"key": consumer}); status != 200 {
			t.Fatalf("revoke = %d %v", status, body)
		}
		if status, _ := api.do(http.MethodGet, "/federation/sources", consumer, nil); status != 401 {
			t.Fatalf("revoked key answered %d", status)
		}
	})

	t.Run("key creation is rate-limited", func(t *testing.T) {
		limited := false
		for range 15 {
			status, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{"role": "consumer"})
			if status == http.StatusTooManyRequests {
				limited = body["error"] != nil
				break
			}
			if status != http.StatusCreated {
				t.Fatalf("create key = %d %v", status, body)
			}
		}
		if !limited {
			t.Fatal("15 key creations in a burst were all accepted")
		}
	})

	t.Run("hostile input gets 4xx and changes nothing", func(t *testing.T) {
		before := api.sourceCount(admin)
		long := strings.Repeat("a", 100_000)
		bodies := map[string]any{
			"quote in username":   map[string]string{"instance_url": "http://q.example", "username": `a"b`, "public_key": good.PublicKey},
			"SQL in username":     map[string]string{"instance_url": "http://q.example", "username": "' OR '1'='1", "public_key": good.PublicKey},
			"dot-dot in username": map[string]string{"instance_url": "http://q.example", "username": "../etc", "public_key": good.PublicKey},
			"dot-dot in URL":      map[string]string{"instance_url": "http://q.example/a/../b", "username": "u", "public_key": good.PublicKey},
			"long username":       map[string]string{"instance_url": "http://q.example", "username": long[:5000], "public_key": good.PublicKey},
			"long URL":            map[string]string{"instance_url": "http://q.example/" + long[:5000], "username": "u", "public_key": good.PublicKey},
			"huge body":           map[string]string{"instance_url": "http://q.example", "username": "u", "public_key": long},
			"bad key":             map[string]string{"instance_url": "http://q.example", "username": "u", "public_key": "' OR '1'='1"},
			"missing field":       map[string]string{"instance_url": "http://q.example", "username": "u"},
			"wrong type":          []byte(`{"instance_url": 5, "username": "u", "public_key": "x"}`),
			"not JSON":            []byte(`{"instance_url": `),
			"non-UTF-8":           []byte("{\"instance_url\": \"http://q.example\", \"username\": \"\xff\xfe\", \"public_key\": \"x\"}"),
		}
		for name, body := range bodies {
			status, answer := api.do(http.MethodPost, "/federation/add-source", admin, body)
			if status < 400 || status >= 500 || answer["error"] == nil {
				t.Errorf("%s: %d %v, want a 4xx with an error", name, status, answer)
			}
		}
		// A 100,000-character id makes the request line larger than the
		// header cap (PFN_MAX_HEADER_BYTES): net/http refuses it with 431
		// before any handler runs.
		req, _ := http.NewRequest(http.MethodGet, api.base+"/federation/source-status?sourceId="+long, nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("source-status with a 100,000-character id: %v %v, want 431", resp, err)
		} else {
			resp.Body.Close()
		}
		for _, id := range []string{"' OR '1'='1", "../../etc/passwd", "a@b@c", "\xff\xfe@x", long[:5000]} {
			if status, answer := api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(id), admin, nil); status != 400 && status != 404 {
				t.Errorf("source-status %q: %d %v", id[:min(len(id), 20)], status, answer)
			}
		}
		if after := api.sourceCount(admin); after != before {
			t.Fatalf("hostile requests changed the sources: %d -> %d", before, after)
		}
		if status, _ := api.do(http.MethodGet, "/federation/add-source", admin, nil); status != http.StatusMethodNotAllowed {
			t.Fatalf("GET add-source = %d, want 405", status)
		}
	})
}
