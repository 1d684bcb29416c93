package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// A stream holding an event type the registry does not know fails to load,
// and every projection reading that stream fails on it (the runner then
// holds the projection before it rather than poisoning it: a newer build
// may know it): never a default, never a skip. The error names the type
// and the stream.
func TestUnknownEventTypesAreErrorsInEveryStream(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	store := eventstore.New(pool)
	const src = "a@h.example"
	cases := []struct {
		stream     string
		load       func(context.Context) error
		projection eventstore.Projection
	}{
		{"source-" + src, func(ctx context.Context) error {
			_, err := postgres.SourceRepository{Store: store}.Load(ctx, src)
			return err
		}, postgres.SourceProjection{}},
		{"plugin-" + src + "/tool", func(ctx context.Context) error {
			_, err := postgres.PluginHistories{Pool: pool, Store: store}.LoadAll(ctx, src, []string{"tool"})
			return err
		}, postgres.MirrorProjectionHandler{}},
		{"subscription-" + src + "/key_1", func(ctx context.Context) error {
			_, err := postgres.SubscriptionRepository{Store: store}.Load(ctx, src, "key_1")
			return err
		}, postgres.SubscriptionProjection{}},
		{"health-" + src, func(ctx context.Context) error {
			_, err := postgres.HealthRepository{Store: store}.Load(ctx, src)
			return err
		}, nil},
		{"apikey-key_1", func(ctx context.Context) error {
			_, err := postgres.KeyStore{Pool: pool, Store: store}.RevokedInLog(ctx, "key_1")
			return err
		}, postgres.KeyProjection{}},
	}
	for _, c := range cases {
		t.Run(c.stream, func(t *testing.T) {
			res, err := store.Append(ctx, c.stream, 0, eventstore.NewEvent{Type: "thing.renamed", Payload: json.RawMessage(`{}`)})
			if err != nil {
				t.Fatal(err)
			}
			mustName := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, eventstore.ErrUnknownEventType) || !strings.Contains(err.Error(), "thing.renamed") ||
					!strings.Contains(err.Error(), c.stream) {
					t.Fatalf("%s: %v; want ErrUnknownEventType naming thing.renamed and %s", what, err, c.stream)
				}
			}
			mustName("load", c.load(ctx))
			stored, err := store.Load(ctx, c.stream)
			if err != nil || len(stored) != 1 || stored[0].Position() != res.Position {
				t.Fatalf("stored %+v, %v", stored, err)
			}
			var projections []eventstore.Projection
			if c.projection != nil {
				projections = append(projections, c.projection)
			}
			if strings.HasPrefix(c.stream, "source-") || strings.HasPrefix(c.stream, "plugin-") {
				projections = append(projections, postgres.ActivityProjection{}) // the feed reads only these
			}
			for _, p := range projections {
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return p.Apply(ctx, tx, stored[0]) })
				mustName(p.Name(), err)
			}
		})
	}
}
