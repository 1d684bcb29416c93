package postgres_test

import (
	"context"
	"encoding/json"
	"reflect"
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

// The sources read model shows the upstream's log as the events leave it,
// as the source's rebuilt state shows it, and the activity feed names the
// fault and its acceptance.
func TestUpstreamLogShown(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	const src = domain.SourceID("pub@p.example@b.example")
	const (
		trusted = "pfn/node-b\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— pfn/node-b sig\n"
		offered = "pfn/node-b\n2\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— pfn/node-b sig2\n"
	)
	steps := []struct {
		event domain.SourceEvent
		want  *app.UpstreamLogView
		kind  string // the activity entry it adds ("" none)
	}{
		{domain.SourceRegistered{SourceID: src, InstanceURL: "https://b.example", Username: "pub@p.example",
			PublicKey: "rMfwov6Q6MHo+OsHNqdVBz1SpoPk03xsR5lbiNPhnbc=", AddedBy: "key_a", At: at}, nil, "source_added"},
		{domain.PublisherInfoRefreshed{ProtocolVersion: "1", Features: []string{"transparency-log"}, AssetDomain: "https://b.example",
			NamingScheme: "n", LogOrigin: "pfn/node-b", At: at}, &app.UpstreamLogView{}, ""},
		{domain.SourceSynced{PluginCount: 1, LogCheckpoint: trusted, At: at.Add(time.Minute)},
			&app.UpstreamLogView{Checkpoint: trusted, Size: 3}, ""},
		{domain.SourceSynced{PluginCount: 1, At: at.Add(2 * time.Minute)}, &app.UpstreamLogView{Checkpoint: trusted, Size: 3}, ""},
		{domain.SourceLogInconsistent{Kind: domain.LogFaultShrunk, Reason: "size 3 -> 2", Trusted: trusted, Offered: offered, At: at.Add(3 * time.Minute)},
			&app.UpstreamLogView{Checkpoint: trusted, Size: 3, Fault: &app.LogFaultView{Kind: "shrunk", Reason: "size 3 -> 2",
				Offered: offered, At: at.Add(3 * time.Minute)}}, "upstream_log_inconsistent"},
		{domain.SourceLogAccepted{Reason: "restored", By: "key_a", At: at.Add(4 * time.Minute)}, &app.UpstreamLogView{}, "upstream_log_accepted"},
	}
	var history []domain.SourceEvent
	for i, step := range steps {
		e := step.event
		payload, _ := json.Marshal(e)
		stored := eventstore.Event{ID: uuid.New(), Type: e.EventType(), Payload: payload, StreamID: "source-" + string(src),
			GlobalPosition: int64(i + 1), RecordedAt: e.OccurredAt()}
		within(t, pool, func(tx pgx.Tx) error {
			if err := (postgres.SourceProjection{}).Apply(ctx, tx, stored); err != nil {
				return err
			}
			return postgres.ActivityProjection{}.Apply(ctx, tx, stored)
		})
		history = append(history, e)
		view, err := postgres.SourceReader{Pool: pool}.GetSource(ctx, src)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(view.UpstreamLog, step.want) {
			t.Fatalf("after %s: upstream log %+v, want %+v", e.EventType(), view.UpstreamLog, step.want)
		}
		s, err := domain.LoadSource(history)
		if err != nil {
			t.Fatal(err)
		}
		rebuilt, err := app.GetSourceStatusAt{History: loaded{s}}.Handle(ctx, app.System("test"), src, at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(rebuilt.UpstreamLog, step.want) {
			t.Fatalf("after %s: the rebuilt state shows %+v, want %+v", e.EventType(), rebuilt.UpstreamLog, step.want)
		}
		if step.kind == "" {
			continue
		}
		page, err := app.ListActivity{Reader: postgres.ActivityReader{Pool: pool}}.Handle(ctx, app.System("test"), app.ActivityParams{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Entries) == 0 || page.Entries[0].Kind != step.kind {
			t.Fatalf("after %s: activity %+v, want %s first", e.EventType(), page.Entries, step.kind)
		}
	}
}

// loaded is a source history that holds one source as it stands.
type loaded struct{ s *domain.Source }

func (l loaded) LoadUntil(_ context.Context, _ domain.SourceID, _ time.Time) (*domain.Source, error) {
	return l.s, nil
}
