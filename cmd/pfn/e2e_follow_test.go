package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/internal/follow"
)

// pfn follow, anonymous as a site operator runs it, against a real node
// mirroring a real publisher's 50 plugins: the first run pins the
// publisher's key from the catalogue's provenance, fetches and verifies all
// 50, a rerun after two new versions and a yank fetches exactly those two
// and removes the yanked file, and a node answer altered on the way (other
// bytes, a feed entry naming another sha256, a node statement v2 that does
// not verify) stops it with a non-zero exit naming the check.
func TestEndToEndFollow(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	dir := t.TempDir()
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(dir, "pub.pem"), "-admin", "-with-sha256")
	catalog := plainEntries(50, 2048)
	setCatalog(t, pub, catalog)
	node := startAttestNode(t, pfn) // the admin key runs the node; the follower has none
	api, admin, base := node.api, node.admin, node.api.base
	source, res := node.subscribe(t, pub)
	if res["mirroredCount"] != 50.0 {
		t.Fatalf("the first sync mirrored %v, want 50", res)
	}
	runFollow := func(t *testing.T, url, into string) (string, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, pfn, "follow", url, "-once", "-dir", into).CombinedOutput()
		return string(out), err
	}
	// The feed is a projection: a change shows there a moment after the
	// call that made it answered.
	feedHas := func(t *testing.T, kind string, n int) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			_, raw := api.send(http.MethodGet, "/federation/changes?limit=1000", "", nil)
			if got := strings.Count(string(raw), `"kind":"`+kind+`"`); got >= n {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("the feed has %d %s changes, want %d:\n%s", got, kind, n, raw)
			}
		}
	}
	fetched := regexp.MustCompile(`(?m)^fetched (\S+) (\S+) (\S+) ([0-9a-f]{64})$`)
	into := filepath.Join(dir, "follow")

	t.Run("the first run fetches and verifies all 50", func(t *testing.T) {
		feedHas(t, "version.mirrored", 50)
		out, err := runFollow(t, base, into)
		lines := fetched.FindAllStringSubmatch(out, -1)
		if err != nil || len(lines) != 50 || !strings.Contains(out, "50 fetched, 0 present, 0 removed") {
			t.Fatalf("pfn follow: %v, %d fetched\n%s", err, len(lines), out)
		}
		for _, l := range lines {
			got, err := os.ReadFile(filepath.Join(into, l[1], l[2], l[3]+".zip"))
			if sum := sha256.Sum256(got); err != nil || l[1] != source || hex.EncodeToString(sum[:]) != l[4] {
				t.Fatalf("%s %s: %v, sha256 %x", l[2], l[3], err, sum)
			}
		}
		// The publisher's key was pinned from the rows' provenance: no
		// admin-only /federation/sources was read.
		st, err := follow.LoadState(into)
		if pins := st.Pins.Publishers[source]; err != nil || len(pins) != 1 || pins[0] != pub.PublicKey {
			t.Fatalf("the publisher keys pinned for %s: %v (%v), want [%s]", source, pins, err, pub.PublicKey)
		}
	})

	t.Run("a rerun fetches only the two new versions and removes the yanked one", func(t *testing.T) {
		fresh := plainEntries(52, 2048)[50:] // plain-50 and plain-51: new plugins, new bytes
		setCatalog(t, pub, append(catalog, fresh...))
		if status, body := api.do(http.MethodPost, "/federation/sync-source", admin, map[string]string{"sourceId": source}); status != http.StatusOK {
			t.Fatalf("sync-source = %d %v", status, body)
		}
		if status, body := api.do(http.MethodPost, "/federation/yank", admin, map[string]string{
			"sourceId": source, "plugin": "plain-7", "version": "1.0.0", "reason": "recalled"}); status != http.StatusOK {
			t.Fatalf("yank = %d %v", status, body)
		}
		feedHas(t, "version.yanked", 1) // in commit order: after the two new versions
		out, err := runFollow(t, base, into)
		lines := fetched.FindAllStringSubmatch(out, -1)
		if err != nil || len(lines) != 2 || lines[0][2] != "plain-50" || lines[1][2] != "plain-51" ||
			!strings.Contains(out, "2 fetched, 0 present, 1 removed") {
			t.Fatalf("pfn follow again: %v\n%s", err, out)
		}
		if _, err := os.Stat(filepath.Join(into, source, "plain-7")); !os.IsNotExist(err) {
			t.Fatalf("the yanked version is still in the directory: %v", err)
		}
	})

	// A proxy between the follower and the node alters one kind of answer.
	tampered := func(t *testing.T, alter func(path string, body []byte) []byte) string {
		target := mustURL(t, base)
		// The node gzips what the follower's transport asks gzipped; the
		// proxy's own transport then asks and unzips, so alter sees JSON.
		proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Header.Del("Accept-Encoding")
		}}
		proxy.ModifyResponse = func(resp *http.Response) error {
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				return err
			}
			body = alter(resp.Request.URL.Path, body)
			resp.Body = io.NopCloser(bytes.NewReader(body))
			resp.ContentLength = int64(len(body))
			resp.Header.Set("Content-Length", strconv.Itoa(len(body)))
			return nil
		}
		srv := httptest.NewServer(proxy)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	for _, tt := range []struct {
		name  string
		alter func(path string, body []byte) []byte
		want  string
	}{
		{"a file altered on the way is refused", func(path string, body []byte) []byte {
			if path == "/federation/download" && len(body) > 0 {
				body[len(body)/2] ^= 0xff
			}
			return body
		}, "verification failed: sha256"},
		{"a feed entry naming other bytes is refused", func(path string, body []byte) []byte {
			if path == "/federation/changes" {
				body = regexp.MustCompile(`"sha256":"[0-9a-f]{64}"`).ReplaceAll(body, []byte(`"sha256":"`+strings.Repeat("0", 64)+`"`))
			}
			return body
		}, "verification failed: feed entry"},
		// Every row carries the node's v2 statement; one that does not
		// verify is refused (a row without it would pass: this fails then).
		{"a node statement v2 that does not verify is refused", func(path string, body []byte) []byte {
			if path == "/federation/verify" {
				body = regexp.MustCompile(`"federation_signature_v2":"[^"]+"`).ReplaceAll(body,
					[]byte(`"federation_signature_v2":"`+base64.StdEncoding.EncodeToString(make([]byte, 64))+`"`))
			}
			return body
		}, "verification failed: federation signature v2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runFollow(t, tampered(t, tt.alter), filepath.Join(t.TempDir(), "follow"))
			if err == nil || !strings.Contains(out, tt.want) {
				t.Fatalf("pfn follow through the proxy: %v, want a non-zero exit naming %q\n%s", err, tt.want, out)
			}
		})
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
