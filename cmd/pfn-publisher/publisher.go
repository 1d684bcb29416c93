package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// maxChallengeBody caps POST /verify-ownership; a challenge is a few dozen
// bytes.
const maxChallengeBody = 64 << 10

// Options configure a Publisher.
type Options struct {
	Username     string
	NamingScheme string
	// AssetDomain is assetInfo.domain, without a trailing slash.
	AssetDomain string
	// PluginSize is the size of generated plugin files.
	PluginSize int
	WithSHA256 bool
	Admin      bool
	// KeyRotation, when not nil, is announced in /federation-info
	// (rotate_key.go).
	KeyRotation *keyRotation
}

// Publisher serves the publisher side of the protocol for one author.
type Publisher struct {
	opts Options
	keys Keys
	// assetPrefix is the path of AssetDomain, as decoded segments. Asset
	// requests are accepted with it (domain joined with the path) and
	// without it (the path resolved against the domain as a URL reference).
	assetPrefix []string
	catalog     atomic.Pointer[catalog]
	down        atomic.Bool
	// Test hooks (-admin): when /author-data was asked for, and how long
	// each file download is held back.
	mu           sync.Mutex
	authorDataAt []time.Time
	assetDelay   atomic.Int64 // milliseconds
	headDelay    atomic.Int64 // milliseconds, of HEAD requests for files
	// heldDownloads counts file requests that began to be held back: a
	// test waits for one to act while a download is in flight.
	heldDownloads atomic.Int64
	// requests counts every request but the test hooks': a test tells by
	// it that a node sent none (a suspended source).
	requests   atomic.Int64
	trickleBPS atomic.Int64 // bytes a second of every file body; 0 is full speed
	files      fileCounts
}

// catalog is an immutable snapshot; replacing the catalog swaps the pointer.
type catalog struct {
	items  []*item
	byPath map[string]*item // by pathKey of item.path; the first item wins
}

type item struct {
	Plugin
	content   []byte
	sha256    string
	signature string
	path      string // escaped, from the root of the asset domain
}

// NewPublisher builds a publisher serving plugins.
func NewPublisher(opts Options, keys Keys, plugins []Plugin) (*Publisher, error) {
	if err := checkNamingScheme(opts.NamingScheme); err != nil {
		return nil, fmt.Errorf("naming scheme %q: %w", opts.NamingScheme, err)
	}
	d, err := url.Parse(opts.AssetDomain)
	if err != nil {
		return nil, fmt.Errorf("asset domain: %w", err)
	}
	p := &Publisher{opts: opts, keys: keys}
	if prefix := strings.Trim(d.EscapedPath(), "/"); prefix != "" {
		if p.assetPrefix, err = pathSegments(prefix); err != nil {
			return nil, fmt.Errorf("asset domain: %w", err)
		}
	}
	if err := p.SetCatalog(plugins); err != nil {
		return nil, err
	}
	return p, nil
}

// SetCatalog replaces every plugin at once; requests see the old or the new
// catalog, never a mix.
func (p *Publisher) SetCatalog(plugins []Plugin) error {
	c := &catalog{byPath: make(map[string]*item, len(plugins))}
	for _, pl := range plugins {
		it := &item{Plugin: pl, content: pl.Content}
		if it.content == nil {
			it.content = pluginContent(pl.Slug, pl.Version, p.opts.PluginSize)
		}
		sum := sha256.Sum256(it.content)
		it.sha256 = hex.EncodeToString(sum[:])
		claim := domain.PluginClaim{ID: pl.Slug, Name: pl.Name, Version: pl.Version, Description: pl.ShortDescription}
		it.signature = signPlugin(p.keys.Plugin, claim, pl.BadSignature)
		it.path = "/" + strings.TrimPrefix(assetPath(p.opts.NamingScheme, p.opts.Username, pl.Slug, pl.Version), "/")
		key, err := pathKey(it.path)
		if err != nil {
			return fmt.Errorf("plugin %q %q: asset path %q: %w", pl.Slug, pl.Version, it.path, err)
		}
		if _, taken := c.byPath[key]; !taken {
			c.byPath[key] = it
		}
		c.items = append(c.items, it)
	}
	p.catalog.Store(c)
	return nil
}

// SetDown makes every protocol endpoint answer 503 (true) or serve again.
func (p *Publisher) SetDown(down bool) { p.down.Store(down) }

// assetURL is where a node fetches the file at the escaped path.
func (p *Publisher) assetURL(path string) string { return p.opts.AssetDomain + path }

