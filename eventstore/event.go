// Package eventstore appends domain events to PostgreSQL and reads them back:
// one stream at a time for aggregates, and the whole log in commit-safe order
// for projections (through watermill-sql).
package eventstore

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// NewEvent is an event about to be appended.
type NewEvent struct {
	// ID makes appends idempotent: appending an event whose ID is already in
	// the stream succeeds without writing it again. Zero means "make one".
	ID            uuid.UUID
	Type          string
	SchemaVersion int // 0 means the type's current version (see upcast.go)
	Payload       json.RawMessage
	// Metadata fields left empty are filled from the context (WithMetadata).
	Metadata Metadata
}

// Event is an event as stored.
type Event struct {
	ID             uuid.UUID
	StreamID       string
	StreamVersion  int64
	Type           string
	SchemaVersion  int
	Payload        json.RawMessage
	Metadata       Metadata
	RecordedAt     time.Time
	GlobalPosition int64
	TransactionID  uint64
}

// Position returns where the event stands in the log's commit order.
func (e Event) Position() Position {
	return Position{TransactionID: e.TransactionID, GlobalPosition: e.GlobalPosition}
}

// Position orders the log as consumers read it: by writing transaction, then
// by insertion. Global position alone is not commit order (a transaction that
// started first can commit last).
type Position struct {
	TransactionID  uint64 `json:"transaction_id"`
	GlobalPosition int64  `json:"global_position"`
}

// Less reports whether p comes before q in the log.
func (p Position) Less(q Position) bool {
	if p.TransactionID != q.TransactionID {
		return p.TransactionID < q.TransactionID
	}
	return p.GlobalPosition < q.GlobalPosition
}
