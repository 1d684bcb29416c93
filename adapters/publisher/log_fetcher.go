package publisher

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// LogFetcher reads the files of a PFN node's transparency log below
// <instance URL>/federation/log/ (internal/logwatch's Fetcher) through
// the client's guarded transport: each call within the client's deadline,
// private addresses refused at dial time, redirects checked, and the body
// capped at what the caller asks (never more than maxLogFile).
type LogFetcher struct {
	c    *Client
	base *url.URL
}

// maxLogFile caps one file of a log whatever the caller asks: an entry
// bundle of 256 statements of at most 64 KiB each is far below it.
const maxLogFile = 16 << 20

// LogFetcher reads the log of the node at instanceURL.
func (c *Client) LogFetcher(instanceURL string) (*LogFetcher, error) {
	u, err := endpointURL(instanceURL, "federation/log/")
	if err != nil {
		return nil, fmt.Errorf("transparency log: %w", err)
	}
	return &LogFetcher{c: c, base: u}, nil
}

// Fetch GETs one file of the log: path is "checkpoint" or a tile's path
// (tlogtiles.Path), nothing else; at most maxBytes are read, a longer
// answer is ErrIncompatible, as is a status other than 2xx.
func (f *LogFetcher) Fetch(ctx context.Context, path string, maxBytes int64) ([]byte, error) {
	if path != "checkpoint" {
		if _, err := tlogtiles.ParsePath(path); err != nil {
			return nil, fmt.Errorf("transparency log: %w", err)
		}
	}
	u := *f.base
	u.Path += path
	if u.RawPath != "" {
		u.RawPath += path // a path of tlogtiles' needs no escaping
	}
	body, err := f.get(ctx, &u, min(max(maxBytes, 0), maxLogFile))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u.Redacted(), err)
	}
	return body, nil
}

func (f *LogFetcher) get(ctx context.Context, u *url.URL, maxBytes int64) ([]byte, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, f.c.timeout, errDeadline)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("cannot build request: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := f.c.http.Do(req)
	if err != nil {
		return nil, f.c.transportError(ctx, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, statusError(resp)
	}
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("response of %d bytes, at most %d: %w", resp.ContentLength, maxBytes, ErrIncompatible)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, f.c.transportError(ctx, u, err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("response larger than %d bytes: %w", maxBytes, ErrIncompatible)
	}
	return data, nil
}
