package postgres_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/internal/tlogtiles"
	"github.com/pfn-network/pfn/migrations/pgtest"
)

const logBenchSize = 100_000

// BenchmarkLogAppend100k: 100,000 signed statements through the
// transparency log's projection, on a fresh database, by the runner as a
// node runs it (pages of the log, pipelined); then every tile of that log
// served through the reader: hash tiles with tlog.ReadTileData, entry
// bundles from LogEntries. `make bench` runs it.
func BenchmarkLogAppend100k(b *testing.B) {
	ctx := pgtest.Context()
	pool := pgtest.Pool(b)
	appendStatements(b, pool, logBenchSize)
	log := postgres.LogReader{Pool: pool}

	var baseline float64
	b.Run("baseline_catalog_changes", func(b *testing.B) {
		// The change feed numbers one row per event in commit order too,
		// without hashes: what the runner does with these events anyway.
		var elapsed time.Duration
		for range b.N {
			pgtest.Exec(b, pool, `TRUNCATE catalog_changes, catalog_change_versions`,
				`DELETE FROM event_consumer_offsets WHERE consumer_group = 'catalog_changes'`)
			elapsed += runProjection(b, pool, postgres.CatalogChanges{}, func(ctx context.Context) (int64, error) {
				return postgres.ChangeFeed{Pool: pool}.FeedHead(ctx)
			})
		}
		baseline = float64(logBenchSize*b.N) / elapsed.Seconds()
		b.ReportMetric(baseline, "events/s")
	})

	b.Run("append", func(b *testing.B) {
		var elapsed time.Duration
		for range b.N {
			pgtest.Exec(b, pool, `TRUNCATE transparency_log, transparency_log_hashes`,
				`DELETE FROM event_consumer_offsets WHERE consumer_group = 'transparency_log'`)
			elapsed += runProjection(b, pool, postgres.TransparencyLog{Leaf: nodekey.LogLeaf}, log.LogSize)
		}
		rate := float64(logBenchSize*b.N) / elapsed.Seconds()
		b.ReportMetric(rate, "statements/s")
		if baseline > 0 {
			b.ReportMetric(rate/baseline, "ratio_to_change_feed")
		}
		b.Logf("transparency log: %d statements appended by the projection at %.0f statements/s (the change feed, same events: %.0f events/s)",
			logBenchSize, rate, baseline)
	})

	b.Run("tiles", func(b *testing.B) {
		hashes := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) { return log.ReadLogHashes(ctx, indexes) })
		var tiles int
		var elapsed time.Duration
		for range b.N {
			start := time.Now()
			for _, t := range allTiles(logBenchSize) {
				if t.L == -1 {
					entries, err := log.LogEntries(ctx, t.N<<tlogtiles.Height, t.N<<tlogtiles.Height+int64(t.W))
					if err != nil {
						b.Fatal(err)
					}
					var bundle []byte
					for _, e := range entries {
						if bundle, err = tlogtiles.AppendEntry(bundle, e.Statement); err != nil {
							b.Fatal(err)
						}
					}
				} else if _, err := tlog.ReadTileData(t, hashes); err != nil {
					b.Fatal(err)
				}
				tiles++
			}
			elapsed += time.Since(start)
		}
		rate := float64(tiles) / elapsed.Seconds()
		b.ReportMetric(rate, "tiles/s")
		b.Logf("transparency log of %d: %d tiles (hash tiles and entry bundles) served through the reader at %.0f tiles/s",
			logBenchSize, tiles/b.N, rate)
	})
}

// appendStatements appends n plugin.mirrored events with a v2 signature,
// a thousand per transaction (the signature is not checked by the log).
func appendStatements(b *testing.B, pool *pgxpool.Pool, n int) {
	b.Helper()
	ctx := pgtest.Context()
	at := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for first := 0; first < n; first += 1000 {
		var appends []eventstore.StreamAppend
		for i := first; i < min(first+1000, n); i++ {
			e := domain.PluginMirrored{SourceID: "author@127.0.0.1:9030", Plugin: fmt.Sprintf("plugin%06d", i), Name: "P", Version: "1.0.0",
				SHA256: fmt.Sprintf("%064x", i), Size: int64(i), BlobKey: "k", PublisherSignature: "publisher-signature",
				FederationSignature: "fed", NodeKeyID: "0123456789abcdef", At: at.Add(time.Duration(i) * time.Millisecond),
				FederationSignatureV2: "node-signature-v2", PublisherKey: "cHVibGlzaGVyLWtleS1vZi0zMi1ieXRlcy0wMTIzNDU="}
			events, err := eventstore.EncodeAll([]domain.PluginEvent{e})
			if err != nil {
				b.Fatal(err)
			}
			appends = append(appends, eventstore.StreamAppend{StreamID: "plugin-" + string(e.SourceID) + "/" + e.Plugin, Events: events})
		}
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			_, err := eventstore.New(tx).AppendMany(ctx, appends)
			return err
		}); err != nil {
			b.Fatal(err)
		}
	}
}

// runProjection runs one projection alone until size says it holds every
// statement, and returns how long that took.
func runProjection(b *testing.B, pool *pgxpool.Pool, p eventstore.Projection, size func(context.Context) (int64, error)) time.Duration {
	b.Helper()
	r, err := eventstore.NewRunner(pool, slog.New(slog.NewTextHandler(io.Discard, nil)),
		eventstore.RunnerConfig{PollInterval: 10 * time.Millisecond}, p)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(pgtest.Context())
	done := make(chan struct{})
	start := time.Now()
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for {
		n, err := size(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n >= logBenchSize {
			return time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// allTiles lists every tile of a tree of size n as tlog-tiles serves them:
// full and partial hash tiles of each level, and entry bundles (level -1).
func allTiles(n int64) []tlog.Tile {
	var out []tlog.Tile
	for level := 0; n>>(tlogtiles.Height*level) > 0; level++ {
		width := n >> (tlogtiles.Height * level) // hashes at this tile level
		for i := int64(0); i*tlogtiles.Width < width; i++ {
			w := min(width-i*tlogtiles.Width, tlogtiles.Width)
			t := tlog.Tile{H: tlogtiles.Height, L: level, N: i, W: int(w)}
			out = append(out, t)
			if level == 0 {
				e := t
				e.L = -1
				out = append(out, e)
			}
		}
	}
	return out
}
