package main

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
)

// maxAdminBody caps POST /_admin/catalog, which carries file contents.
const maxAdminBody = 256 << 20

// catalogEntry is one plugin as POST /_admin/catalog takes it. Unknown
// fields are refused so that a typo in a test does not pass silently.
type catalogEntry struct {
	Slug             string   `json:"slug"`
	Name             string   `json:"name"`
	Version          string   `json:"version"`
	ShortDescription string   `json:"short_description"`
	Tags             []string `json:"tags"`
	// ContentBase64 is the file; absent means the bytes generated from slug
	// and version, "" an empty file.
	ContentBase64  *string  `json:"content_base64"`
	BadSignature   bool     `json:"bad_signature"`
	OmitSignature  bool     `json:"omit_signature"`
	TagsAsArray    bool     `json:"tags_as_array"`
	SHA256         string   `json:"sha256"`
	Rating         *float64 `json:"rating"`
	ActiveInstalls *int     `json:"active_installs"`
}

func (e catalogEntry) plugin() (Plugin, error) {
	p := Plugin{
		Slug:             e.Slug,
		Name:             e.Name,
		Version:          e.Version,
		ShortDescription: e.ShortDescription,
		Tags:             e.Tags,
		Rating:           4.5,
		ActiveInstalls:   1000,
		SHA256:           e.SHA256,
		BadSignature:     e.BadSignature,
		OmitSignature:    e.OmitSignature,
		TagsAsArray:      e.TagsAsArray,
	}
	if e.Rating != nil {
		p.Rating = *e.Rating
	}
	if e.ActiveInstalls != nil {
		p.ActiveInstalls = *e.ActiveInstalls
	}
	if e.ContentBase64 != nil {
		b, err := base64.StdEncoding.DecodeString(*e.ContentBase64)
		if err != nil {
			return Plugin{}, fmt.Errorf("plugin %q %q: content_base64: %v", e.Slug, e.Version, err)
		}
		p.Content = b
	}
	return p, nil
}

// assetListing tells a test where each plugin's file is and what it holds.
type assetListing struct {
	Slug    string `json:"slug"`
	Version string `json:"version"`
	URL     string `json:"url"`
	SHA256  string `json:"sha256"`
	Size    int    `json:"size"`
}

func (p *Publisher) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_admin/catalog":
		if !allowMethods(w, r, http.MethodGet, http.MethodPost) {
			return
		}
		if r.Method == http.MethodPost {
			if !p.replaceCatalog(w, r) {
				return
			}
		}
		p.listCatalog(w)
	case "/_admin/down", "/_admin/up":
		if allowMethods(w, r, http.MethodPost) {
			down := r.URL.Path == "/_admin/down"
			p.SetDown(down)
			writeJSON(w, http.StatusOK, map[string]bool{"down": down})
		}
	case "/_admin/stats":
		if allowMethods(w, r, http.MethodGet) {
			p.mu.Lock()
			at := make([]int64, len(p.authorDataAt))
			for i, t := range p.authorDataAt {
				at[i] = t.UnixMilli()
			}
			p.mu.Unlock()
			writeJSON(w, http.StatusOK, map[string]any{"author_data_requests": at, "held_downloads": p.heldDownloads.Load(),
				"requests": p.requests.Load(), "files": p.files.snapshot()})
		}
	case "/_admin/slow":
		// POST /_admin/slow?ms=N holds every file download back N ms;
		// with method=HEAD, every HEAD of a file (a node's revalidation).
		if allowMethods(w, r, http.MethodPost) {
			ms, err := strconv.ParseInt(r.URL.Query().Get("ms"), 10, 64)
			if err != nil || ms < 0 {
				writeError(w, http.StatusBadRequest, "ms: want a number of milliseconds")
				return
			}
			if r.URL.Query().Get("method") == http.MethodHead {
				p.headDelay.Store(ms)
				writeJSON(w, http.StatusOK, map[string]int64{"head_delay_ms": ms})
				return
			}
			p.assetDelay.Store(ms)
			writeJSON(w, http.StatusOK, map[string]int64{"asset_delay_ms": ms})
		}
	case "/_admin/trickle":
		if allowMethods(w, r, http.MethodPost) {
			p.setTrickle(w, r)
		}
	default:
		writeError(w, http.StatusNotFound, "not found")
	}
}

func (p *Publisher) replaceCatalog(w http.ResponseWriter, r *http.Request) bool {
	var entries []catalogEntry
	if status, err := decodeJSON(w, r, maxAdminBody, &entries, true); err != nil {
		writeError(w, status, err.Error())
		return false
	}
	plugins := make([]Plugin, 0, len(entries))
	for _, e := range entries {
		pl, err := e.plugin()
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return false
		}
		plugins = append(plugins, pl)
	}
	if err := p.SetCatalog(plugins); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return false
	}
	return true
}

func (p *Publisher) listCatalog(w http.ResponseWriter) {
	items := p.catalog.Load().items
	out := make([]assetListing, 0, len(items))
	for _, it := range items {
		out = append(out, assetListing{Slug: it.Slug, Version: it.Version, URL: p.assetURL(it.path), SHA256: it.sha256, Size: len(it.content)})
	}
	writeJSON(w, http.StatusOK, map[string][]assetListing{"plugins": out})
}
