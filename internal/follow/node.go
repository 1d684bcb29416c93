package follow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Caps on what the node sends: a feed page of 1000 changes is about
// 400 KB, a verify answer a few KB; /federation/sources lists every source.
const (
	maxPage    = 8 << 20
	maxAnswer  = 1 << 20
	maxSources = 32 << 20
)

// errGone: the node does not serve the version now (404, 410; 451 while
// its source is quarantined): yanked, pruned or withheld since the change,
// which a later change says; nothing to fetch.
var errGone = errors.New("the node no longer serves this version")

// errDenied: the node refused the API key, or the lack of one (401, 403).
var errDenied = errors.New("the node refused the call")

// Node is the followed node's HTTP API. Every call has a deadline and every
// answer a cap.
type Node struct {
	Base            string        // base URL, no trailing slash
	APIKey          string        // sent as a Bearer token when set
	Client          *http.Client  // its own Timeout is not relied on
	Timeout         time.Duration // per JSON call (plus the wait of a long poll)
	DownloadTimeout time.Duration // per file
}

// Info is the node's keys from GET /federation-info: node_keys, or the one
// public_key/key_id of a node that lists no history.
func (n *Node) Info(ctx context.Context) ([]NodeKey, error) {
	var info struct {
		PublicKey string    `json:"public_key"`
		KeyID     string    `json:"key_id"`
		NodeKeys  []NodeKey `json:"node_keys"`
	}
	if err := n.getJSON(ctx, "/federation-info", nil, 0, maxAnswer, &info); err != nil {
		return nil, err
	}
	if len(info.NodeKeys) == 0 && info.PublicKey != "" {
		return []NodeKey{{KeyID: info.KeyID, PublicKey: info.PublicKey}}, nil
	}
	return info.NodeKeys, nil
}

// Changes reads one feed page after the cursor; wait > 0 long-polls.
func (n *Node) Changes(ctx context.Context, after string, limit int, wait time.Duration) (Page, error) {
	q := url.Values{"after": {after}, "limit": {strconv.Itoa(limit)}}
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	raw, err := n.get(ctx, "/federation/changes", q, wait, maxPage)
	if err != nil {
		return Page{}, err
	}
	seq, err := ParseCursor(after)
	if err != nil {
		return Page{}, err
	}
	return ParsePage(raw, seq)
}

// Row is the catalogue row of one version, from GET /federation/verify
// (whose own verdict the follower does not take: it checks for itself).
func (n *Node) Row(ctx context.Context, source, plugin, version string) (Row, error) {
	var answer struct {
		Plugin Row `json:"plugin"`
	}
	q := url.Values{"source": {source}, "plugin": {plugin}, "version": {version}}
	err := n.getJSON(ctx, "/federation/verify", q, 0, maxAnswer, &answer)
	return answer.Plugin, err
}

// SourceKeys is the key history the node shows for a source in GET
// /federation/sources: nil without an API key, or with one the node does
// not let read it (the listing is for admins; a consumer key of a private
// catalogue reads the rest).
func (n *Node) SourceKeys(ctx context.Context, source string) ([]string, error) {
	if n.APIKey == "" {
		return nil, nil
	}
	var list struct {
		Sources []struct {
			ID         string `json:"id"`
			PublicKey  string `json:"public_key"`
			KeyHistory []struct {
				PublicKey string `json:"public_key"`
			} `json:"key_history"`
		} `json:"sources"`
	}
	err := n.getJSON(ctx, "/federation/sources", url.Values{"include_removed": {"true"}}, 0, maxSources, &list)
	if errors.Is(err, errDenied) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, s := range list.Sources {
		if s.ID != source {
			continue
		}
		keys := []string{s.PublicKey}
		for _, k := range s.KeyHistory {
			keys = append(keys, k.PublicKey)
		}
		return keys, nil
	}
	return nil, nil
}

// Download streams a version's file into w, refusing more than size bytes.
func (n *Node) Download(ctx context.Context, source, plugin, version string, size int64, w io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, n.DownloadTimeout)
	defer cancel()
	q := url.Values{"source": {source}, "plugin": {plugin}, "version": {version}}
	resp, err := n.do(ctx, "/federation/download", q)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := statusError(resp); err != nil {
		return err
	}
	got, err := io.Copy(w, io.LimitReader(resp.Body, size+1))
	if err != nil {
		return fmt.Errorf("download %s %s %s: %w", source, plugin, version, err)
	}
	if got > size {
		return fmt.Errorf("download %s %s %s: more than the %d bytes the node signed", source, plugin, version, size)
	}
	return nil
}

func (n *Node) getJSON(ctx context.Context, path string, q url.Values, wait time.Duration, limit int64, into any) error {
	raw, err := n.get(ctx, path, q, wait, limit)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("GET %s: not the JSON expected: %w", path, err)
	}
	return nil
}

// get reads a whole answer of at most limit bytes within the timeout (and
// the wait of a long poll).
func (n *Node) get(ctx context.Context, path string, q url.Values, wait time.Duration, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, n.Timeout+wait)
	defer cancel()
	resp, err := n.do(ctx, path, q)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := statusError(resp); err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("GET %s: the answer is larger than %d bytes", path, limit)
	}
	return raw, nil
}

func (n *Node) do(ctx context.Context, path string, q url.Values) (*http.Response, error) {
	u := n.Base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if n.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+n.APIKey)
	}
	resp, err := n.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return resp, nil
}

// statusError turns an answer other than 200 into an error naming the
// problem's text (capped): errGone for 404, 410 and 451, errDenied for 401
// and 403.
func statusError(resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	msg := fmt.Sprintf("GET %s answered %d: %s", resp.Request.URL.Path, resp.StatusCode, strings.TrimSpace(string(body)))
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusGone, http.StatusUnavailableForLegalReasons:
		return fmt.Errorf("%s: %w", msg, errGone)
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%s: %w", msg, errDenied)
	}
	return errors.New(msg)
}