// ServeHTTP routes by exact path; everything else is looked up as an asset.
// It does not clean paths (as http.ServeMux would), so that a node's
// hostile or escaped URL reaches the lookup as sent.
func (p *Publisher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_admin/") {
		if !p.opts.Admin {
			writeError(w, http.StatusNotFound, "not found (start with -admin for the test hooks)")
			return
		}
		p.serveAdmin(w, r)
		return
	}
	p.requests.Add(1)
	if p.down.Load() {
		writeError(w, http.StatusServiceUnavailable, "publisher is down")
		return
	}
	switch r.URL.Path {
	case "/federation-info":
		if allowMethods(w, r, http.MethodGet, http.MethodHead) {
			p.federationInfo(w)
		}
	case "/verify-ownership":
		if allowMethods(w, r, http.MethodPost) {
			p.verifyOwnership(w, r)
		}
	case "/author-data":
		if allowMethods(w, r, http.MethodGet, http.MethodHead) {
			p.mu.Lock()
			p.authorDataAt = append(p.authorDataAt, time.Now())
			p.mu.Unlock()
			p.authorData(w, r)
		}
	default:
		if !p.holdAsset(r) {
			return
		}
		p.serveAsset(w, r)
	}
}

// holdAsset holds a file request back as /_admin/slow asked: downloads
// (GET) and questions about a file (HEAD) each by their own delay. It says
// whether the request is still there to answer.
func (p *Publisher) holdAsset(r *http.Request) bool {
	ms := p.assetDelay.Load()
	if r.Method == http.MethodHead {
		ms = p.headDelay.Load()
	}
	if ms <= 0 {
		return true
	}
	if r.Method != http.MethodHead {
		p.heldDownloads.Add(1)
	}
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return true
	case <-r.Context().Done():
		return false
	}
}

func (p *Publisher) federationInfo(w http.ResponseWriter) {
	type assetInfo struct {
		Domain       string `json:"domain"`
		NamingScheme string `json:"namingScheme"`
	}
	writeJSON(w, http.StatusOK, struct {
		Version     string       `json:"version"`
		Features    []string     `json:"features"`
		AssetInfo   assetInfo    `json:"assetInfo"`
		KeyRotation *keyRotation `json:"key_rotation,omitempty"`
	}{
		Version:     "1.0.0",
		Features:    []string{"plugin-distribution", "signature-verification"},
		AssetInfo:   assetInfo{Domain: p.opts.AssetDomain, NamingScheme: p.opts.NamingScheme},
		KeyRotation: p.opts.KeyRotation,
	})
}

func (p *Publisher) verifyOwnership(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Username  *string `json:"username"`
		Challenge *string `json:"challenge"`
	}
	if status, err := decodeJSON(w, r, maxChallengeBody, &req, false); err != nil {
		writeError(w, status, err.Error())
		return
	}
	switch {
	case req.Username == nil || req.Challenge == nil:
		writeError(w, http.StatusBadRequest, `want {"username": ..., "challenge": ...}`)
	case *req.Username != p.opts.Username:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown username %q", *req.Username))
	case *req.Challenge == "":
		writeError(w, http.StatusBadRequest, "challenge is empty")
	case !wellFormedChallenge(*req.Challenge):
		// Signing anything else would make this endpoint a signing oracle:
		// the same key signs plugin claims.
		writeError(w, http.StatusBadRequest, fmt.Sprintf("challenge is not of the form %q followed by %d lower-case hex digits", domain.ChallengePrefix, 2*domain.ChallengeNonceBytes))
	default:
		writeJSON(w, http.StatusOK, map[string]string{"signature": signChallenge(p.keys.Challenge, *req.Challenge)})
	}
}

// authorPlugin is one plugin as /author-data lists it, fields in the
// original's order. Slug, name and version are left out when empty so that
// the admin hook can send a plugin that lacks them.
type authorPlugin struct {
	Slug             string            `json:"slug,omitempty"`
	Name             string            `json:"name,omitempty"`
	Version          string            `json:"version,omitempty"`
	ShortDescription string            `json:"short_description"`
	Tags             any               `json:"tags"`
	Icons            map[string]string `json:"icons"`
	Rating           float64           `json:"rating"`
	ActiveInstalls   int               `json:"active_installs"`
	Signature        string            `json:"signature,omitempty"`
	SHA256           string            `json:"sha256,omitempty"`
}

type authorDocument struct {
	Username    string         `json:"username"`
	MemberSince string         `json:"member_since"`
	Website     string         `json:"website"`
	GitHub      string         `json:"github"`
	Twitter     string         `json:"twitter"`
	Plugins     []authorPlugin `json:"plugins"`
}

