package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/pfn-network/pfn/app"
)

// SyncConfig bounds the work and storage one sync may take
// (docs/limits.md).
type SyncConfig struct {
	MaxFiles        int           // PFN_SYNC_MAX_FILES: files downloaded per sync
	MaxBytes        int64         // PFN_SYNC_MAX_BYTES: bytes downloaded per sync
	MaxListing      int           // PFN_SYNC_MAX_LISTING: entries one /author-data may list
	MinDownloadRate int64         // PFN_MIN_DOWNLOAD_RATE: bytes/s below which a download is cut
	RateWindow      time.Duration // PFN_MIN_DOWNLOAD_RATE_WINDOW: the window that rate is measured over
	Parallelism     int           // PFN_SYNC_PARALLELISM: downloads one sync runs at once
	// Asking the publisher about the versions a sync holds already.
	RevalidateMax     int           // PFN_REVALIDATE_MAX: held versions asked about per sync
	RevalidateTimeout time.Duration // PFN_REVALIDATE_TIMEOUT: each question's deadline
}

// registerSync adds the sync budget flags (defaults from the environment);
// the returned function checks them once the flags are parsed.
func registerSync(fs *flag.FlagSet, env func(name, def string) string, cfg *SyncConfig) func() []error {
	type positive struct {
		name, env, def, help string
		set                  func(int64)
	}
	numbers := []positive{
		{"sync-max-files", "PFN_SYNC_MAX_FILES", "200", "files downloaded per sync; the rest wait for the next", func(n int64) { cfg.MaxFiles = int(n) }},
		{"sync-max-bytes", "PFN_SYNC_MAX_BYTES", "1073741824", "bytes downloaded per sync; the rest wait for the next", func(n int64) { cfg.MaxBytes = n }},
		{"sync-max-listing", "PFN_SYNC_MAX_LISTING", "10000", "entries a publisher's listing may hold; a longer one fails the sync", func(n int64) { cfg.MaxListing = int(n) }},
		{"min-download-rate", "PFN_MIN_DOWNLOAD_RATE", "4096", "bytes per second below which a download is cut", func(n int64) { cfg.MinDownloadRate = n }},
		{"sync-parallelism", "PFN_SYNC_PARALLELISM", strconv.Itoa(app.DefaultSyncParallelism), "downloads one sync runs at once, within its budget", func(n int64) { cfg.Parallelism = int(n) }},
		{"revalidate-max", "PFN_REVALIDATE_MAX", strconv.Itoa(app.DefaultRevalidateMax), "held versions one sync asks the publisher about; later syncs take the rest", func(n int64) { cfg.RevalidateMax = int(n) }},
	}
	texts := make([]string, len(numbers))
	for i, n := range numbers {
		fs.StringVar(&texts[i], n.name, env(n.env, n.def), n.help+" ("+n.env+")")
	}
	checkDurations := registerDurations(fs, env, []durationVar{
		{"min-download-rate-window", "PFN_MIN_DOWNLOAD_RATE_WINDOW", "30s", "window the minimum download rate is measured over", &cfg.RateWindow},
		{"revalidate-timeout", "PFN_REVALIDATE_TIMEOUT", app.DefaultRevalidateTimeout.String(), "deadline of each question about a held file", &cfg.RevalidateTimeout},
	})
	return func() []error {
		errs := checkDurations()
		for i, n := range numbers {
			v, err := strconv.ParseInt(texts[i], 10, 32)
			if n.env == "PFN_SYNC_MAX_BYTES" {
				v, err = strconv.ParseInt(texts[i], 10, 64)
			}
			if err != nil || v <= 0 {
				errs = append(errs, fmt.Errorf("%s %q: want a positive number such as %s", n.env, texts[i], n.def))
				continue
			}
			n.set(v)
		}
		return errs
	}
}
