package app

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// syncBudget is what one sync may still store: bytes of this sync
// (PFN_SYNC_MAX_BYTES) and bytes left under the source's quota
// (PFN_SOURCE_QUOTA_BYTES). Downloads run in parallel and draw on it as
// their bytes arrive, so the quota holds however they interleave: a
// download whose next bytes do not fit fails, and what it drew is given
// back for the others.
type syncBudget struct {
	mu         sync.Mutex
	syncLeft   int64 // < 0: no limit
	quotaLeft  int64 // < 0: no limit
	syncBytes  int64 // the settings, for the reasons
	quotaBytes int64
}

// newSyncBudget: syncBytes and quotaBytes of 0 mean no limit; used is what
// the source keeps already.
func newSyncBudget(syncBytes, quotaBytes, used int64) *syncBudget {
	b := &syncBudget{syncLeft: -1, quotaLeft: -1, syncBytes: syncBytes, quotaBytes: quotaBytes}
	if syncBytes > 0 {
		b.syncLeft = syncBytes
	}
	if quotaBytes > 0 {
		b.quotaLeft = max(quotaBytes-used, 0)
	}
	return b
}

// budgetError is a file the budget refused. Deferred ones are the node's
// own pacing (a later sync takes them) and are not recorded; quota refusals
// are recorded like any other refusal of a version.
type budgetError struct {
	reason   string
	deferred bool
}

func (e *budgetError) Error() string { return e.reason }

func (b *syncBudget) quotaError() error {
	return &budgetError{reason: fmt.Sprintf("quota: storing this file would pass the source's storage quota of %d bytes (PFN_SOURCE_QUOTA_BYTES)", b.quotaBytes)}
}

func (b *syncBudget) syncBytesError() error {
	return &budgetError{deferred: true,
		reason: fmt.Sprintf("deferred: this sync's budget of %d bytes (PFN_SYNC_MAX_BYTES) is spent; a later sync fetches it", b.syncBytes)}
}

func filesDeferred(maxFiles int) error {
	return &budgetError{deferred: true,
		reason: fmt.Sprintf("deferred: this sync's budget of %d files (PFN_SYNC_MAX_FILES) is spent; a later sync fetches it", maxFiles)}
}

// take draws n more bytes for a download that drew drawn so far. When they
// do not fit, it refuses them and gives back drawn in the same step: the
// download has failed, and another one must not fail for want of bytes it
// still held. So the last download running always has the whole budget
// that is left, and a file that fits it completes.
func (b *syncBudget) take(n, drawn int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var err error
	switch {
	case b.quotaLeft >= 0 && n > b.quotaLeft:
		err = b.quotaError()
	case b.syncLeft >= 0 && n > b.syncLeft:
		err = b.syncBytesError()
	}
	if err != nil {
		b.giveBackLocked(drawn)
		return err
	}
	if b.quotaLeft >= 0 {
		b.quotaLeft -= n
	}
	if b.syncLeft >= 0 {
		b.syncLeft -= n
	}
	return nil
}

// giveBack returns what a failed download drew.
func (b *syncBudget) giveBack(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.giveBackLocked(n)
}

func (b *syncBudget) giveBackLocked(n int64) {
	if b.quotaLeft >= 0 {
		b.quotaLeft += n
	}
	if b.syncLeft >= 0 {
		b.syncLeft += n
	}
}

// spent says why no download should even start, or nil.
func (b *syncBudget) spent() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.quotaLeft == 0:
		return b.quotaError()
	case b.syncLeft == 0:
		return b.syncBytesError()
	}
	return nil
}

// splitByFiles keeps the first maxFiles downloads (0: no limit) and returns
// the rest, deferred to a later sync.
func splitByFiles[T any](todo []T, maxFiles int) (kept, deferred []T) {
	if maxFiles <= 0 || len(todo) <= maxFiles {
		return todo, nil
	}
	return todo[:maxFiles], todo[maxFiles:]
}

// budgetReader draws on the budget for every byte it passes on beyond what
// it reserved, and remembers the first failure, so the caller can tell the
// publisher's side (a refused budget, a transfer that stalled) from the
// blob store's.
type budgetReader struct {
	r     io.Reader
	b     *syncBudget
	drawn int64 // reserved or read, whichever is more
	read  int64
	err   error
}

// reserve draws a file's announced length before any of it is read: a file
// that cannot fit is refused at once and draws nothing, instead of holding
// bytes another download needs until it fails part-way.
func (br *budgetReader) reserve(n int64) error {
	if err := br.b.take(n, br.drawn); err != nil {
		br.drawn = 0 // given back
		br.err = err
		return err
	}
	br.drawn += n
	return nil
}

func (br *budgetReader) Read(p []byte) (int, error) {
	if br.err != nil {
		return 0, br.err
	}
	n, err := br.r.Read(p)
	if n > 0 {
		br.read += int64(n)
		// Bytes past the reservation (none was made, or the publisher sent
		// more than it announced) are drawn as they come.
		if over := br.read - br.drawn; over > 0 {
			if berr := br.b.take(over, br.drawn); berr != nil {
				br.drawn = 0 // given back
				br.err = berr
				return 0, berr
			}
			br.drawn += over
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		br.err = err
	}
	return n, err
}

// settle gives back what was reserved and not read, after a download that
// completed.
func (br *budgetReader) settle() {
	if extra := br.drawn - br.read; extra > 0 {
		br.b.giveBack(extra)
		br.drawn = br.read
	}
}

// release gives back what was drawn, after a failed download or a file
// that is not kept.
func (br *budgetReader) release() {
	br.b.giveBack(br.drawn)
	br.drawn = 0
}

// announcedLength is the length a download's body announced (its
// Content-Length), or -1 when it announced none.
func announcedLength(body io.Reader) int64 {
	if s, ok := body.(interface{ ContentLength() int64 }); ok {
		return s.ContentLength()
	}
	return -1
}
