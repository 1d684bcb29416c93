package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pfn-network/pfn/adapters/blob"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// blobCheckTimeout bounds the start-up probe: long enough for an S3 server
// on another continent, short enough that a node pointed at nothing says so
// promptly.
const blobCheckTimeout = 15 * time.Second

// checkBlobStore probes the blob store before the node serves: a store it
// cannot write, read back and delete in would refuse every plugin of every
// sync while /readyz said all is well. The error is one line naming the
// variable to change.
func checkBlobStore(ctx context.Context, spec string, store blob.Store) error {
	ctx, cancel := context.WithTimeout(ctx, blobCheckTimeout)
	defer cancel()
	if err := blob.Probe(ctx, store); err != nil {
		shown := spec
		switch {
		case spec == "":
			shown = blob.DefaultDir
		case strings.Contains(spec, "://"):
			shown = redactURL(spec)
		}
		msg := strings.Join(strings.Fields(err.Error()), " ") // one line, whatever the SDK said
		return fmt.Errorf("cannot use the blob store %s: %s (set PFN_BLOB_STORE)", shown, msg)
	}
	return nil
}

// blobReadiness is the blob store's part of /readyz: a probe at most every
// blobReadyTTL, each bounded by blobReadyTimeout.
func blobReadiness(store blob.Store) httpapi.ReadinessChecker {
	return blobReady{&blob.Checker{Store: store, Timeout: blobReadyTimeout, TTL: blobReadyTTL}}
}

// blobReady gives /readyz its generic reason; the cause (hosts, buckets,
// paths) stays in the wrapped error, for the log only.
type blobReady struct{ c *blob.Checker }

func (b blobReady) Ready(ctx context.Context) error {
	if err := b.c.Ready(ctx); err != nil {
		return blobNotReady{err}
	}
	return nil
}

type blobNotReady struct{ error }

func (e blobNotReady) Unwrap() error { return e.error }
func (blobNotReady) Reason() string  { return "blob store unavailable" }

// readinessChecks is ready when every check is; all run, so that the log
// names every cause and not only the first.
type readinessChecks []httpapi.ReadinessChecker

func (r readinessChecks) Ready(ctx context.Context) error {
	var errs []error
	for _, c := range r {
		if err := c.Ready(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
