package main

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

func TestTrickleSendsTheFileInFlushedPieces(t *testing.T) {
	t.Parallel()
	srv, _ := startPublisher(t, Options{Admin: true, PluginSize: 4000}, sameKeys(t), generatePlugins(1))
	for _, bad := range []string{"", "x", "-1", "1073741825"} {
		if r := do(t, http.MethodPost, srv.URL+"/_admin/trickle?bps="+bad, ""); r.status != http.StatusBadRequest {
			t.Errorf("bps=%q: %d, want 400", bad, r.status)
		}
	}
	if r := do(t, http.MethodGet, srv.URL+"/_admin/trickle?bps=1", ""); r.status != http.StatusMethodNotAllowed {
		t.Errorf("GET /_admin/trickle: %d, want 405", r.status)
	}
	if r := do(t, http.MethodPost, srv.URL+"/_admin/trickle?bps=4000", ""); r.status != http.StatusOK || string(r.body) != `{"trickle_bps":4000}` {
		t.Fatalf("trickle: %d %s", r.status, r.body)
	}
	const path = "/plugins/plugin-author/plugin-1/plugin-1.zip"
	want := pluginContent("plugin-1", "1.0.0", 4000)

	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != int64(len(want)) || resp.Header.Get("ETag") == "" {
		t.Fatalf("headers: length %d, ETag %q", resp.ContentLength, resp.Header.Get("ETag"))
	}
	// The first piece is a tenth of a second's worth; the rest follows in
	// later writes, so one read cannot return the whole file.
	first := make([]byte, len(want))
	n, err := resp.Body.Read(first)
	if err != nil || n == 0 || n >= len(want) {
		t.Fatalf("first read: %d bytes, %v; want a piece of the %d", n, err, len(want))
	}
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got := append(first[:n], rest...); !bytes.Equal(got, want) {
		t.Fatalf("trickled body differs from the file (%d bytes, want %d)", len(got), len(want))
	}

	if r := do(t, http.MethodGet, srv.URL+"/plugins/plugin-author/plugin-9/plugin-9.zip", ""); r.status != http.StatusNotFound {
		t.Fatalf("missing file while trickling: %d", r.status)
	}
	if r := do(t, http.MethodPost, srv.URL+"/_admin/trickle?bps=0", ""); r.status != http.StatusOK {
		t.Fatalf("trickle off: %d", r.status)
	}
	if r := do(t, http.MethodGet, srv.URL+path, ""); r.status != http.StatusOK || !bytes.Equal(r.body, want) {
		t.Fatalf("full speed again: %d, %d bytes", r.status, len(r.body))
	}
}
