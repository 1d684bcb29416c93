// Package follow is the consumer side of a node's change feed (pfn follow):
// it reads GET /federation/changes from a cursor, downloads each new version
// into a directory and refuses, by returning a *Failure, anything whose
// bytes or signatures do not check out against the keys it pinned the first
// time it met the node and each source (trust on first use).
//
// The checks are pure functions (verify.go, pins.go); the follower
// (follower.go) does the I/O: the node's API (node.go) and the directory
// (files.go, state.go).
package follow

import (
	"errors"
	"fmt"
)

// Failure is a verification failure: the node served something that does
// not check out. The follower stops on it (pfn follow exits non-zero) rather
// than skipping, so that nobody runs a directory silently missing a version.
type Failure struct {
	What   string // the check that failed: "sha256", "publisher signature", "node key", ...
	Source string
	Plugin string
	Ver    string
	Detail string
}

func (f *Failure) Error() string {
	at := f.Source
	if f.Plugin != "" {
		at += " " + f.Plugin + " " + f.Ver
	}
	if at != "" {
		at = " (" + at + ")"
	}
	return fmt.Sprintf("verification failed: %s%s: %s", f.What, at, f.Detail)
}

// IsFailure says whether err is (or wraps) a verification failure.
func IsFailure(err error) bool {
	var f *Failure
	return errors.As(err, &f)
}
