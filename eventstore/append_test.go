package eventstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

func ev(typ string, payload string) eventstore.NewEvent {
	return eventstore.NewEvent{Type: typ, Payload: json.RawMessage(payload)}
}

func TestConcurrentAppendsAtOneVersionHaveOneWinner(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	store := eventstore.New(pgtest.Pool(t))
	if _, err := store.Append(ctx, "s-1", 0, ev("created", `{}`)); err != nil {
		t.Fatal(err)
	}

	const writers = 20
	errs := make([]error, writers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = store.Append(ctx, "s-1", 1, ev("renamed", fmt.Sprintf(`{"writer":%d}`, i)))
		}()
	}
	close(start)
	wg.Wait()

	wins := 0
	for i, err := range errs {
		var conflict *eventstore.ConflictError
		switch {
		case err == nil:
			wins++
		case errors.As(err, &conflict):
			if conflict.StreamID != "s-1" || conflict.Expected != 1 || conflict.Actual != 2 {
				t.Errorf("writer %d: conflict %+v, want stream s-1 expected 1 actual 2", i, *conflict)
			}
			if !errors.Is(err, domain.ErrConflict) {
				t.Errorf("writer %d: conflict does not match domain.ErrConflict", i)
			}
		default:
			t.Errorf("writer %d: unexpected error %v", i, err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won, want exactly 1", wins)
	}
	events, err := store.Load(ctx, "s-1")
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range events {
		if e.StreamVersion != int64(i+1) {
			t.Fatalf("event %d has version %d: the stream has a gap or a duplicate", i, e.StreamVersion)
		}
	}
	if len(events) != 2 {
		t.Fatalf("stream has %d events, want 2", len(events))
	}
}

func TestAppendChecksTheExpectedVersion(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	store := eventstore.New(pgtest.Pool(t))
	if _, err := store.Append(ctx, "s", 0, ev("a", `{}`), ev("b", `{}`)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		expected int64
	}{
		{"stale", 1},
		{"new stream expected but it exists", 0},
		{"ahead of the stream (would leave a gap)", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.Append(ctx, "s", tt.expected, ev("c", `{}`))
			var conflict *eventstore.ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("Append at %d = %v, want ConflictError", tt.expected, err)
			}
			want := eventstore.ConflictError{StreamID: "s", Expected: tt.expected, Actual: 2}
			if *conflict != want {
				t.Fatalf("conflict = %+v, want %+v", *conflict, want)
			}
			if conflict.Error() != fmt.Sprintf(`stream "s": expected version %d, actual version 2`, tt.expected) {
				t.Fatalf("message %q does not name stream and versions", conflict.Error())
			}
		})
	}
	res, err := store.Append(ctx, "s", 2, ev("c", `{}`))
	if err != nil || res.Version != 3 {
		t.Fatalf("Append at the current version = %+v, %v; want version 3", res, err)
	}
}

func TestAppendRetryWithSameIDsIsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	store := eventstore.New(pgtest.Pool(t))
	a, b := ev("a", `{"n":1}`), ev("b", `{"n":2}`)
	a.ID, b.ID = uuid.New(), uuid.New()

	first, err := store.Append(ctx, "s", 0, a, b)
	if err != nil {
		t.Fatal(err)
	}
	// The caller lost the answer and retries the very same append.
	again, err := store.Append(ctx, "s", 0, a, b)
	if err != nil {
		t.Fatalf("retry of a landed append: %v", err)
	}
	if again != first {
		t.Fatalf("retry answered %+v, first append %+v", again, first)
	}
	events, err := store.Load(ctx, "s")
	if err != nil || len(events) != 2 {
		t.Fatalf("stream holds %d events (%v), want 2: the retry duplicated", len(events), err)
	}

	t.Run("an id used in another stream is refused", func(t *testing.T) {
		_, err := store.Append(ctx, "other", 0, a)
		if !errors.Is(err, eventstore.ErrEventIDReused) {
			t.Fatalf("Append = %v, want ErrEventIDReused", err)
		}
	})
	t.Run("a batch mixing stored and new ids is refused", func(t *testing.T) {
		c := ev("c", `{}`)
		c.ID = uuid.New()
		_, err := store.Append(ctx, "s", 1, b, c)
		if !errors.Is(err, eventstore.ErrEventIDReused) {
			t.Fatalf("Append = %v, want ErrEventIDReused", err)
		}
	})
}

