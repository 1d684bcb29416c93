package postgres_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// A refused key rotation is shown where an admin looks: an activity entry
// naming the announced key and why, and the source's last failure.
func TestKeyRotationRefusedShown(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	const src = domain.SourceID("author@pub.example")
	events := []domain.SourceEvent{
		domain.SourceRegistered{SourceID: src, InstanceURL: "https://pub.example", Username: "author",
			PublicKey: "rMfwov6Q6MHo+OsHNqdVBz1SpoPk03xsR5lbiNPhnbc=", AddedBy: "key_a", At: at},
		domain.SourceKeyRotationRefused{KeyID: "0123456789abcdef", Reason: "key rotation signature does not verify", At: at.Add(time.Minute)},
	}
	for i, e := range events {
		payload, _ := json.Marshal(e)
		stored := eventstore.Event{ID: uuid.New(), Type: e.EventType(), Payload: payload, StreamID: "source-" + string(src),
			GlobalPosition: int64(i + 1), RecordedAt: e.OccurredAt()}
		within(t, pool, func(tx pgx.Tx) error {
			if err := (postgres.SourceProjection{}).Apply(ctx, tx, stored); err != nil {
				return err
			}
			return postgres.ActivityProjection{}.Apply(ctx, tx, stored)
		})
	}
	page, err := app.ListActivity{Reader: postgres.ActivityReader{Pool: pool}}.Handle(ctx, app.System("test"), app.ActivityParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) == 0 || page.Entries[0].Kind != "key_rotation_refused" ||
		!strings.Contains(page.Entries[0].Summary, "0123456789abcdef is refused, and not tried again: key rotation signature does not verify") {
		t.Fatalf("activity %+v, want the refusal first", page.Entries)
	}
	view, err := postgres.SourceReader{Pool: pool}.GetSource(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if want := "key_rotation refused: key 0123456789abcdef: key rotation signature does not verify"; view.LastFailure != want {
		t.Fatalf("last failure %q, want %q", view.LastFailure, want)
	}
}
