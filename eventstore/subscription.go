package eventstore

import (
	stdsql "database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	wsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/message"
)

// topic is the watermill topic name for the events table. The schema adapter
// below ignores it: there is one log.
const topic = "events"

// offsetsTable holds one row per consumer group; its columns are the ones
// watermill-sql's PostgreSQL offsets adapter reads and writes.
const offsetsTable = "event_consumer_offsets"

func offsetsAdapter() wsql.OffsetsAdapter {
	return wsql.DefaultPostgreSQLOffsetsAdapter{
		GenerateMessagesOffsetsTableName: func(string) string { return offsetsTable },
	}
}

// eventsSchema lets watermill-sql read the events table itself, so that there
// is no second copy of the log. Migrations own the table; appends go through
// Store.Append.
type eventsSchema struct {
	batchSize int
}

var errPublishNotSupported = errors.New("events are appended with Store.Append, not published through watermill")

func (eventsSchema) SchemaInitializingQueries(wsql.SchemaInitializingQueriesParams) ([]wsql.Query, error) {
	return nil, nil
}

func (eventsSchema) InsertQuery(wsql.InsertQueryParams) (wsql.Query, error) {
	return wsql.Query{}, errPublishNotSupported
}

// SelectQuery walks the primary key with a row comparison. watermill-sql's
// default query ORs two conditions and re-scans the backlog on every batch;
// this one is an index range scan, so catching up stays fast however long
// the log is. Only transactions below the oldest running one are read: an
// event whose transaction commits late is waited for, never skipped.
func (s eventsSchema) SelectQuery(params wsql.SelectQueryParams) (wsql.Query, error) {
	next, err := params.OffsetsAdapter.NextOffsetQuery(wsql.NextOffsetQueryParams{
		Topic:         params.Topic,
		ConsumerGroup: params.ConsumerGroup,
	})
	if err != nil {
		return wsql.Query{}, err
	}
	q := `WITH last_processed AS (` + next.Query + `)
		SELECT ` + eventColumns + ` FROM events
		WHERE (transaction_id, global_position) >
		      ((SELECT last_processed_transaction_id FROM last_processed), (SELECT offset_acked FROM last_processed))
		  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY transaction_id, global_position
		LIMIT ` + strconv.Itoa(s.batchSize)
	return wsql.Query{Query: q, Args: next.Args}, nil
}

// Message metadata keys that carry the stored event's envelope to handlers.
const (
	mdStream        = "stream_id"
	mdVersion       = "stream_version"
	mdType          = "event_type"
	mdSchemaVersion = "schema_version"
	mdMetadata      = "metadata"
	mdRecordedAt    = "recorded_at"
	mdPosition      = "global_position"
	mdTransaction   = "transaction_id"
)

func (eventsSchema) UnmarshalMessage(params wsql.UnmarshalMessageParams) (wsql.Row, error) {
	var (
		e    Event
		id   [16]byte
		pl   []byte
		meta []byte
	)
	err := params.Row.Scan(&id, &e.StreamID, &e.StreamVersion, &e.Type, &e.SchemaVersion, &pl, &meta,
		&e.RecordedAt, &e.GlobalPosition, &e.TransactionID)
	if err != nil {
		return wsql.Row{}, fmt.Errorf("scan event: %w", err)
	}
	msg := message.NewMessage(uuidString(id), pl)
	msg.Metadata = message.Metadata{
		mdStream:        e.StreamID,
		mdVersion:       strconv.FormatInt(e.StreamVersion, 10),
		mdType:          e.Type,
		mdSchemaVersion: strconv.Itoa(e.SchemaVersion),
		mdMetadata:      string(meta),
		mdRecordedAt:    e.RecordedAt.Format(time.RFC3339Nano),
		mdPosition:      strconv.FormatInt(e.GlobalPosition, 10),
		mdTransaction:   strconv.FormatUint(e.TransactionID, 10),
	}
	return wsql.Row{
		Offset:    e.GlobalPosition,
		UUID:      []byte(msg.UUID),
		Payload:   pl,
		Metadata:  meta,
		Msg:       msg,
		ExtraData: map[string]any{"transaction_id": e.TransactionID},
	}, nil
}

func (eventsSchema) SubscribeIsolationLevel() stdsql.IsolationLevel {
	return stdsql.LevelRepeatableRead
}
