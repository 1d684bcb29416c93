package publisher_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/adapters/publisher"
)

// A download's body says the length the publisher announced, so a sync can
// budget for the file before reading it; -1 when none was announced.
func TestDownloadAnnouncesItsLength(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked.zip" {
			w.Write([]byte(strings.Repeat("c", 100)))
			w.(http.Flusher).Flush() // headers go out without a length
			w.Write([]byte(strings.Repeat("c", 100)))
			return
		}
		w.Header().Set("Content-Length", "4096")
		w.Write([]byte(strings.Repeat("z", 4096)))
	})
	c := lenient(publisher.Config{})
	for path, want := range map[string]int64{"/sized.zip": 4096, "/chunked.zip": -1} {
		body, err := c.Download(t.Context(), srv.URL+path)
		if err != nil {
			t.Fatal(err)
		}
		sized, ok := body.(interface{ ContentLength() int64 })
		if !ok || sized.ContentLength() != want {
			body.Close()
			t.Fatalf("%s: body %T announces a length (%v) other than %d", path, body, ok, want)
		}
		if _, err := io.Copy(io.Discard, body); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		body.Close()
	}
}
