package eventstore

import (
	"errors"
	"fmt"

	"github.com/pfn-network/pfn/domain"
)

// ConflictError is returned when an append's expected version is stale.
type ConflictError struct {
	StreamID string
	Expected int64
	Actual   int64
}

func (e *ConflictError) Error() string {
	if e.Actual < 0 { // lost a race: the winner's version is not known here
		return fmt.Sprintf("stream %q: expected version %d, another writer appended first", e.StreamID, e.Expected)
	}
	return fmt.Sprintf("stream %q: expected version %d, actual version %d", e.StreamID, e.Expected, e.Actual)
}

// Is lets callers test errors.Is(err, domain.ErrConflict).
func (e *ConflictError) Is(target error) bool { return target == domain.ErrConflict }

// ErrEventIDReused means an append reused an event id that is stored with
// other content or in another stream: a bug in the caller, not a retry.
var ErrEventIDReused = errors.New("event id already used by another event")

// ErrNoActor refuses an event that does not say who appended it: every
// event names an API key or a component of the node (WithActor), so the
// log can always answer "who did this".
var ErrNoActor = errors.New("event has no actor (set one with eventstore.WithActor or WithMetadata)")
