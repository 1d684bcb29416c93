package eventstore_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

// rebuildEvents is the log's length; PFN_REBUILD_BENCH_EVENTS shortens it
// while trying things out.
var rebuildEvents = func() int {
	if n, err := strconv.Atoi(os.Getenv("PFN_REBUILD_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}()

// BenchmarkRebuild1M: `pfn projections rebuild --all` of a log of 1,000,000
// events shaped like a busy node's (registrations, verifications, trust
// changes, health checks, subscriptions, and mostly mirrored plugins with
// their rejections, tampering and rollbacks), through the real projections,
// next to its fair limit: one raw ordered scan of the same table plus a COPY
// of the rows the rebuild writes (rebuild_baseline_test.go).
func BenchmarkRebuild1M(b *testing.B) {
	ctx := pgtest.Context()
	pool := benchPool(b, 8)
	fillNodeLog(b, pool, rebuildEvents)
	projections := []eventstore.Projection{postgres.SourceProjection{}, postgres.KeyProjection{}, postgres.SubscriptionProjection{},
		postgres.MirrorProjectionHandler{}, postgres.ActivityProjection{}}
	r, err := eventstore.NewRunner(pool, slog.New(slog.NewTextHandler(io.Discard, nil)), eventstore.RunnerConfig{}, projections...)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var tables []string
	for _, p := range projections {
		tables = append(tables, p.(eventstore.TableOwner).Tables()...)
	}
	var rebuildTime, rawTime, copyTime time.Duration
	var copied int64
	for range b.N {
		// The raw scan runs before and after the rebuild and counts as the
		// faster of the two, so that neither gets only the warm cache.
		raw := rawScan(b, pool, rebuildEvents)
		res, err := r.Rebuild(ctx, r.Names(), eventstore.RebuildOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Events != int64(rebuildEvents) || res.Poisoned != 0 {
			b.Fatalf("rebuild = %+v", res)
		}
		rebuildTime += res.Elapsed
		rawTime += min(raw, rawScan(b, pool, rebuildEvents))
		b.StopTimer()
		d, n := copyRebuilt(b, pool, tables)
		b.StartTimer()
		copyTime += d
		copied = n
	}
	b.StopTimer()
	rate := float64(int64(rebuildEvents*b.N)) / rebuildTime.Seconds()
	rawRate := float64(int64(rebuildEvents*b.N)) / rawTime.Seconds()
	b.ReportMetric(rate, "rebuild_events/s")
	b.ReportMetric(rawRate, "raw_scan_events/s")
	b.ReportMetric(rate/rawRate, "ratio")
	// The fair limit: no rebuild can beat reading the log and writing its
	// rows with the cheapest bulk path PostgreSQL has.
	fairRate := float64(int64(rebuildEvents*b.N)) / (rawTime + copyTime).Seconds()
	b.ReportMetric(fairRate, "fair_limit_events/s")
	b.ReportMetric(rate/fairRate, "fair_ratio")
	b.Logf("rebuild --all of %d events: %.0f events/s (%.1fs); raw ordered scan of the same table: %.0f events/s; ratio %.2f; "+
		"raw scan + COPY of the %d rows it writes (%.1fs): %.0f events/s; fair ratio %.2f",
		rebuildEvents, rate, rebuildTime.Seconds()/float64(b.N), rawRate, rate/rawRate,
		copied, copyTime.Seconds()/float64(b.N), fairRate, rate/fairRate)
	var rows int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM mirrored_plugins`).Scan(&rows); err != nil || rows == 0 {
		b.Fatalf("mirrored_plugins has %d rows after the rebuild (%v)", rows, err)
	}
}

// nodeLog makes the events of a node's life, source by source in rounds.
type nodeLog struct {
	at       time.Time
	versions map[string]int64
	rows     [][]any
}

func (l *nodeLog) add(stream, typ string, payload any) {
	raw, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	l.versions[stream]++
	l.at = l.at.Add(time.Second)
	l.rows = append(l.rows, []any{uuid.New(), stream, l.versions[stream], typ, eventstore.CurrentSchemaVersion(typ),
		string(raw), benchMetadata, l.at})
}

func fillNodeLog(b *testing.B, pool *pgxpool.Pool, n int) {
	ctx := pgtest.Context()
	l := &nodeLog{at: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), versions: map[string]int64{}}
	const sources = 1000
	trust := domain.TrustScore{Score: 0.7, Verification: 1, Uptime: 0.9, Latency: 0.8, Signatures: 1, Age: 0.1, Subscribers: 0.2}
	for k := range 50 {
		l.add(fmt.Sprintf("apikey-key_%d", k), domain.EventAPIKeyIssued, domain.APIKeyIssued{KeyID: fmt.Sprintf("key_%d", k),
			Role: domain.RoleConsumer, Description: "consumer", Hash: fmt.Sprintf("%064d", k), IssuedBy: "master", At: l.at})
	}
	id := func(s int) domain.SourceID {
		return domain.SourceID(fmt.Sprintf("author-%d@plugins-%d.example.com", s, s))
	}
	for s := range sources {
		src, stream := id(s), "source-"+string(id(s))
		l.add(stream, domain.EventSourceRegistered, domain.SourceRegistered{SourceID: src, InstanceURL: fmt.Sprintf("https://plugins-%d.example.com", s),
			Username: fmt.Sprintf("author-%d", s), PublicKey: "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", AddedBy: "key_0", At: l.at})
		l.add(stream, domain.EventPublisherInfoRefreshed, domain.PublisherInfoRefreshed{ProtocolVersion: "1.0.0",
			Features: []string{"plugin-distribution", "signature-verification"}, AssetDomain: "cdn.example.com", NamingScheme: "{author}/{slug}.zip", At: l.at})
		l.add(stream, domain.EventOwnershipVerified, domain.OwnershipVerified{At: l.at})
		l.add(stream, domain.EventSourceStatusChanged, domain.SourceStatusChanged{From: domain.StatusPending, To: domain.StatusVerified, Reason: "ownership proven", At: l.at})
		l.add(stream, domain.EventSourceTrustAdjusted, domain.SourceTrustAdjusted{Old: 0, New: trust.Score, Components: trust, Reason: "verified", At: l.at})
	}
	// Rounds of syncs: each source mirrors new versions, finds a few
	// problems, is health-checked and re-scored; subscribers come and change
	// their filters.
	for round := 0; len(l.rows) < n; round++ {
		for s := 0; s < sources && len(l.rows) < n; s++ {
			src, stream := id(s), "source-"+string(id(s))
			sub := fmt.Sprintf("key_%d", (s+round)%50)
			if round%4 == 0 {
				l.add("subscription-"+string(src)+"/"+sub, domain.EventSubscribed, domain.Subscribed{SourceID: src, Subscriber: sub,
					Filters: domain.Filters{Tags: []string{"security"}}, At: l.at})
			} else {
				l.add("subscription-"+string(src)+"/"+sub, domain.EventSubscriptionFiltersSet, domain.SubscriptionFiltersChanged{SourceID: src,
					Subscriber: sub, Filters: domain.Filters{Tags: []string{"security", "seo"}, ExcludeTags: []string{"beta"}}, At: l.at})
			}
			for p := range 24 {
				plugin := fmt.Sprintf("plugin-%d", p)
				version := fmt.Sprintf("1.%d.0", round)
				l.add("plugin-"+string(src)+"/"+plugin, domain.EventPluginMirrored, domain.PluginMirrored{SourceID: src, Plugin: plugin,
					Name: "Plugin " + plugin, Version: version, Description: "Does one thing well.", Tags: []string{"security", "utilities"},
					SHA256: fmt.Sprintf("%064x", s*1_000_000+round*100+p), Size: 1 << 20, BlobKey: fmt.Sprintf("%s/%s/%s.zip", src, plugin, version),
					PublisherSignature: "c2lnbmF0dXJlLW9mLXRoZS1wdWJsaXNoZXI=", FederationSignature: "c2lnbmF0dXJlLW9mLXRoZS1ub2Rl",
					NodeKeyID: "node-key-1", At: l.at})
			}
			l.add("plugin-"+string(src)+"/forged", domain.EventPluginRejected, domain.PluginRejected{SourceID: src, Plugin: "forged",
				Version: fmt.Sprintf("1.%d.0", round), Reason: "signature does not verify", At: l.at})
			l.add("plugin-"+string(src)+"/plugin-0", domain.EventPluginTampered, domain.PluginTampered{SourceID: src, Plugin: "plugin-0",
				Version: "1.0.0", Detail: "listed sha256 differs from the mirrored copy", At: l.at})
			l.add("plugin-"+string(src)+"/plugin-1", domain.EventPluginRolledBack, domain.PluginRolledBack{SourceID: src, Plugin: "plugin-1",
				Listed: "0.9.0", Latest: fmt.Sprintf("1.%d.0", round), At: l.at})
			l.add(stream, domain.EventSourceHealthChecked, domain.SourceHealthChecked{Up: true, ResponseMS: int64(80 + s%50), At: l.at})
			l.add(stream, domain.EventSourceSynced, domain.SourceSynced{Mirrored: 24, Rejected: 1, PluginCount: 24, ValidSignatures: 24, InvalidSignatures: 1, At: l.at})
			l.add(stream, domain.EventSourceTrustAdjusted, domain.SourceTrustAdjusted{Old: trust.Score, New: trust.Score, Components: trust, Reason: "sync", At: l.at})
		}
	}
	rows := l.rows[:n]
	const perTx = 1000
	for start := 0; start < len(rows); start += perTx {
		_, err := pool.CopyFrom(ctx, pgx.Identifier{"events"},
			[]string{"event_id", "stream_id", "stream_version", "event_type", "schema_version", "payload", "metadata", "recorded_at"},
			pgx.CopyFromRows(rows[start:min(start+perTx, len(rows))]))
		if err != nil {
			b.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE events`); err != nil {
		b.Fatal(err)
	}
}
