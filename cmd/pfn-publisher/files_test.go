package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/pfn-network/pfn/adapters/publisher"
)

// Files name their sha256 the way a node revalidates them (ETag and
// X-Content-SHA256, to HEAD as to GET) and a matching If-None-Match is
// answered 304 without the body; the stats count what each request cost.
func TestFilesAnswerRevalidation(t *testing.T) {
	t.Parallel()
	srv, _ := startPublisher(t, Options{Admin: true}, sameKeys(t), generatePlugins(1))
	url := srv.URL + "/plugins/plugin-author/plugin-1/plugin-1.zip"
	got := do(t, http.MethodGet, url, "")
	sum := sha256.Sum256(got.body)
	want := hex.EncodeToString(sum[:])
	tests := []struct {
		name, method, ifNoneMatch string
		status, bodyBytes         int
	}{
		{name: "GET", method: http.MethodGet, status: http.StatusOK, bodyBytes: len(got.body)},
		{name: "HEAD", method: http.MethodHead, status: http.StatusOK},
		{name: "HEAD for the file's sha256", method: http.MethodHead, ifNoneMatch: strconv.Quote(want), status: http.StatusNotModified},
		{name: "GET for the file's sha256", method: http.MethodGet, ifNoneMatch: strconv.Quote(want), status: http.StatusNotModified},
		{name: "HEAD for other bytes", method: http.MethodHead, ifNoneMatch: strconv.Quote(hex.EncodeToString(make([]byte, 32))), status: http.StatusOK},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, url, nil)
		if tt.ifNoneMatch != "" {
			req.Header.Set("If-None-Match", tt.ifNoneMatch)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := resp.Body.Read(make([]byte, 1))
		resp.Body.Close()
		if resp.StatusCode != tt.status || (n > 0) != (tt.bodyBytes > 0) {
			t.Errorf("%s: %d with a body: %v", tt.name, resp.StatusCode, n > 0)
		}
		if resp.StatusCode == http.StatusOK && publisher.ContentSHA256(resp.Header) != want {
			t.Errorf("%s: headers %v name %q, want the file's sha256 %s", tt.name, resp.Header, publisher.ContentSHA256(resp.Header), want)
		}
	}
	var stats struct{ Files map[string]int64 }
	if err := json.Unmarshal(do(t, http.MethodGet, srv.URL+"/_admin/stats", "").body, &stats); err != nil {
		t.Fatal(err)
	}
	if f := stats.Files; f["gets"] != 3 || f["heads"] != 3 || f["conditional"] != 3 {
		t.Fatalf("file counts %v, want 3 GETs, 3 HEADs, 3 conditional", f)
	}
}
