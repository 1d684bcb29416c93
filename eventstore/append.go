package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pfn-network/pfn/domain"
)

// ExpectAny skips the optimistic concurrency check: the events go after
// whatever the stream holds.
const ExpectAny int64 = -1

// Appended says where an append left the stream.
type Appended struct {
	// Version is the stream's version after the append (its last event's).
	Version int64
	// Position is the last appended event's place in the log; a reader that
	// has passed it has seen the whole append.
	Position Position
}

// The check and the insert are one statement, so an append is one round
// trip: the WHERE clause admits the rows only when the stream is still at the
// expected version, and the unique (stream_id, stream_version) constraint
// catches two writers that both saw it there.
//
// It answers one row however many events it wrote: the count and the last
// event's place (all rows of one insert share the transaction id).
const appendExpectedSQL = `
WITH ins AS (
	INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata, recorded_at)
	SELECT e.id, $1, $2 + e.ord, e.typ, e.sv, e.payload, e.meta, $8
	FROM unnest($3::uuid[], $4::text[], $5::int[], $6::text[]::jsonb[], $7::text[]::jsonb[])
	     WITH ORDINALITY AS e(id, typ, sv, payload, meta, ord)
	WHERE (SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1) = $2
	RETURNING stream_version, global_position, transaction_id)
` + appendResultSQL

const appendAnySQL = `
WITH ins AS (
	INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata, recorded_at)
	SELECT e.id, $1, cur.v + e.ord, e.typ, e.sv, e.payload, e.meta, $7
	FROM unnest($2::uuid[], $3::text[], $4::int[], $5::text[]::jsonb[], $6::text[]::jsonb[])
	     WITH ORDINALITY AS e(id, typ, sv, payload, meta, ord),
	     (SELECT coalesce(max(stream_version), 0) AS v FROM events WHERE stream_id = $1) AS cur
	RETURNING stream_version, global_position, transaction_id)
` + appendResultSQL

// appendOneSQL is appendExpectedSQL for the common single event, without
// arrays. At one writer, where an append waits on its own round trip, it
// raised the measured ratio to a raw INSERT from 0.79 to 0.92.
const appendOneSQL = `
WITH ins AS (
	INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata, recorded_at)
	SELECT $3, $1, $2 + 1, $4, $5, $6::jsonb, $7::jsonb, $8
	WHERE (SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1) = $2
	RETURNING stream_version, global_position, transaction_id)
` + appendResultSQL

const appendResultSQL = `SELECT count(*), coalesce(max(stream_version), 0), coalesce(max(global_position), 0),
	coalesce((array_agg(transaction_id))[1], '0') FROM ins`

// anyRetries bounds how often an ExpectAny append retries after losing a
// race for the next version to a concurrent writer.
const anyRetries = 10

// Append writes events to the end of streamID in one transaction.
//
// expected is the version the caller last saw (0 for a new stream, ExpectAny
// to skip the check). A stale version returns *ConflictError. Appending
// events whose ids are already stored in this stream succeeds and writes
// nothing, so a caller may retry an append whose outcome it did not learn.
func (s *Store) Append(ctx context.Context, streamID string, expected int64, events ...NewEvent) (Appended, error) {
	b, err := s.prepare(ctx, streamID, expected, events)
	if err != nil {
		return Appended{}, err
	}
	for attempt := 0; ; attempt++ {
		res, err := s.appendOnce(ctx, b)
		var conflict *ConflictError
		if expected == ExpectAny && errors.As(err, &conflict) && attempt < anyRetries {
			continue
		}
		return res, err
	}
}

type appendBatch struct {
	streamID string
	expected int64
	ids      [][16]byte
	types    []string
	versions []int32
	payloads []string
	metas    []string
	args     []any
}

func (s *Store) prepare(ctx context.Context, streamID string, expected int64, events []NewEvent) (*appendBatch, error) {
	if streamID == "" {
		return nil, fmt.Errorf("append: empty stream id: %w", domain.ErrInvalidInput)
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("append to %q: no events: %w", streamID, domain.ErrInvalidInput)
	}
	if expected < ExpectAny {
		return nil, fmt.Errorf("append to %q: expected version %d: %w", streamID, expected, domain.ErrInvalidInput)
	}
	def := MetadataFrom(ctx)
	b := &appendBatch{streamID: streamID, expected: expected}
	var prevMD Metadata
	var prevMeta string
	for i, e := range events {
		if e.Type == "" {
			return nil, fmt.Errorf("append to %q: event %d has no type: %w", streamID, i, domain.ErrInvalidInput)
		}
		if !json.Valid(e.Payload) {
			return nil, fmt.Errorf("append to %q: event %d (%s) payload is not JSON: %w", streamID, i, e.Type, domain.ErrInvalidInput)
		}
		id := e.ID
		if id == uuid.Nil {
			id = uuid.New()
		}
		md := e.Metadata.merge(def)
		if md.Actor == "" {
			return nil, fmt.Errorf("append to %q: event %d (%s): %w", streamID, i, e.Type, ErrNoActor)
		}
		if md.CorrelationID == "" {
			md.CorrelationID = b.firstID(id)
		}
		// Events appended together usually share their metadata: encode it once.
		if i == 0 || md != prevMD {
			meta, err := json.Marshal(md)
			if err != nil {
				return nil, fmt.Errorf("append to %q: metadata: %w", streamID, err)
			}
			prevMD, prevMeta = md, string(meta)
		}
		sv := e.SchemaVersion
		if sv == 0 {
			sv = CurrentSchemaVersion(e.Type)
		}
		b.ids = append(b.ids, id)
		b.types = append(b.types, e.Type)
		b.versions = append(b.versions, int32(sv))
		b.payloads = append(b.payloads, string(e.Payload))
		b.metas = append(b.metas, prevMeta)
	}
	now := s.now().UTC()
	if expected == ExpectAny {
		b.args = []any{streamID, b.ids, b.types, b.versions, b.payloads, b.metas, now}
	} else {
		b.args = []any{streamID, expected, b.ids, b.types, b.versions, b.payloads, b.metas, now}
	}
	return b, nil
}

