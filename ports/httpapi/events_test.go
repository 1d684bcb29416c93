package httpapi_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// keys knows two API keys; it stands in for the key store, which has tests
// of its own.
type keys struct{}

func (keys) Handle(_ context.Context, presented string) (app.Principal, error) {
	switch presented {
	case "admin-key":
		return app.Principal{KeyID: "k-admin", Role: domain.RoleAdmin}, nil
	case "consumer-key":
		return app.Principal{KeyID: "k-consumer", Role: domain.RoleConsumer}, nil
	}
	return app.Principal{}, domain.ErrUnauthenticated
}

// noWait: these tests read the log, not the projections.
type noWait struct{}

func (noWait) WaitFor(context.Context, string, eventstore.Position) error { return nil }

// auditFixture is a log with two sources whose ids share a prefix, each with
// plugin and subscription streams, and an API key's stream.
type auditFixture struct {
	srv     *httptest.Server
	base    time.Time // alice@a.example registered at base, verified at base+2h
	streams map[string][]string
	total   int
}

func newAuditFixture(t *testing.T) auditFixture {
	t.Helper()
	ctx := pgtest.Context()
	pool := pgtest.Pool(t)
	f := auditFixture{base: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), streams: map[string][]string{}}
	clock := f.base
	store := eventstore.New(pool, eventstore.WithClock(func() time.Time { return clock }))
	repo := postgres.SourceRepository{Store: store, Waiter: noWait{}}
	for i, host := range []string{"a.example", "a.example.org"} {
		clock = f.base.Add(time.Duration(i) * time.Minute)
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		s, err := domain.RegisterSource("https://"+host, "alice", base64.StdEncoding.EncodeToString(pub), "k-admin", clock)
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
		id := string(s.State().ID)
		for _, stream := range []string{"plugin-" + id + "/tool", "subscription-" + id + "/k-consumer", "plugin-" + id + "/other"} {
			if _, err := store.Append(ctx, stream, eventstore.ExpectAny,
				eventstore.NewEvent{Type: "test.event", Payload: json.RawMessage(`{"n":1}`)}); err != nil {
				t.Fatal(err)
			}
		}
		clock = f.base.Add(2*time.Hour + time.Duration(i)*time.Minute)
		if err := s.RecordOwnershipProof(true, "", clock); err != nil {
			t.Fatal(err)
		}
		if err := repo.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.Append(ctx, "apikey-k-admin", 0, eventstore.NewEvent{Type: "apikey.created", Payload: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	for _, e := range readLog(t, pool, store) {
		f.streams[e.StreamID] = append(f.streams[e.StreamID], e.ID.String())
		f.total++
	}
	f.srv = httptest.NewServer(httpapi.New(httpapi.Deps{
		Log:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Readiness: postgres.Readiness{Pool: pool},
		App: &httpapi.App{
			Authenticate:    keys{},
			GetSourceStatus: app.GetSourceStatus{Sources: postgres.SourceReader{Pool: pool}},
			SourceStatusAt:  app.GetSourceStatusAt{History: postgres.SourceHistory{Store: store}},
			ListEvents:      app.ListEvents{Log: postgres.EventLog{Store: store}},
		},
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// readLog waits until every appended event is readable (an open transaction
// anywhere in the cluster holds readers back) and returns the log.
func readLog(t *testing.T, pool *pgxpool.Pool, store *eventstore.Store) []eventstore.Event {
	t.Helper()
	var want int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM events`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		events, err := store.ReadBatch(context.Background(), eventstore.Position{}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == want {
			return events
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events readable after 30s", len(events), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f auditFixture) get(t *testing.T, path, key, accept string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

type eventsPage struct {
	Events []app.AuditEvent `json:"events"`
	Next   *string          `json:"next"`
}

// listAll follows next from page to page.
func (f auditFixture) listAll(t *testing.T, query url.Values) []app.AuditEvent {
	t.Helper()
	var all []app.AuditEvent
	for {
		resp, body := f.get(t, "/federation/events?"+query.Encode(), "admin-key", "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		var page eventsPage
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		all = append(all, page.Events...)
		if page.Next == nil {
			return all
		}
		query.Set("after", *page.Next)
	}
}

func ids(events []app.AuditEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func TestAuditListsExactlyTheEventsOfOneSource(t *testing.T) {
	t.Parallel()
	f := newAuditFixture(t)
	const id = "alice@a.example"
	mine := []string{"source-" + id, "plugin-" + id + "/tool", "plugin-" + id + "/other", "subscription-" + id + "/k-consumer"}
	var want []string
	for _, s := range mine {
		want = append(want, f.streams[s]...)
	}

	for _, limit := range []string{"2", "100"} {
		got := f.listAll(t, url.Values{"source": {id}, "limit": {limit}})
		if gotIDs := ids(got); !sameSet(gotIDs, want) || len(gotIDs) != len(want) {
			t.Fatalf("limit %s: source=%s listed %v, want exactly %v", limit, id, gotIDs, want)
		}
		// In order: each stream's events in version order, each stream
		// exactly as stored.
		perStream := map[string][]string{}
		for _, e := range got {
			if n := len(perStream[e.Stream]); e.StreamVersion != int64(n+1) {
				t.Errorf("limit %s: %s v%d listed after %d events of its stream", limit, e.Stream, e.StreamVersion, n)
			}
			perStream[e.Stream] = append(perStream[e.Stream], e.ID)
		}
		for _, s := range mine {
			if !slices.Equal(perStream[s], f.streams[s]) {
				t.Errorf("limit %s: stream %s listed as %v, stored as %v", limit, s, perStream[s], f.streams[s])
			}
		}
	}

	got := f.listAll(t, url.Values{"stream": {"source-" + id}})
	if !slices.Equal(ids(got), f.streams["source-"+id]) {
		t.Errorf("stream=source-%s listed %v, want %v", id, ids(got), f.streams["source-"+id])
	}
	if e := got[0]; e.Type != domain.EventSourceRegistered || e.Metadata.Actor != "test" || e.Position <= 0 ||
		!e.RecordedAt.Equal(f.base) || !strings.Contains(string(e.Data), `"username":"alice"`) {
		t.Errorf("first event reads %+v", e)
	}
	if got := f.listAll(t, url.Values{"source": {id}, "stream": {"apikey-k-admin"}}); len(got) != 0 {
		t.Errorf("source and a stream not of that source listed %v, want nothing", ids(got))
	}
	if got := f.listAll(t, url.Values{"type": {"test.event"}, "to": {f.base.Add(time.Hour).Format(time.RFC3339)}}); len(got) != 6 {
		t.Errorf("type and to listed %d events, want the 6 plugin and subscription events", len(got))
	}
	if got := f.listAll(t, url.Values{}); len(got) != f.total {
		t.Errorf("no filter listed %d events, want all %d", len(got), f.total)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestAuditExportReadsBackLineByLine(t *testing.T) {
	t.Parallel()
	f := newAuditFixture(t)
	const id = "alice@a.example.org"
	listed := f.listAll(t, url.Values{"source": {id}})

	tests := []struct {
		name  string
		query string
		want  []app.AuditEvent
	}{
		{"every event of the source", "source=" + id, listed},
		{"at most limit", "source=" + id + "&limit=3", listed[:3]},
		{"after a position", "source=" + id + "&after=" + strconv.FormatInt(listed[1].Position, 10), listed[2:]},
		{"nothing matches", "type=nothing", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.get(t, "/federation/events?"+tc.query, "admin-key", "application/x-ndjson")
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
				t.Fatalf("status %d, content type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			var got []app.AuditEvent
			lines := bufio.NewScanner(strings.NewReader(string(body)))
			for lines.Scan() {
				var e app.AuditEvent
				if err := json.Unmarshal(lines.Bytes(), &e); err != nil {
					t.Fatalf("line %d is not one JSON event: %v: %s", len(got)+1, err, lines.Text())
				}
				got = append(got, e)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(got), len(tc.want), body)
			}
			for i := range got {
				if !sameEvent(got[i], tc.want[i]) {
					t.Errorf("line %d: %+v, listed as %+v", i+1, got[i], tc.want[i])
				}
			}
		})
	}
}

func sameEvent(a, b app.AuditEvent) bool {
	return a.Position == b.Position && a.ID == b.ID && a.Stream == b.Stream && a.StreamVersion == b.StreamVersion &&
		a.Type == b.Type && a.SchemaVersion == b.SchemaVersion && a.RecordedAt.Equal(b.RecordedAt) &&
		a.Metadata == b.Metadata && string(a.Data) == string(b.Data)
}

func TestAuditRefusesBadRequests(t *testing.T) {
	t.Parallel()
	f := newAuditFixture(t)
	tests := []struct {
		query, key string
		status     int
		mentions   string
	}{
		{"", "", http.StatusUnauthorized, ""},
		{"", "consumer-key", http.StatusForbidden, ""},
		{"limit=0", "admin-key", http.StatusBadRequest, "limit"},
		{"limit=1001", "admin-key", http.StatusBadRequest, "limit"},
		{"limit=ten", "admin-key", http.StatusBadRequest, "limit"},
		{"from=yesterday", "admin-key", http.StatusBadRequest, "from"},
		{"to=2026-11-24", "admin-key", http.StatusBadRequest, "to"},
		{"from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z", "admin-key", http.StatusBadRequest, "to"},
		{"after=abc", "admin-key", http.StatusBadRequest, "after"},
		{"after=999999", "admin-key", http.StatusBadRequest, "after"},
		{"after=1-1", "admin-key", http.StatusBadRequest, "after"},
		{"source=nobody", "admin-key", http.StatusBadRequest, "source"},
	}
	for _, tc := range tests {
		for _, accept := range []string{"", "application/x-ndjson"} {
			t.Run(tc.query+" "+tc.key+" "+accept, func(t *testing.T) {
				resp, body := f.get(t, "/federation/events?"+tc.query, tc.key, accept)
				if resp.StatusCode != tc.status {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
				}
				var e struct{ Error, Field string }
				if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
					t.Fatalf("body is not a JSON error: %s", body)
				}
				if !strings.HasPrefix(e.Error, tc.mentions) || e.Field != tc.mentions {
					t.Errorf("error %q, field %q: want both to name the parameter %q", e.Error, e.Field, tc.mentions)
				}
			})
		}
	}
}

func TestSourceStatusAtATime(t *testing.T) {
	t.Parallel()
	f := newAuditFixture(t)
	at := func(d time.Duration) string { return url.QueryEscape(f.base.Add(d).Format(time.RFC3339)) }
	tests := []struct {
		name, at   string
		status     int
		wantStatus string
		version    int64
	}{
		{"before registration", at(-time.Second), http.StatusNotFound, "", 0},
		{"the moment it was registered", at(0), http.StatusOK, "pending", 1},
		{"an hour later", at(time.Hour), http.StatusOK, "pending", 1},
		{"after the proof", at(3 * time.Hour), http.StatusOK, "verified", 4},
		{"an offset written with an unescaped +", strings.ReplaceAll(f.base.Add(3*time.Hour).In(time.FixedZone("", 3600)).Format(time.RFC3339), "+", "%20"),
			http.StatusOK, "verified", 4},
		{"not a time", "tuesday", http.StatusBadRequest, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.get(t, "/federation/source-status?sourceId=alice@a.example&at="+tc.at, "admin-key", "")
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if tc.status != http.StatusOK {
				return
			}
			var got httpapi.SourceStatusAtView
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.ID != "alice@a.example" || got.Status != tc.wantStatus || got.StreamVersion != tc.version {
				t.Errorf("got id %s status %s version %d, want status %s version %d", got.ID, got.Status, got.StreamVersion,
					tc.wantStatus, tc.version)
			}
		})
	}
}
