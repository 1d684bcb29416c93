package eventstore_test

import (
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

func TestQueryFilters(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	base := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	clock := base
	store := eventstore.New(pool, eventstore.WithClock(func() time.Time { return clock }))
	type appendSpec struct {
		stream, typ, actor string
	}
	// One event per hour, so times select by index.
	log := []appendSpec{
		{"source-a@x_y.example", "source.registered", "key1"},       // 0
		{"plugin-a@x_y.example/one", "plugin.mirrored", "key1"},     // 1
		{"source-a@x_y.example.org", "source.registered", "key2"},   // 2: id starts with the first one's
		{"plugin-a@x_y.example.org/one", "plugin.mirrored", "key2"}, // 3
		{"subscription-a@x_y.example/k9", "subscribed", "key9"},     // 4
		{"source-a@xzy.example", "source.registered", "key1"},       // 5: '_' is not a wildcard
		{"apikey-key1", "apikey.created", "cli"},                    // 6
		{"source-a@x_y.example", "source.status_changed", "key2"},   // 7
	}
	for i, a := range log {
		clock = base.Add(time.Duration(i) * time.Hour)
		e := ev(a.typ, `{"i":`+strconv.Itoa(i)+`}`)
		e.Metadata.Actor = a.actor
		if _, err := store.Append(ctx, a.stream, eventstore.ExpectAny, e); err != nil {
			t.Fatal(err)
		}
	}
	readAll(t, store, len(log))
	tests := []struct {
		name string
		f    eventstore.Filter
		want []int
	}{
		{"everything", eventstore.Filter{}, []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{"one stream", eventstore.Filter{Streams: []string{"source-a@x_y.example"}}, []int{0, 7}},
		{"a source's streams", eventstore.Filter{Streams: []string{"source-a@x_y.example"},
			StreamPrefixes: []string{"plugin-a@x_y.example/", "subscription-a@x_y.example/"}}, []int{0, 1, 4, 7}},
		{"type", eventstore.Filter{Type: "source.registered"}, []int{0, 2, 5}},
		{"actor", eventstore.Filter{Actor: "key2"}, []int{2, 3, 7}},
		{"from is inclusive", eventstore.Filter{From: base.Add(6 * time.Hour)}, []int{6, 7}},
		{"to is exclusive", eventstore.Filter{To: base.Add(2 * time.Hour)}, []int{0, 1}},
		{"all together", eventstore.Filter{Streams: []string{"source-a@x_y.example"}, Type: "source.status_changed",
			Actor: "key2", From: base.Add(time.Hour), To: base.Add(8 * time.Hour)}, []int{7}},
		{"nothing matches", eventstore.Filter{Type: "no.such.type"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Pages of two prove that the cursor carries every filter along.
			var got []int
			var after eventstore.Position
			for {
				page, err := store.Query(ctx, tc.f, after, 2)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range page {
					got = append(got, int(e.RecordedAt.Sub(base)/time.Hour))
				}
				if len(page) < 2 {
					break
				}
				after = page[len(page)-1].Position()
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("events %v, want %v", got, tc.want)
			}
		})
	}
}

// A transaction that took its id first but writes its event last gets a
// higher global position and a lower transaction id than an event that is
// still being written. Paging by global position would return it, move past,
// and skip the other event when it commits; Query holds it back instead.
func TestQueryPagingNeverSkipsALateCommit(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	store := eventstore.New(pool)

	early, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Rollback(ctx)
	if _, err := early.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil { // takes the lower id
		t.Fatal(err)
	}
	late, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer late.Rollback(ctx)
	lateRes, err := eventstore.New(late).Append(ctx, "late", 0, ev("late", `{}`)) // lower position, higher id
	if err != nil {
		t.Fatal(err)
	}
	earlyRes, err := eventstore.New(early).Append(ctx, "early", 0, ev("early", `{}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := early.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if earlyRes.Position.GlobalPosition < lateRes.Position.GlobalPosition {
		t.Fatalf("setup: early event at %v should have a higher position than the late one at %v", earlyRes.Position, lateRes.Position)
	}

	// Other transactions in the cluster may hold readers back for a while;
	// the late one, still open, must hold its event back for good.
	first := queryUntil(t, store, eventstore.Position{})
	if len(first) != 1 || first[0].Type != "early" {
		t.Fatalf("while the late transaction runs: got %v, want only the early event", types(first))
	}
	if err := late.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	next := queryUntil(t, store, first[0].Position())
	if len(next) != 1 || next[0].Type != "late" {
		t.Fatalf("after the late commit, paging on: got %v, want the late event (position %d, below the early one's %d)",
			types(next), lateRes.Position.GlobalPosition, earlyRes.Position.GlobalPosition)
	}
}

// queryUntil pages on from after until it gets something.
func queryUntil(t *testing.T, store *eventstore.Store, after eventstore.Position) []eventstore.Event {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		page, err := store.Query(pgtest.Context(), eventstore.Filter{}, after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 0 {
			return page
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing readable after 20s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func types(events []eventstore.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

func TestResolveCursor(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	store := eventstore.New(pgtest.Pool(t))
	res, err := store.Append(ctx, "s", 0, ev("a", `{}`), ev("b", `{}`))
	if err != nil {
		t.Fatal(err)
	}
	last := res.Position
	tests := []struct {
		after   string
		want    eventstore.Position
		wantErr error
	}{
		{"", eventstore.Position{}, nil},
		{"0", eventstore.Position{}, nil},
		{eventstore.Cursor(last), last, nil},
		{strconv.FormatInt(last.GlobalPosition, 10), last, nil},
		{strconv.FormatInt(last.GlobalPosition+100, 10), eventstore.Position{}, domain.ErrInvalidInput},
		{strconv.FormatInt(last.GlobalPosition, 10) + "-1", eventstore.Position{}, eventstore.ErrStaleCursor},
		{"abc", eventstore.Position{}, domain.ErrInvalidInput},
		{"-5", eventstore.Position{}, domain.ErrInvalidInput},
		{"5-x", eventstore.Position{}, domain.ErrInvalidInput},
	}
	for _, tc := range tests {
		t.Run(tc.after, func(t *testing.T) {
			got, err := store.ResolveCursor(ctx, tc.after)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("position = %v, want %v", got, tc.want)
			}
		})
	}
}