// firstID is the batch's first event id: the default correlation id, so that
// events appended together without a request are still tied together.
func (b *appendBatch) firstID(current uuid.UUID) string {
	if len(b.ids) > 0 {
		return uuid.UUID(b.ids[0]).String()
	}
	return current.String()
}

// statement is the single statement that appends the batch.
func (b *appendBatch) statement() (string, []any) {
	switch {
	case b.expected == ExpectAny:
		return appendAnySQL, b.args
	case len(b.ids) == 1:
		return appendOneSQL, []any{b.streamID, b.expected, b.ids[0], b.types[0], b.versions[0], b.payloads[0], b.metas[0], b.args[7]}
	default:
		return appendExpectedSQL, b.args
	}
}

func (s *Store) appendOnce(ctx context.Context, b *appendBatch) (Appended, error) {
	query, args := b.statement()
	var res Appended
	var n int
	err := s.db.QueryRow(ctx, query, args...).
		Scan(&n, &res.Version, &res.Position.GlobalPosition, &res.Position.TransactionID)
	return s.settle(ctx, b, res, n, err)
}

// settle turns one append statement's answer into the append's outcome.
func (s *Store) settle(ctx context.Context, b *appendBatch, res Appended, n int, err error) (Appended, error) {
	var pgErr *pgconn.PgError
	switch {
	case err == nil && n == len(b.ids):
		return res, nil
	case err == nil && n == 0, errors.As(err, &pgErr) && pgErr.Code == "23505":
		// The stream moved on, or another writer won the race: either this
		// is a retry of an append that already landed, or a real conflict.
		return s.resolve(ctx, b)
	case err != nil:
		return Appended{}, fmt.Errorf("append to %q: %w", b.streamID, err)
	default:
		return Appended{}, fmt.Errorf("append to %q: wrote %d of %d events", b.streamID, n, len(b.ids))
	}
}

// resolve tells an idempotent retry from a conflict after an insert that
// wrote nothing.
func (s *Store) resolve(ctx context.Context, b *appendBatch) (Appended, error) {
	rows, err := s.db.Query(ctx, `
		SELECT stream_id, stream_version, global_position, transaction_id
		FROM events WHERE event_id = ANY($1::uuid[])
		ORDER BY stream_version`, b.ids)
	if err != nil {
		return Appended{}, fmt.Errorf("append to %q: look up event ids: %w", b.streamID, err)
	}
	var res Appended
	found := 0
	for rows.Next() {
		var stream string
		if err := rows.Scan(&stream, &res.Version, &res.Position.GlobalPosition, &res.Position.TransactionID); err != nil {
			rows.Close()
			return Appended{}, fmt.Errorf("append to %q: look up event ids: %w", b.streamID, err)
		}
		if stream != b.streamID {
			rows.Close()
			return Appended{}, fmt.Errorf("append to %q: event stored in stream %q: %w", b.streamID, stream, ErrEventIDReused)
		}
		found++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Appended{}, fmt.Errorf("append to %q: look up event ids: %w", b.streamID, err)
	}
	switch found {
	case len(b.ids):
		return res, nil
	case 0:
		actual, err := s.Version(ctx, b.streamID)
		if err != nil {
			return Appended{}, err
		}
		return Appended{}, &ConflictError{StreamID: b.streamID, Expected: b.expected, Actual: actual}
	default:
		return Appended{}, fmt.Errorf("append to %q: %d of %d event ids already stored: %w", b.streamID, found, len(b.ids), ErrEventIDReused)
	}
}

// Version returns the stream's current version (0 when it has no events).
func (s *Store) Version(ctx context.Context, streamID string) (int64, error) {
	var v int64
	err := s.db.QueryRow(ctx, `SELECT coalesce(max(stream_version), 0) FROM events WHERE stream_id = $1`, streamID).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("version of %q: %w", streamID, err)
	}
	return v, nil
}
