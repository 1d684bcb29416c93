// Package logwatch watches another node's transparency log (C2SP
// tlog-tiles, served under /federation/log/): it checks that each new
// signed checkpoint extends the one trusted before and that every new
// entry the log serves is the one its tree commits to.
//
// What it calls an *Inconsistency rests on what the log signed: a
// checkpoint that shrinks, forks or rewrites the trusted tree is the
// node's own signature against itself. An entry that does not hash to its
// leaf is weaker evidence: the leaf is proven against the signed root, but
// an entry bundle's bytes carry no signature, so the mismatch proves that
// what reached the reader is not what the signed tree holds: the node
// serves entries its signed tree does not hold, or something on the path
// between (a proxy, a cache) altered them. Either way those entries are
// not the logged ones, and over HTTPS the path is the node's. Anything
// else (a timeout, a refused call, an answer too large or malformed, a
// signature that does not verify, a hash tile that does not hash to the
// signed root) is an ordinary error, to retry: nothing signed says the log
// lied.
//
// The tree arithmetic is golang.org/x/mod/sumdb/tlog's, the signatures
// sumdb/note's, the wire spellings internal/tlogtiles'.
package logwatch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Fetcher reads one file of a log: path is relative to the log's prefix
// ("checkpoint", "tile/0/000", "tile/entries/001.p/7"). An answer over max
// bytes is an error, not a truncated answer.
type Fetcher interface {
	Fetch(ctx context.Context, path string, max int64) ([]byte, error)
}

// HTTPFetcher fetches over HTTP: Prefix + path, each call within Timeout.
type HTTPFetcher struct {
	Prefix  string // such as https://node.example/federation/log/
	Client  *http.Client
	Timeout time.Duration
}

// NewHTTPFetcher reads the log a node at base (its base URL) serves.
func NewHTTPFetcher(base string, client *http.Client, timeout time.Duration) *HTTPFetcher {
	return &HTTPFetcher{Prefix: strings.TrimRight(base, "/") + "/federation/log/", Client: client, Timeout: timeout}
}

// errTooLarge: the answer is over the cap the caller gave.
var errTooLarge = errors.New("answer too large")

// Fetch is a GET that must answer 200 with at most max bytes, all read
// within the timeout (a peer that sends slowly is cut off too).
func (h *HTTPFetcher) Fetch(ctx context.Context, path string, max int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	u := h.Prefix + path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := h.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("GET %s answered %d: %s", u, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if resp.ContentLength > max {
		return nil, fmt.Errorf("GET %s: %d bytes, at most %d: %w", u, resp.ContentLength, max, errTooLarge)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(raw)) > max {
		return nil, fmt.Errorf("GET %s: more than %d bytes: %w", u, max, errTooLarge)
	}
	return raw, nil
}
