package publisher

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/pfn-network/pfn/domain"
)

// ChangePage is what a node's change feed page (GET /federation/changes,
// docs/feed.md) says to a node that follows it: how many changes it lists
// after the cursor asked, the cursor to ask after next, and whether more
// are waiting. The changes themselves are not kept: a follower fetches the
// listing when there is any.
type ChangePage struct {
	Changes int
	Next    int64
	More    bool
}

// MaxChangePage is the most changes one page may be asked for here: a page
// of changes of a few hundred bytes each stays well under the body cap.
const MaxChangePage = 500

// Changes reads one page of a node's change feed for one source, after a
// cursor, through the client's deadline, body cap and address rule.
func (c *Client) Changes(ctx context.Context, nodeURL, source string, after int64, limit int) (ChangePage, error) {
	u, err := endpointURL(nodeURL, "federation/changes")
	if err != nil {
		return ChangePage{}, fmt.Errorf("GET /federation/changes: %w", err)
	}
	if source == "" || after < 0 || limit < 1 || limit > MaxChangePage {
		return ChangePage{}, fmt.Errorf("GET %s: a source, a cursor from 0 and a limit of 1 to %d: %w", u, MaxChangePage, domain.ErrInvalidInput)
	}
	q := u.Query()
	q.Set("source", source)
	q.Set("after", strconv.FormatInt(after, 10))
	q.Set("limit", strconv.Itoa(limit))
	u.RawQuery = q.Encode()
	body, err := c.call(ctx, http.MethodGet, u, nil)
	if err != nil {
		return ChangePage{}, fmt.Errorf("GET %s: %w", u, err)
	}
	page, err := parseChangePage(body, after, limit)
	if err != nil {
		return ChangePage{}, fmt.Errorf("GET %s: %w: %w", u, err, ErrIncompatible)
	}
	return page, nil
}

// parseChangePage decodes a feed page asked after a cursor with a limit.
// It never panics (FuzzChangePage). It holds the page to what was asked:
// at most limit changes, each cursor a whole number after the last one,
// and a next that is the last change's (after when there is none); a page
// that does not is refused, so a confused upstream cannot move the cursor.
func parseChangePage(body []byte, after int64, limit int) (ChangePage, error) {
	obj, err := parseJSONObject(body)
	if err != nil {
		return ChangePage{}, err
	}
	raw := obj.member("changes")
	if raw == nil {
		return ChangePage{}, errors.New(`no "changes"`)
	}
	elems, err := obj.array("changes")
	if err != nil {
		return ChangePage{}, err
	}
	if len(elems) > limit {
		return ChangePage{}, fmt.Errorf(`"changes" lists %d, more than the %d asked`, len(elems), limit)
	}
	last := after
	for i, e := range elems {
		change, err := parseJSONObject(e)
		if err != nil {
			return ChangePage{}, fmt.Errorf("changes[%d]: %w", i, err)
		}
		n, err := cursorMember(change, "cursor")
		if err != nil {
			return ChangePage{}, fmt.Errorf("changes[%d]: %w", i, err)
		}
		if n <= last {
			return ChangePage{}, fmt.Errorf("changes[%d] has cursor %d, not after %d", i, n, last)
		}
		last = n
	}
	next, err := cursorMember(obj, "next")
	if err != nil {
		return ChangePage{}, err
	}
	if next != last {
		return ChangePage{}, fmt.Errorf(`"next" is %d, want %d (the last change's cursor, or the one asked after)`, next, last)
	}
	var more bool
	if m := obj.member("more"); m != nil {
		if err := json.Unmarshal(m, &more); err != nil {
			return ChangePage{}, fmt.Errorf(`"more" is %s, want true or false`, jsonKind(m))
		}
	}
	return ChangePage{Changes: len(elems), Next: next, More: more}, nil
}

// cursorMember reads a feed cursor: a string of decimal digits.
func cursorMember(obj jsonObject, key string) (int64, error) {
	s, err := obj.str(key)
	if err != nil {
		return 0, err
	}
	n, err := domain.ParseChangeCursor(key, s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a cursor (decimal digits)", key)
	}
	return n, nil
}