func TestAppendRejectsBadInput(t *testing.T) {
	t.Parallel()
	store := eventstore.New(pgtest.Pool(t))
	tests := []struct {
		name     string
		stream   string
		expected int64
		events   []eventstore.NewEvent
	}{
		{"no stream", "", 0, []eventstore.NewEvent{ev("a", `{}`)}},
		{"no events", "s", 0, nil},
		{"no type", "s", 0, []eventstore.NewEvent{ev("", `{}`)}},
		{"payload not JSON", "s", 0, []eventstore.NewEvent{ev("a", `{"x":`)}},
		{"empty payload", "s", 0, []eventstore.NewEvent{ev("a", ``)}},
		{"negative version", "s", -2, []eventstore.NewEvent{ev("a", `{}`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := store.Append(pgtest.Context(), tt.stream, tt.expected, tt.events...)
			if !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("Append = %v, want ErrInvalidInput", err)
			}
		})
	}
}

func TestExpectAnyAppendsConcurrentlyWithoutGaps(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	store := eventstore.New(pgtest.Pool(t))
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = store.Append(ctx, "health", eventstore.ExpectAny, ev("checked", `{}`))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	v, err := store.Version(ctx, "health")
	if err != nil || v != writers {
		t.Fatalf("version = %d, %v; want %d", v, err, writers)
	}
}

func TestLoadReturnsWhatWasAppended(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	store := eventstore.New(pgtest.Pool(t), eventstore.WithClock(func() time.Time { return at }))
	ctx := eventstore.WithMetadata(context.Background(), eventstore.Metadata{
		Actor: "key_123", RequestID: "req-1", CorrelationID: "corr-1",
	})
	e := ev("source.registered", `{"url": "https://a.example", "note": "<b>&</b>"}`)
	e.SchemaVersion = 2
	e.Metadata.CausationID = "cause-1"
	res, err := store.Append(ctx, "source-a", 0, e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.Load(ctx, "source-a")
	if err != nil || len(got) != 1 {
		t.Fatalf("Load = %d events, %v", len(got), err)
	}
	g := got[0]
	wantMD := eventstore.Metadata{Actor: "key_123", CorrelationID: "corr-1", CausationID: "cause-1", RequestID: "req-1"}
	if g.Type != "source.registered" || g.SchemaVersion != 2 || g.StreamVersion != 1 || g.StreamID != "source-a" ||
		g.Metadata != wantMD || !g.RecordedAt.Equal(at) || g.Position() != res.Position || g.ID == uuid.Nil {
		t.Fatalf("loaded %+v", g)
	}
	var payload map[string]string
	if err := json.Unmarshal(g.Payload, &payload); err != nil || payload["note"] != "<b>&</b>" {
		t.Fatalf("payload %s (%v)", g.Payload, err)
	}

	none, err := store.Load(ctx, "nothing-here")
	if err != nil || len(none) != 0 {
		t.Fatalf("Load of a missing stream = %v, %v; want empty", none, err)
	}
}

func TestCorrelationDefaultsToTheFirstEvent(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	store := eventstore.New(pgtest.Pool(t))
	if _, err := store.Append(ctx, "s", 0, ev("a", `{}`), ev("b", `{}`)); err != nil {
		t.Fatal(err)
	}
	got, err := store.Load(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Metadata.CorrelationID != got[0].ID.String() || got[1].Metadata.CorrelationID != got[0].ID.String() {
		t.Fatalf("correlation ids %q, %q; want the first event's id %s",
			got[0].Metadata.CorrelationID, got[1].Metadata.CorrelationID, got[0].ID)
	}
}

func TestReadBatchPagesTheWholeLogInOrder(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	store := eventstore.New(pgtest.Pool(t))
	const n = 25
	var last eventstore.Appended
	for i := range n {
		var err error
		if last, err = store.Append(ctx, fmt.Sprintf("s-%d", i%3), eventstore.ExpectAny, ev("e", fmt.Sprintf(`{"i":%d}`, i))); err != nil {
			t.Fatal(err)
		}
	}
	var all []eventstore.Event
	var pos eventstore.Position
	// An empty batch is not the end of the log: an open transaction anywhere in
	// the cluster (a parallel test) holds reads back until it ends.
	deadline := time.Now().Add(20 * time.Second)
	for pos.Less(last.Position) && time.Now().Before(deadline) {
		batch, err := store.ReadBatch(ctx, pos, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) > 7 {
			t.Fatalf("batch of %d events, limit 7", len(batch))
		}
		if len(batch) == 0 {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		all = append(all, batch...)
		pos = batch[len(batch)-1].Position()
	}
	if len(all) != n {
		t.Fatalf("paged %d events, want %d", len(all), n)
	}
	for i, e := range all {
		var p struct{ I int }
		if err := json.Unmarshal(e.Payload, &p); err != nil || p.I != i {
			t.Fatalf("event %d carries i=%d (%v)", i, p.I, err)
		}
		if i > 0 && !all[i-1].Position().Less(e.Position()) {
			t.Fatalf("event %d is not after event %d", i, i-1)
		}
	}
}