func (p *Publisher) authorData(w http.ResponseWriter, r *http.Request) {
	author := r.URL.Query().Get("author")
	switch {
	case author == "":
		writeError(w, http.StatusBadRequest, "the author query parameter is required")
		return
	case author != p.opts.Username:
		writeError(w, http.StatusNotFound, fmt.Sprintf("author %q not found", author))
		return
	}
	doc := authorDocument{
		Username:    p.opts.Username,
		MemberSince: "2024-01-01",
		Website:     "https://example.com/" + url.PathEscape(p.opts.Username),
		GitHub:      p.opts.Username,
		Twitter:     p.opts.Username,
		Plugins:     []authorPlugin{},
	}
	for _, it := range p.catalog.Load().items {
		ap := authorPlugin{
			Slug:             it.Slug,
			Name:             it.Name,
			Version:          it.Version,
			ShortDescription: it.ShortDescription,
			Tags:             tagObject(it.Tags),
			// Placeholders like the original's; this publisher serves no icons.
			Icons:          map[string]string{"1x": "icons/" + url.PathEscape(it.Slug) + ".png", "2x": "icons/" + url.PathEscape(it.Slug) + "@2x.png"},
			Rating:         it.Rating,
			ActiveInstalls: it.ActiveInstalls,
			SHA256:         it.SHA256,
		}
		if it.TagsAsArray {
			ap.Tags = append([]string{}, it.Tags...)
		}
		if !it.OmitSignature {
			ap.Signature = it.signature
		}
		if ap.SHA256 == "" && p.opts.WithSHA256 {
			ap.SHA256 = it.sha256
		}
		doc.Plugins = append(doc.Plugins, ap)
	}
	writeJSON(w, http.StatusOK, doc)
}

// tagObject is the original's tags form, {"category1": t1, "category2": t2,
// ...}, written in that order (a Go map would put category10 before
// category2).
type tagObject []string

func (t tagObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, tag := range t {
		if i > 0 {
			b.WriteByte(',')
		}
		v, err := marshalJS(tag)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, `"category%d":%s`, i+1, v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (p *Publisher) serveAsset(w http.ResponseWriter, r *http.Request) {
	it := p.lookupAsset(r.URL.EscapedPath())
	if it == nil {
		writeError(w, http.StatusNotFound, "not found")
		return
	}
	if !allowMethods(w, r, http.MethodGet, http.MethodHead) {
		return
	}
	p.files.count(r)
	w.Header().Set("Content-Type", "application/zip")
	// Both name the file's sha256, so a node asks about a file it holds with
	// a HEAD or an If-None-Match instead of downloading it again
	// (docs/protocol.md, "Revalidating asset files").
	w.Header().Set("ETag", strconv.Quote(it.sha256))
	w.Header().Set("X-Content-SHA256", it.sha256)
	if bps := p.trickleBPS.Load(); bps > 0 {
		trickle(w, r, it.content, bps)
		return
	}
	// ServeContent sets Content-Length and answers Range and If-None-Match.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(it.content))
}

func (p *Publisher) lookupAsset(escaped string) *item {
	segs, err := pathSegments(escaped)
	if err != nil {
		return nil
	}
	c := p.catalog.Load()
	if it := c.byPath[segmentsKey(segs)]; it != nil {
		return it
	}
	// segs[0] is the empty string before the leading slash.
	n := len(p.assetPrefix)
	if n > 0 && len(segs) > n+1 && slices.Equal(segs[1:n+1], p.assetPrefix) {
		return c.byPath[segmentsKey(append([]string{""}, segs[n+1:]...))]
	}
	return nil
}

// allowMethods answers 405 with an Allow header unless r uses one of
// methods.
func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	if slices.Contains(methods, r.Method) {
		return true
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed", r.Method))
	return false
}

// decodeJSON reads one JSON value of at most limit bytes into v. It returns
// the status to answer with when the body is unusable.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any, strict bool) (int, error) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	if strict {
		dec.DisallowUnknownFields()
	}
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("trailing data after the JSON value")
	}
	if err == nil {
		return 0, nil
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge, fmt.Errorf("body is larger than %d bytes", limit)
	}
	return http.StatusBadRequest, fmt.Errorf("body is not the JSON expected: %v", err)
}

// marshalJS encodes like JSON.stringify as far as encoding/json can:
// without escaping '<', '>' and '&'.
func marshalJS(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := marshalJS(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":"cannot encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// withRequestLog logs every request's method, path and status once.
func withRequestLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.Info("request", "method", r.Method, "path", r.URL.EscapedPath(), "status", rec.status, "duration", time.Since(start))
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func wellFormedChallenge(challenge string) bool {
	_, err := domain.ParseChallenge(challenge)
	return err == nil
}
