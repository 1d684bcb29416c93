package httpapi

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Materialized keeps rendered answers (the bytes, their gzip and their ETag)
// in memory, so that a listing asked for again is sent without touching
// the database or encoding JSON. An entry is valid for one generation: the
// generation moves whenever what the answers are made of may have changed
// (Invalidate: the watcher saw the projections or tables move, or this
// process waited for its own write to be shown), and entries of an older
// generation are never served. Memory is capped in entries and bytes; the
// least recently used entries go first.
//
// Use: route.GET(path, handler, auth..., m.Serve(MaterializedRoute{...})).
// The handler is unchanged: on a miss it runs and its 200 answer is kept.
type Materialized struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]*list.Element
	lru     *list.List // front: most recently used
	bytes   int64
	limits  MaterializedLimits
	now     func() time.Time
}

// MaterializedLimits caps the memory of a Materialized.
type MaterializedLimits struct {
	Entries int   // default 1024
	Bytes   int64 // raw and gzip bytes of all entries; default 64 MiB
}

// MaterializedRoute says how one route's answers are kept and sent.
type MaterializedRoute struct {
	// Key names the answer a request gets, from everything that changes
	// it (normalised query, the caller's role); ok=false serves the
	// request without the cache (a long poll, a stream).
	Key func(c echo.Context) (key string, ok bool)
	// CacheControl is sent with the answer (and its 304s).
	CacheControl string
	// MaxAge bounds an entry's age when the answer holds something that
	// changes with time alone; 0: only a new generation ends it.
	MaxAge time.Duration
}

type materializedEntry struct {
	key     string
	gen     uint64
	made    time.Time
	body    []byte
	gz      []byte // nil when gzip would not be smaller
	etag    string // strong, over body; the gzip variant's ends in -gz
	ctype   string
	size    int64
	expires time.Time // zero: none
}

// NewMaterialized returns an empty cache.
func NewMaterialized(l MaterializedLimits) *Materialized {
	if l.Entries <= 0 {
		l.Entries = 1024
	}
	if l.Bytes <= 0 {
		l.Bytes = 64 << 20
	}
	return &Materialized{entries: map[string]*list.Element{}, lru: list.New(), limits: l, now: time.Now}
}

// Invalidate starts a new generation: no entry made before is served again.
func (m *Materialized) Invalidate() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	// Old entries can never be served again: free them now.
	clear(m.entries)
	m.lru.Init()
	m.bytes = 0
}

// Len and Size report what the cache holds (entries, bytes).
func (m *Materialized) Len() int { m.mu.Lock(); defer m.mu.Unlock(); return m.lru.Len() }

func (m *Materialized) Size() int64 { m.mu.Lock(); defer m.mu.Unlock(); return m.bytes }

func (m *Materialized) generation() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.gen
}

func (m *Materialized) get(key string) *materializedEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.entries[key]
	if !ok {
		return nil
	}
	e := el.Value.(*materializedEntry)
	if e.gen != m.gen || (!e.expires.IsZero() && !m.now().Before(e.expires)) {
		m.remove(el)
		return nil
	}
	m.lru.MoveToFront(el)
	return e
}

// put keeps e unless its generation ended while it was rendered (it was
// read from what may already be old) or it alone exceeds a quarter of the
// byte cap (one answer may not push out all the others).
func (m *Materialized) put(e *materializedEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e.gen != m.gen || e.size > m.limits.Bytes/4 {
		return
	}
	if el, ok := m.entries[e.key]; ok {
		m.remove(el)
	}
	m.entries[e.key] = m.lru.PushFront(e)
	m.bytes += e.size
	for m.lru.Len() > m.limits.Entries || m.bytes > m.limits.Bytes {
		m.remove(m.lru.Back())
	}
}

func (m *Materialized) remove(el *list.Element) {
	e := m.lru.Remove(el).(*materializedEntry)
	delete(m.entries, e.key)
	m.bytes -= e.size
}

// Serve is the route middleware: it answers from the cache, or runs the
// handler, keeps its 200 answer and answers from that.
func (m *Materialized) Serve(r MaterializedRoute) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			key, ok := r.Key(c)
			if !ok {
				return next(c)
			}
			if e := m.get(key); e != nil {
				return sendMaterialized(c, e, r.CacheControl)
			}
			// The generation is read before the answer is: an entry made
			// from rows read after a write can only be kept in a
			// generation that started after the write was shown.
			gen := m.generation()
			rec, err := record(c, next)
			if err != nil || rec.status != http.StatusOK {
				return err
			}
			e := newEntry(key, gen, rec, m.now(), r.MaxAge)
			m.put(e)
			return sendMaterialized(c, e, r.CacheControl)
		}
	}
}

func newEntry(key string, gen uint64, rec *recorder, now time.Time, maxAge time.Duration) *materializedEntry {
	sum := sha256.Sum256(rec.body.Bytes())
	e := &materializedEntry{key: key, gen: gen, made: now, body: rec.body.Bytes(), ctype: rec.header.Get(echo.HeaderContentType),
		etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
	if maxAge > 0 {
		e.expires = now.Add(maxAge)
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression) // a valid level: no error
	_, _ = w.Write(e.body)                                 // a bytes.Buffer does not fail
	_ = w.Close()
	if gz.Len() < len(e.body) {
		e.gz = gz.Bytes()
	}
	e.size = int64(len(e.body)+len(e.gz)+len(key)) + 256 // the struct and headers, roughly
	return e
}

// gzETag is the gzip variant's tag: another representation, so another
// strong tag (RFC 9110 8.8.3).
func (e *materializedEntry) gzETag() string { return strings.TrimSuffix(e.etag, `"`) + `-gz"` }

func sendMaterialized(c echo.Context, e *materializedEntry, cacheControl string) error {
	req, h := c.Request(), c.Response().Header()
	body, etag := e.body, e.etag
	if e.gz != nil && acceptsGzip(req.Header.Get(echo.HeaderAcceptEncoding)) {
		body, etag = e.gz, e.gzETag()
		h.Set(echo.HeaderContentEncoding, "gzip")
	}
	h.Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	h.Set("ETag", etag)
	if cacheControl != "" && h.Get("Cache-Control") == "" { // an outer middleware's choice stands
		h.Set("Cache-Control", cacheControl)
	}
	if noneMatch(req.Header.Get("If-None-Match"), e.etag, e.gzETag()) {
		h.Del(echo.HeaderContentEncoding)
		return c.NoContent(http.StatusNotModified)
	}
	h.Set(echo.HeaderContentLength, strconv.Itoa(len(body)))
	return c.Blob(http.StatusOK, e.ctype, body)
}

// acceptsGzip reads Accept-Encoding: gzip listed without q=0.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			continue
		}
		q, found := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if !found {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

// noneMatch reports whether If-None-Match names one of tags (or is "*"):
// the comparison is weak, as RFC 9110 13.1.2 wants for If-None-Match.
func noneMatch(header string, tags ...string) bool {
	if header == "" {
		return false
	}
	for part := range strings.SplitSeq(header, ",") {
		t := strings.TrimPrefix(strings.TrimSpace(part), "W/")
		if t == "*" {
			return true
		}
		for _, want := range tags {
			if t == want {
				return true
			}
		}
	}
	return false
}
