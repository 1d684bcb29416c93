package eventstore_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// earlyEvent is an event as an earlier build stored it (testdata).
type earlyEvent struct {
	StreamID      string          `json:"stream_id"`
	EventType     string          `json:"event_type"`
	SchemaVersion int             `json:"schema_version"`
	Payload       json.RawMessage `json:"payload"`
}

func readEarlyEvent(t *testing.T, name string) earlyEvent {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var e earlyEvent
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSourceRegisteredUpcaster(t *testing.T) {
	t.Parallel()
	early := readEarlyEvent(t, "source_registered_v1.json")
	current := `{"source_id":"a@b.example","instance_url":"https://b.example","username":"a","public_key":"k","added_by":"key_1","at":"2026-03-01T09:30:00Z"}`
	cases := []struct {
		name    string
		version int
		payload string
		want    map[string]any
	}{
		{"the early shape", 1, string(early.Payload), map[string]any{
			"source_id": "plugin-author@plugins.example.com", "at": "2026-03-01T09:30:00Z", "id": nil, "registered_at": nil}},
		{"stamped v1 but already current", 1, current, map[string]any{"source_id": "a@b.example", "at": "2026-03-01T09:30:00Z"}},
		{"v2", 2, current, map[string]any{"source_id": "a@b.example", "at": "2026-03-01T09:30:00Z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := eventstore.Upcast(eventstore.Event{Type: domain.EventSourceRegistered, SchemaVersion: c.version,
				Payload: json.RawMessage(c.payload)})
			if err != nil || got.SchemaVersion != 2 {
				t.Fatalf("upcast = v%d, %v; want v2", got.SchemaVersion, err)
			}
			var fields map[string]any
			if err := json.Unmarshal(got.Payload, &fields); err != nil {
				t.Fatal(err)
			}
			for k, want := range c.want {
				if fields[k] != want {
					t.Errorf("%s = %v, want %v (payload %s)", k, fields[k], want, got.Payload)
				}
			}
		})
	}
	if _, err := eventstore.Upcast(eventstore.Event{Type: domain.EventSourceRegistered, SchemaVersion: 1,
		Payload: json.RawMessage(`[1]`)}); err == nil {
		t.Error("a payload that is not an object upcast without error")
	}
	if v := eventstore.CurrentSchemaVersion(domain.EventSourceRegistered); v != 2 {
		t.Errorf("current version of source.registered = %d, want 2", v)
	}
}

// TestEarlySourceRegisteredReadsAsCurrent stores the early event as it was
// written and reads it back through the store, the aggregate's repository
// and the sources projection: each sees the current shape.
func TestEarlySourceRegisteredReadsAsCurrent(t *testing.T) {
	t.Parallel()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	early := readEarlyEvent(t, "source_registered_v1.json")
	if _, err := pool.Exec(ctx, `INSERT INTO events (event_id, stream_id, stream_version, event_type, schema_version, payload)
		VALUES ($1, $2, 1, $3, $4, $5)`, uuid.New(), early.StreamID, early.EventType, early.SchemaVersion, string(early.Payload)); err != nil {
		t.Fatal(err)
	}
	store := eventstore.New(pool)
	wantAt := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

	loaded, err := store.Load(ctx, early.StreamID)
	if err != nil || len(loaded) != 1 || loaded[0].SchemaVersion != 2 {
		t.Fatalf("Load = %+v, %v", loaded, err)
	}

	r, err := eventstore.NewRunner(pool, slog.New(slog.NewTextHandler(io.Discard, nil)),
		eventstore.RunnerConfig{PollInterval: 10 * time.Millisecond}, postgres.SourceProjection{})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()

	src, err := postgres.SourceRepository{Store: store, Waiter: r}.Load(ctx, "plugin-author@plugins.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if st := src.State(); st.ID != "plugin-author@plugins.example.com" || !st.CreatedAt.Equal(wantAt) || len(st.PublicKey) != 32 {
		t.Fatalf("aggregate state from the early event: id %q, created %v, key %d bytes", st.ID, st.CreatedAt, len(st.PublicKey))
	}

	head := loaded[0].Position()
	waitCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	if err := r.WaitFor(waitCtx, postgres.SourcesProjection, head); err != nil {
		t.Fatal(err)
	}
	var createdAt int64
	if err := pool.QueryRow(ctx, `SELECT created_at FROM sources WHERE id = 'plugin-author@plugins.example.com'`).Scan(&createdAt); err != nil {
		t.Fatal(err)
	}
	if createdAt != wantAt.Unix() {
		t.Fatalf("sources.created_at = %d, want %d", createdAt, wantAt.Unix())
	}

	// New appends are stamped with the current version.
	res, err := store.Append(ctx, "source-new@x.example", 0, eventstore.NewEvent{Type: domain.EventSourceRegistered,
		Payload: json.RawMessage(`{"source_id":"new@x.example","at":"2026-03-01T09:30:00Z"}`)})
	if err != nil {
		t.Fatal(err)
	}
	var stamped int
	if err := pool.QueryRow(ctx, `SELECT schema_version FROM events WHERE global_position = $1`, res.Position.GlobalPosition).Scan(&stamped); err != nil || stamped != 2 {
		t.Fatalf("schema_version of a new source.registered = %d, %v; want 2", stamped, err)
	}
}

// A plugin.mirrored written before plugin signature v2 reads as bytes
// attested by the node, with no signature_v2; a v2 event passes unchanged.
func TestPluginMirroredUpcaster(t *testing.T) {
	t.Parallel()
	v1 := `{"source_id":"a@b.example","plugin":"p","name":"P","version":"1.0.0","description":"d","tags":[],"sha256":"s","size":1,` +
		`"blob_key":"k","publisher_signature":"ps","federation_signature":"fs","node_key_id":"n","at":"2026-03-01T09:30:00Z"}`
	v2 := strings.Replace(v1, `"at"`, `"publisher_signature_v2":"ps2","bytes_attested_by":"publisher","at"`, 1)
	cases := []struct {
		name    string
		version int
		payload string
		want    domain.BytesAttester
		wantSig string
	}{
		{"v1", 1, v1, domain.AttestedByNode, ""},
		{"v2", 2, v2, domain.AttestedByPublisher, "ps2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := eventstore.DecodeAs[domain.PluginMirrored](eventstore.Event{Type: domain.EventPluginMirrored,
				SchemaVersion: c.version, Payload: json.RawMessage(c.payload), StreamID: "plugin-a@b.example/p"})
			if err != nil || e.BytesAttestedBy != c.want || e.PublisherSignatureV2 != c.wantSig || e.PublisherSignature != "ps" {
				t.Fatalf("decoded %+v, %v; want attested by %v with signature_v2 %q", e, err, c.want, c.wantSig)
			}
		})
	}
	if v := eventstore.CurrentSchemaVersion(domain.EventPluginMirrored); v != 2 {
		t.Errorf("current version of plugin.mirrored = %d, want 2", v)
	}
}
