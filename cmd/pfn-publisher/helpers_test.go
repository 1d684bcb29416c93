package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

const testAuthor = "plugin-author"

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func sameKeys(t *testing.T) Keys {
	key := newKey(t)
	return Keys{Plugin: key, Challenge: key}
}

// startPublisher serves a Publisher over a real loopback listener. Zero
// fields of opts get the binary's defaults; an empty AssetDomain becomes the
// server's own URL, as in main, and one that starts with '/' that URL with
// this path.
func startPublisher(t *testing.T, opts Options, keys Keys, plugins []Plugin) (*httptest.Server, *Publisher) {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	if opts.Username == "" {
		opts.Username = testAuthor
	}
	if opts.NamingScheme == "" {
		opts.NamingScheme = "plugins/author/slug/slug.zip"
	}
	if opts.PluginSize == 0 {
		opts.PluginSize = 4096
	}
	if opts.AssetDomain == "" || strings.HasPrefix(opts.AssetDomain, "/") {
		opts.AssetDomain = "http://" + srv.Listener.Addr().String() + opts.AssetDomain
	}
	pub, err := NewPublisher(opts, keys, plugins)
	if err != nil {
		srv.Listener.Close()
		t.Fatal(err)
	}
	srv.Config.Handler = pub
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, pub
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, method, url, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// decodedPlugin is a plugin as a node reads /author-data.
type decodedPlugin struct {
	Slug             string          `json:"slug"`
	Name             string          `json:"name"`
	Version          string          `json:"version"`
	ShortDescription string          `json:"short_description"`
	Tags             json.RawMessage `json:"tags"`
	Signature        *string         `json:"signature"`
	SHA256           *string         `json:"sha256"`
	SignatureV2      *string         `json:"signature_v2"`
	Size             *int64          `json:"size"`
}

func (p decodedPlugin) claim() domain.PluginClaim {
	return domain.PluginClaim{ID: p.Slug, Name: p.Name, Version: p.Version, Description: p.ShortDescription}
}

// tagValues accepts both forms the protocol allows and keeps the object's
// order.
func (p decodedPlugin) tagValues(t *testing.T) []string {
	t.Helper()
	var list []string
	if err := json.Unmarshal(p.Tags, &list); err == nil {
		return list
	}
	dec := json.NewDecoder(bytes.NewReader(p.Tags))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("tags %s: %v", p.Tags, err)
		}
		list = append(list, v)
	}
	return list
}

func authorPlugins(t *testing.T, base string) []decodedPlugin {
	t.Helper()
	r := do(t, http.MethodGet, base+"/author-data?author="+testAuthor, "")
	if r.status != http.StatusOK {
		t.Fatalf("/author-data: %d %s", r.status, r.body)
	}
	var doc struct {
		Username string          `json:"username"`
		Plugins  []decodedPlugin `json:"plugins"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Username != testAuthor {
		t.Fatalf("username %q", doc.Username)
	}
	return doc.Plugins
}

func verifies(pub ed25519.PublicKey, msg []byte, sigB64 string) bool {
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	return err == nil && ed25519.Verify(pub, msg, sig)
}

func public(key ed25519.PrivateKey) ed25519.PublicKey { return key.Public().(ed25519.PublicKey) }

// testChallenge is a well-formed ownership challenge, the only kind the
// publisher signs.
const testChallenge = "pfn-ownership-challenge/v1 89df1152dbf2403344133799b2df1c3841a289df1152dbf2403344133799b2df"
