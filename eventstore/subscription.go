package eventstore

import (
	stdsql "database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"

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
//
// One watermill message stands for one page of events (up to pageSize, in
// commit order), not one event: watermill hands each message to the consumer
// and waits for its ack, and that handshake between two goroutines cost more
// than reading the event (docs/adr/0001-event-store.md has the figures). The
// message carries only the page's bounds; the consumer reads the page's rows
// in the same repeatable-read transaction, so it sees exactly the rows the
// bounds were taken from. The page is acked as a whole: its read-model writes
// and the checkpoint after its last event commit together.
type eventsSchema struct {
	pageSize int

	mu      sync.Mutex
	decoded map[*message.Message]pageBounds
}

// pageBounds is a page of the log: the events after After up to and
// including Last.
type pageBounds struct {
	After, Last Position
}

func newEventsSchema(pageSize int) *eventsSchema {
	return &eventsSchema{pageSize: pageSize, decoded: map[*message.Message]pageBounds{}}
}

var errPublishNotSupported = errors.New("events are appended with Store.Append, not published through watermill")

func (*eventsSchema) SchemaInitializingQueries(wsql.SchemaInitializingQueriesParams) ([]wsql.Query, error) {
	return nil, nil
}

func (*eventsSchema) InsertQuery(wsql.InsertQueryParams) (wsql.Query, error) {
	return wsql.Query{}, errPublishNotSupported
}

// SelectQuery walks the primary key with a row comparison. watermill-sql's
// default query ORs two conditions and re-scans the backlog on every batch;
// this one is an index range scan, so catching up stays fast however long
// the log is. Only transactions below the oldest running one are read: an
// event whose transaction commits late is waited for, never skipped. It
// returns one row, the page's bounds, or none when there is nothing new.
//
// The subscriber calls SelectQuery before each batch, when the previous page
// has been acked or abandoned, so it also drops bounds never handed over.
func (s *eventsSchema) SelectQuery(params wsql.SelectQueryParams) (wsql.Query, error) {
	s.mu.Lock()
	clear(s.decoded)
	s.mu.Unlock()
	next, err := params.OffsetsAdapter.NextOffsetQuery(wsql.NextOffsetQueryParams{
		Topic:         params.Topic,
		ConsumerGroup: params.ConsumerGroup,
	})
	if err != nil {
		return wsql.Query{}, err
	}
	q := `WITH last_processed AS (` + next.Query + `),
		page AS (
			SELECT transaction_id, global_position FROM events
			WHERE (transaction_id, global_position) >
			      ((SELECT last_processed_transaction_id FROM last_processed), (SELECT offset_acked FROM last_processed))
			  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
			ORDER BY transaction_id, global_position
			LIMIT ` + strconv.Itoa(s.pageSize) + `)
		SELECT lp.last_processed_transaction_id, lp.offset_acked, last.transaction_id, last.global_position
		FROM last_processed lp,
		     LATERAL (SELECT transaction_id, global_position FROM page
		              ORDER BY transaction_id DESC, global_position DESC LIMIT 1) AS last`
	return wsql.Query{Query: q, Args: next.Args}, nil
}

func (s *eventsSchema) UnmarshalMessage(params wsql.UnmarshalMessageParams) (wsql.Row, error) {
	var b pageBounds
	if err := params.Row.Scan(&b.After.TransactionID, &b.After.GlobalPosition,
		&b.Last.TransactionID, &b.Last.GlobalPosition); err != nil {
		return wsql.Row{}, fmt.Errorf("scan page bounds: %w", err)
	}
	msg := message.NewMessage(fmt.Sprintf("%d.%d", b.Last.TransactionID, b.Last.GlobalPosition), nil)
	s.mu.Lock()
	s.decoded[msg] = b
	s.mu.Unlock()
	return wsql.Row{
		Offset:    b.Last.GlobalPosition,
		UUID:      []byte(msg.UUID),
		Msg:       msg,
		ExtraData: map[string]any{"transaction_id": b.Last.TransactionID},
	}, nil
}

// bounds returns the page that UnmarshalMessage decoded into msg.
func (s *eventsSchema) bounds(msg *message.Message) (pageBounds, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.decoded[msg]
	delete(s.decoded, msg)
	return b, ok
}

func (*eventsSchema) SubscribeIsolationLevel() stdsql.IsolationLevel {
	return stdsql.LevelRepeatableRead
}
