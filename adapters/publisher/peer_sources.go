package publisher

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// maxSourceIDBytes caps one source id a node lists: a username and a
// host:port, each far shorter.
const maxSourceIDBytes = 512

// SourceIDs lists up to limit source ids a PFN node mirrors, for the admin
// who is about to follow it. GET /federation/sources answers that, but a
// node keeps it to its admins; its catalogue (GET /federation/plugins,
// public on most nodes) names the sources with a plugin, so that is asked
// when the list is refused. Both calls go through the client's deadline,
// caps and address rule; the error is the first call's when both fail.
func (c *Client) SourceIDs(ctx context.Context, nodeURL string, limit int) ([]string, error) {
	ids, err := c.listIDs(ctx, nodeURL, "federation/sources", nil, "sources", "id", limit)
	if err == nil {
		return ids, nil
	}
	if errors.Is(err, ErrForbiddenAddress) || errors.Is(err, ErrUnreachable) {
		return nil, err // the catalogue is on the same host: no better luck
	}
	ids, err2 := c.listIDs(ctx, nodeURL, "federation/plugins", map[string]string{"limit": "200"}, "plugins", "source_id", limit)
	if err2 != nil {
		return nil, err
	}
	return ids, nil
}

// listIDs reads the distinct string member field of the rows of a node's
// listing, the rows under member (or a bare array of them), first seen
// first, at most limit.
func (c *Client) listIDs(ctx context.Context, nodeURL, endpoint string, query map[string]string, member, field string, limit int) ([]string, error) {
	u, err := endpointURL(nodeURL, endpoint)
	if err != nil {
		return nil, fmt.Errorf("GET /%s: %w", endpoint, err)
	}
	q := u.Query()
	for k, v := range query {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	body, err := c.call(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	ids, err := parseIDs(body, member, field, limit)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w: %w", u, err, ErrIncompatible)
	}
	return ids, nil
}

// parseIDs decodes {member: [{field: "..."}, ...]} or a bare array of the
// rows (the original node's shape of /federation/sources). It never panics;
// a row without the field, or with one over the cap, is an error.
func parseIDs(body []byte, member, field string, limit int) ([]string, error) {
	elems, err := rowsOf(body, member)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	for i, raw := range elems {
		row, err := parseJSONObject(raw)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", member, i, err)
		}
		id, err := row.str(field)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s[%d]: %w", member, i, err)
		case id == "" || len(id) > maxSourceIDBytes:
			return nil, fmt.Errorf("%s[%d] has no %q of 1 to %d bytes", member, i, field, maxSourceIDBytes)
		case seen[id]:
			continue
		}
		seen[id] = true
		ids = append(ids, id)
		if len(ids) == limit {
			break
		}
	}
	return ids, nil
}

// rowsOf returns the rows of a listing: a bare JSON array, or the array
// member of an object.
func rowsOf(body []byte, member string) ([]json.RawMessage, error) {
	trimmed := bytes.Trim(body, " \t\r\n")
	if jsonKind(trimmed) == "an array" {
		var elems []json.RawMessage
		if err := json.Unmarshal(trimmed, &elems); err != nil {
			return nil, fmt.Errorf("body is not JSON: %w", err)
		}
		return elems, nil
	}
	obj, err := parseJSONObject(body)
	if err != nil {
		return nil, err
	}
	elems, err := obj.array(member)
	if err == nil && elems == nil {
		err = fmt.Errorf("no %q", member)
	}
	return elems, err
}
