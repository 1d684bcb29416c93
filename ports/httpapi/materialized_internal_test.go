package httpapi

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// serveVia answers one GET through m with a handler that counts its runs
// and answers body.
func serveVia(t *testing.T, m *Materialized, key string, body func() string, runs *int) *httptest.ResponseRecorder {
	t.Helper()
	e := echo.New()
	route := MaterializedRoute{Key: func(echo.Context) (string, bool) { return key, true }, CacheControl: cacheListing}
	h := m.Serve(route)(func(c echo.Context) error {
		*runs++
		return c.JSONBlob(http.StatusOK, []byte(body()))
	})
	rec := httptest.NewRecorder()
	if err := h(e.NewContext(httptest.NewRequest(http.MethodGet, "/", nil), rec)); err != nil {
		t.Fatal(err)
	}
	return rec
}

// The cache holds at most its entries and bytes, dropping the least
// recently used first, and never keeps one answer larger than a quarter
// of the byte cap.
func TestMaterializedMemoryCap(t *testing.T) {
	t.Parallel()
	m := NewMaterialized(MaterializedLimits{Entries: 3, Bytes: 8 << 10})
	runs := 0
	small := func() string { return `{"a":1}` }
	for i := range 5 {
		serveVia(t, m, fmt.Sprint("k", i), small, &runs)
	}
	if m.Len() != 3 {
		t.Fatalf("%d entries kept, cap 3", m.Len())
	}
	serveVia(t, m, "k4", small, &runs) // the newest is still there
	if runs != 5 {
		t.Fatalf("the handler ran %d times for 5 keys and one repeat, want 5", runs)
	}
	serveVia(t, m, "k0", small, &runs) // the oldest is gone
	if runs != 6 {
		t.Fatalf("the oldest entry was not dropped (%d runs)", runs)
	}
	noisy := func() string { return `{"x":"` + strings.Repeat("q", 3000) + `"}` } // ~3 KB plain; gzip keeps it small
	for i := range 3 {
		serveVia(t, m, fmt.Sprint("n", i), noisy, &runs)
	}
	if m.Size() > 8<<10 {
		t.Fatalf("%d bytes kept, cap %d", m.Size(), 8<<10)
	}
	before := runs
	big := func() string { return `{"x":"` + randomText(4<<10) + `"}` }
	serveVia(t, m, "big", big, &runs)
	serveVia(t, m, "big", big, &runs)
	if runs != before+2 {
		t.Fatalf("an answer over a quarter of the cap was kept (%d runs for 2 requests)", runs-before)
	}
}

// A new generation ends every entry; an answer rendered while the
// generation moved is sent but not kept (it may predate the write).
func TestMaterializedGenerations(t *testing.T) {
	t.Parallel()
	m := NewMaterialized(MaterializedLimits{})
	runs := 0
	version := "1"
	body := func() string { return `{"v":` + version + `}` }
	first := serveVia(t, m, "k", body, &runs)
	version = "2"
	if again := serveVia(t, m, "k", body, &runs); again.Body.String() != first.Body.String() || runs != 1 {
		t.Fatalf("within a generation: %q after %d runs", again.Body.String(), runs)
	}
	m.Invalidate()
	if after := serveVia(t, m, "k", body, &runs); after.Body.String() != `{"v":2}` || after.Header().Get("ETag") == first.Header().Get("ETag") {
		t.Fatalf("after Invalidate: %q ETag %q", after.Body.String(), after.Header().Get("ETag"))
	}
	racing := func() string { m.Invalidate(); return `{"v":3}` }
	serveVia(t, m, "r", racing, &runs)
	if m.Len() != 0 {
		t.Fatalf("an answer rendered across a new generation was kept")
	}
}

func TestConditionalHeaders(t *testing.T) {
	t.Parallel()
	gzipCases := map[string]bool{"": false, "gzip": true, "br, gzip;q=0.5": true, "gzip;q=0": false, "GZIP": true,
		"deflate": false, "gzip; q=0.0": false, "x-gzip": false}
	for header, want := range gzipCases {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
	matchCases := map[string]bool{`"a"`: true, `W/"a"`: true, `"b", "a-gz"`: true, `*`: true, `"c"`: false, ``: false, `a`: false}
	for header, want := range matchCases {
		if got := noneMatch(header, `"a"`, `"a-gz"`); got != want {
			t.Errorf("noneMatch(%q) = %v, want %v", header, got, want)
		}
	}
}

// randomText does not compress: it keeps an entry's gzip as large as it.
func randomText(n int) string {
	var b strings.Builder
	x := uint32(2463534242)
	for b.Len() < n {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b.WriteByte(byte('a' + x%26))
	}
	return b.String()
}

// A listing that is rendered for each caller still carries an ETag, answers
// 304 to it, and is not kept: each request runs the handler.
func TestTaggedListing(t *testing.T) {
	t.Parallel()
	e := echo.New()
	runs := 0
	body := `{"subscriptions":[` + strings.Repeat(`{"source":"a@b"},`, 50) + `{"source":"c@d"}]}`
	h := tagged(cacheListingPrivate)(func(c echo.Context) error {
		runs++
		return c.JSONBlob(http.StatusOK, []byte(body))
	})
	get := func(header http.Header) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header = header
		rec := httptest.NewRecorder()
		if err := h(e.NewContext(req, rec)); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	first := get(http.Header{})
	tag := first.Header().Get("ETag")
	if first.Code != http.StatusOK || first.Body.String() != body || tag == "" || first.Header().Get("Cache-Control") != cacheListingPrivate {
		t.Fatalf("first answer = %d %q, ETag %q, Cache-Control %q", first.Code, first.Body, tag, first.Header().Get("Cache-Control"))
	}
	if again := get(http.Header{"If-None-Match": {tag}}); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("with If-None-Match = %d %q, want 304 and no body", again.Code, again.Body)
	}
	if gz := get(http.Header{"Accept-Encoding": {"gzip"}}); gz.Header().Get("Content-Encoding") != "gzip" || gz.Body.Len() >= len(body) {
		t.Errorf("gzip asked: Content-Encoding %q, %d bytes of %d", gz.Header().Get("Content-Encoding"), gz.Body.Len(), len(body))
	}
	if runs != 3 {
		t.Errorf("handler ran %d times, want 3: a tagged answer is never kept", runs)
	}
}
