package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"sync"

	"github.com/pfn-network/pfn/domain"
)

var _ Catalog = (*MemoryCatalog)(nil)

// MemoryCatalog is a publisher's /author-data and files in memory. Like the
// publisher client, it answers an unknown listing or file with an error,
// and a file's body announces its length.
type MemoryCatalog struct {
	mu        sync.Mutex
	listings  map[string][]ListedPlugin // by instance URL and author
	files     map[string][]byte         // by URL
	failures  map[string]error          // by URL, or by instance URL and author
	downloads []string
	// What files name when asked about (memory_revalidate.go).
	announced   map[string]string // by URL
	validations []string
}

func listingKey(instanceURL, author string) string { return instanceURL + " " + author }

// List makes the author's listing at instanceURL plugins.
func (m *MemoryCatalog) List(instanceURL, author string, plugins ...ListedPlugin) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listings == nil {
		m.listings = map[string][]ListedPlugin{}
	}
	m.listings[listingKey(instanceURL, author)] = append([]ListedPlugin(nil), plugins...)
}

// Serve makes url answer content.
func (m *MemoryCatalog) Serve(url string, content []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.files == nil {
		m.files = map[string][]byte{}
	}
	m.files[url] = bytes.Clone(content)
}

// FailDownload makes url answer err (nil: answer again).
func (m *MemoryCatalog) FailDownload(url string, err error) { m.fail(url, err) }

// FailListing makes the author's listing at instanceURL answer err (nil:
// answer again).
func (m *MemoryCatalog) FailListing(instanceURL, author string, err error) {
	m.fail(listingKey(instanceURL, author), err)
}

func (m *MemoryCatalog) fail(key string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failures == nil {
		m.failures = map[string]error{}
	}
	m.failures[key] = err
}

// Downloads are the URLs asked for, in order.
func (m *MemoryCatalog) Downloads() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.downloads...)
}

func (m *MemoryCatalog) AuthorData(ctx context.Context, instanceURL, author string) ([]ListedPlugin, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := listingKey(instanceURL, author)
	if err := m.failures[key]; err != nil {
		return nil, err
	}
	listed, ok := m.listings[key]
	if !ok {
		return nil, fmt.Errorf("author-data of %s at %s: %w", author, instanceURL, domain.ErrNotFound)
	}
	return append([]ListedPlugin(nil), listed...), nil
}

func (m *MemoryCatalog) Download(ctx context.Context, url string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.downloads = append(m.downloads, url)
	if err := m.failures[url]; err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	content, ok := m.files[url]
	if !ok {
		return nil, fmt.Errorf("GET %s: %w", url, domain.ErrNotFound)
	}
	return sizedBody{bytes.NewReader(content), int64(len(content))}, nil
}

// sizedBody announces its length, as a publisher's Content-Length.
type sizedBody struct {
	*bytes.Reader
	length int64
}

func (b sizedBody) ContentLength() int64 { return b.length }
func (sizedBody) Close() error           { return nil }

// SignListing is p with the publisher signature key makes over its claim.
func SignListing(key ed25519.PrivateKey, p ListedPlugin) ListedPlugin {
	claim := p.Claim()
	p.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, claim.SignedMessage()))
	return p
}

// SignListingV2 is p signed as a v2 publisher signs it: the v1 signature,
// and signature_v2 over the claim with content's sha256 and size.
func SignListingV2(key ed25519.PrivateKey, p ListedPlugin, content []byte) ListedPlugin {
	p = SignListing(key, p)
	sum := sha256.Sum256(content)
	p.SHA256, p.Size = hex.EncodeToString(sum[:]), int64(len(content))
	claim := domain.PluginBytesClaim{PluginClaim: p.Claim(), SHA256: p.SHA256, Size: p.Size}
	p.SignatureV2 = base64.StdEncoding.EncodeToString(ed25519.Sign(key, claim.SignedMessage()))
	return p
}
