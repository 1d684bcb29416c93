package publisher_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/publisher"
)

// trickle answers with headers at once, then 10 bytes every 200 ms (50
// bytes/s) for 20 s, unless the client goes away first.
func trickle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/zip")
	w.WriteHeader(http.StatusOK)
	for range 100 {
		if _, err := io.WriteString(w, "PK........"); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func TestDownloadBelowTheMinimumRateIsCut(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow.zip":
			trickle(w, r)
		case "/stalled.zip": // not even headers
			<-r.Context().Done()
		default:
			w.Write([]byte(strings.Repeat("x", 4000)))
		}
	})
	c := lenient(publisher.Config{MinDownloadRate: 1000, RateWindow: time.Second})

	body, err := c.Download(t.Context(), srv.URL+"/slow.zip")
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, body)
	body.Close()
	if !errors.Is(err, publisher.ErrTooSlow) || !strings.Contains(err.Error(), "PFN_MIN_DOWNLOAD_RATE") {
		t.Fatalf("a 50 bytes/s download under a minimum of 1000 bytes/s: %d bytes, %v", n, err)
	}
	if n >= 1000 { // 20 s of trickle is 1,000 bytes: it was cut well before
		t.Fatalf("read %d bytes before the cut", n)
	}

	_, err = c.Download(t.Context(), srv.URL+"/stalled.zip")
	if !errors.Is(err, publisher.ErrTooSlow) || !errors.Is(err, publisher.ErrUnreachable) {
		t.Fatalf("a publisher that never answers: %v", err)
	}
	checkMessage(t, err, "GET "+srv.URL+"/stalled.zip: ")

	// A download at a good rate passes under the same rule.
	body, err = c.Download(t.Context(), srv.URL+"/fast.zip")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	if got, err := io.ReadAll(body); err != nil || len(got) != 4000 {
		t.Fatalf("fast download: %d bytes, %v", len(got), err)
	}
}
