package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// probePrefix holds the probe objects: one folder an operator recognises,
// apart from the plugin files.
const probePrefix = ".pfn-probe/"

// Probe writes a small object, reads it back, compares it and deletes it:
// what a sync will do, so a store that fails here would fail every sync.
// Each probe uses a new random key, so that nodes sharing a store never
// delete each other's probe.
func Probe(ctx context.Context, s Store) error {
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	key := probePrefix + hex.EncodeToString(id[:])
	want := []byte("pfn blob store probe " + key)
	if _, err := s.Put(ctx, key, bytes.NewReader(want), int64(len(want))); err != nil {
		return fmt.Errorf("write a probe object: %w", err)
	}
	got, readErr := readAll(ctx, s, key, int64(len(want)))
	// Delete even when the read failed: leave nothing behind that can be.
	delErr := s.Delete(ctx, key)
	switch {
	case readErr != nil:
		return fmt.Errorf("read back a probe object: %w", readErr)
	case !bytes.Equal(got, want):
		return fmt.Errorf("read back a probe object: got %d bytes that differ from the %d written", len(got), len(want))
	case delErr != nil:
		return fmt.Errorf("delete a probe object: %w", delErr)
	}
	return nil
}

func readAll(ctx context.Context, s Store, key string, limit int64) ([]byte, error) {
	rc, _, err := s.Open(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, limit+1))
}

// ErrUnavailable is what Checker reports: the store failed its probe. The
// cause (which may name hosts, buckets and paths) is in the wrapped error
// for the log.
var ErrUnavailable = errors.New("blob store unavailable")

// Checker probes a store for readiness checks: each probe bounded by
// Timeout, its result remembered for TTL so that frequent /readyz calls
// cost one write, read and delete every few seconds at most.
type Checker struct {
	Store   Store
	Timeout time.Duration // default 2 s
	TTL     time.Duration // default 5 s

	sem     chan struct{} // held while probing; one probe at a time
	once    sync.Once
	mu      sync.Mutex
	checked time.Time
	last    error
}

// Ready returns nil when the store passed its last probe, probing again
// when that is older than TTL.
func (c *Checker) Ready(ctx context.Context) error {
	c.once.Do(func() { c.sem = make(chan struct{}, 1) })
	if err, ok := c.cached(); ok {
		return err
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for a probe: %w", ErrUnavailable, ctx.Err())
	}
	defer func() { <-c.sem }()
	if err, ok := c.cached(); ok { // another caller probed meanwhile
		return err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := Probe(pctx, c.Store)
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if ctx.Err() == nil { // a caller's own deadline says nothing about the store
		c.mu.Lock()
		c.checked, c.last = time.Now(), err
		c.mu.Unlock()
	}
	return err
}

func (c *Checker) cached() (error, bool) {
	ttl := c.TTL
	if ttl <= 0 {
		ttl = 5 * time.Second
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.checked.IsZero() || time.Since(c.checked) > ttl {
		return nil, false
	}
	return c.last, true
}
