package main

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Plugin is one entry of the publisher's catalog: what /author-data lists
// and what its asset path serves.
type Plugin struct {
	Slug             string
	Name             string
	Version          string
	ShortDescription string
	Tags             []string
	Rating           float64
	ActiveInstalls   int
	// Content is the file served at the asset path; nil means the bytes
	// generated from slug and version (see pluginContent).
	Content []byte
	// SHA256, when set, is sent as the plugin's sha256 field as is, even
	// without -with-sha256 and even if it does not match Content.
	SHA256 string
	// BadSignature signs a different claim, so the signature is well formed
	// but does not verify; OmitSignature leaves the field out.
	BadSignature  bool
	OmitSignature bool
	// BadSignatureV2 and OmitSignatureV2 do the same to signature_v2
	// (with the sha256 and size it signs).
	BadSignatureV2  bool
	OmitSignatureV2 bool
	// TagsAsArray sends tags as ["a","b"] instead of the original's
	// {"category1":"a","category2":"b"}; the protocol says accept both.
	TagsAsArray bool
}

// tagCycle is the fixed tag set the generated catalog cycles over.
var tagCycle = []string{"utilities", "productivity", "security", "media", "dev"}

// generatedTags gives plugin-i (i from 1) the i-th and (i+1)-th tag of
// tagCycle, wrapping around, so tag number j is on exactly the plugins with
// i mod 5 equal to j or j-1 (mod 5). The -help text states the same rule.
func generatedTags(i int) []string {
	n := len(tagCycle)
	return []string{tagCycle[(i-1)%n], tagCycle[i%n]}
}

// generatePlugins builds the catalog -plugins N describes. The descriptions
// hold '<', '>' and '&', which JSON.stringify leaves alone and Go's
// encoding/json escapes, so that a node that rebuilds the signed bytes the
// Go way fails on every generated plugin, not just on rare ones.
func generatePlugins(n int) []Plugin {
	plugins := make([]Plugin, 0, n)
	for i := 1; i <= n; i++ {
		tags := generatedTags(i)
		plugins = append(plugins, Plugin{
			Slug:             "plugin-" + strconv.Itoa(i),
			Name:             "Plugin " + strconv.Itoa(i),
			Version:          "1.0.0",
			ShortDescription: fmt.Sprintf("Generated test plugin %d for <%s> & <%s> tests", i, tags[0], tags[1]),
			Tags:             tags,
			Rating:           3.5 + float64(i%4)*0.5,
			ActiveInstalls:   i * 1000,
		})
	}
	return plugins
}

var zipMagic = []byte("PK\x03\x04")

// pluginContent is size bytes that depend on slug and version only: the zip
// local-header magic, then SHA-256 in counter mode over
// slug NUL version NUL counter (big-endian uint64). It is not a valid zip,
// but sniffs as one.
func pluginContent(slug, version string, size int) []byte {
	out := make([]byte, 0, size+sha256.Size)
	seed := []byte(slug + "\x00" + version + "\x00")
	var ctr [8]byte
	for i := uint64(0); len(out) < size; i++ {
		binary.BigEndian.PutUint64(ctr[:], i)
		h := sha256.New()
		h.Write(seed)
		h.Write(ctr[:])
		out = h.Sum(out)
	}
	out = out[:size]
	copy(out, zipMagic)
	return out
}

var placeholders = []string{"{author}", "{slug}", "{version}"}

// usesPlaceholders tells the explicit scheme from the legacy one: a scheme
// with any placeholder has its literal words left alone.
func usesPlaceholders(scheme string) bool {
	for _, p := range placeholders {
		if strings.Contains(scheme, p) {
			return true
		}
	}
	return false
}

// assetPath is the path, relative to the asset domain and already escaped,
// where the plugin's file lives. Legacy schemes get the original network's
// substitution, the first literal "author" and every literal "slug", but
// done on the scheme only, so an author called "slugger" stays intact.
// Every substituted value is path-escaped (a '/' in a slug becomes %2F).
func assetPath(scheme, author, slug, version string) string {
	a, s, v := url.PathEscape(author), url.PathEscape(slug), url.PathEscape(version)
	if usesPlaceholders(scheme) {
		return strings.NewReplacer("{author}", a, "{slug}", s, "{version}", v).Replace(scheme)
	}
	before, after, found := strings.Cut(scheme, "author")
	if !found {
		return strings.ReplaceAll(scheme, "slug", s)
	}
	return strings.ReplaceAll(before, "slug", s) + a + strings.ReplaceAll(after, "slug", s)
}

// checkNamingScheme refuses schemes that would put every plugin at one path
// or that do not form a path.
func checkNamingScheme(scheme string) error {
	switch {
	case scheme == "":
		return errors.New("is empty")
	case usesPlaceholders(scheme) && !strings.Contains(scheme, "{slug}"):
		return errors.New("has no {slug}: every plugin would share one file")
	case !usesPlaceholders(scheme) && !strings.Contains(scheme, "slug"):
		return errors.New(`has neither "slug" nor {slug}: every plugin would share one file`)
	case strings.ContainsAny(scheme, "?#"):
		return errors.New("holds '?' or '#': a naming scheme is a path")
	}
	if _, err := pathKey("/" + assetPath(scheme, "a", "s", "v")); err != nil {
		return err
	}
	return nil
}

// pathKey identifies an escaped URL path by its decoded segments, so that
// two spellings of one path (%40 and @) meet while %2F stays apart from /.
func pathKey(escaped string) (string, error) {
	segs, err := pathSegments(escaped)
	if err != nil {
		return "", err
	}
	return segmentsKey(segs), nil
}

func pathSegments(escaped string) ([]string, error) {
	segs := strings.Split(escaped, "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, fmt.Errorf("path segment %q: %w", s, err)
		}
		segs[i] = u
	}
	return segs, nil
}

func segmentsKey(segs []string) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(strconv.Quote(s))
		b.WriteByte('/')
	}
	return b.String()
}
