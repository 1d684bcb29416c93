// Command pfn-soak is the node's soak benchmark (`make soak`): one real
// `pfn serve` on a fresh database, many real pfn-publisher processes that
// behave well, slowly, intermittently or with hostile catalogues, scheduler
// intervals of a second or two, and API reads on a few connections the
// whole time. It prints read latencies, errors, the node's memory and
// goroutines over time, checks them against its targets and exits 1 when
// one is missed, so it can serve as a check. Run it with -h for the knobs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pfn-soak:", err)
		os.Exit(2)
	}
	ok, err := run(ctx, cfg, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pfn-soak:", err)
		os.Exit(2)
	}
	if !ok {
		os.Exit(1)
	}
}

// config is what the soak reads from its flags and SOAK_* variables.
type config struct {
	Duration  time.Duration // how long the measured soak runs after set-up
	Warmup    time.Duration // the baseline sample for "flat" is taken this long into the soak
	Sample    time.Duration // time between samples of memory and goroutines
	Sources   int
	Plugins   int // per source
	Readers   int // concurrent API read connections
	ReadRate  float64
	PFN       string // the pfn binary
	Publisher string // the pfn-publisher binary
	Server    string // PostgreSQL server on which the soak database is created and dropped
	LogLevel  string // the node's PFN_LOG_LEVEL unless set in the environment
}

const usage = `pfn-soak: the node's soak benchmark. It starts one real "pfn serve" on a
fresh database and -sources real pfn-publisher processes of -plugins plugins
each (4-16 KiB files), registers them through the API, subscribes consumers,
and runs the node's scheduler at 1-2 s intervals while -readers connections
read the API, for -duration. Everything is on loopback; everything started is
stopped at the end and the database dropped.

Sources are a mix: 55% well-behaved (a third of them publish a new version
every 30 s), 20% slow (downloads held back 1-2 s; a third publish new versions),
15% failing (down for 15 s of every 30 s), 10% hostile (bad slugs such as
"../x", a 256 KiB description, 1,000 tags, wrong, missing and mismatched
signatures and hashes; half of them trickle their files at 256 bytes a second).

Targets (exit status 1 when one is missed): every source registered and every
subscription accepted; no read over 1 s; no 5xx and no failed read (no answer
within 10 s, or a 4xx); RSS and goroutines flat: the node's RSS at the end (the
least of the last three samples, as a leak raises the floor) within +20% of
the baseline sample taken -warmup into the soak, its goroutines within +50;
the node alive to the end and stopping on SIGTERM; every publisher alive.

The node gets PFN_SYNC_INTERVAL=2s, PFN_HEALTH_INTERVAL=1s,
PFN_RECHECK_INTERVAL=2s, PFN_REVERIFY_INTERVAL=2s, PFN_RETRY_BASE=1s unless
the environment sets them; every other PFN_* variable of the environment
(PFN_DB_MAX_CONNS, say) reaches it as well.

Flags (each also set by the SOAK_ variable named after it):
`

// parseConfig reads flags, each defaulting to its SOAK_* variable.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("pfn-soak", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	env := func(name, def string) string { return getenvOr(getenv, name, def) }
	var cfg config
	var errs []error
	duration := func(p *time.Duration, name, env, def, help string) {
		fs.Func(name, help+" ("+env+", default "+def+")", func(s string) error {
			d, err := time.ParseDuration(s)
			if err == nil && d <= 0 {
				err = errors.New("want a positive duration")
			}
			*p = d
			return err
		})
		if err := fs.Set(name, getenvOr(getenv, env, def)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", env, err))
		}
	}
	number := func(p *int, name, env string, def int, lo, hi int, help string) {
		fs.Func(name, fmt.Sprintf("%s (%s, default %d)", help, env, def), func(s string) error {
			n, err := strconv.Atoi(s)
			if err == nil && (n < lo || n > hi) {
				err = fmt.Errorf("want %d..%d", lo, hi)
			}
			*p = n
			return err
		})
		if err := fs.Set(name, getenvOr(getenv, env, strconv.Itoa(def))); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", env, err))
		}
	}
	duration(&cfg.Duration, "duration", "SOAK_DURATION", "10m", "how long the soak runs after set-up")
	duration(&cfg.Warmup, "warmup", "SOAK_WARMUP", "1m", "baseline sample for the flat targets this long into the soak (a quarter of -duration when that is shorter)")
	duration(&cfg.Sample, "sample", "SOAK_SAMPLE", "1m", "time between samples (a sixth of -duration when that is shorter)")
	number(&cfg.Sources, "sources", "SOAK_SOURCES", 100, 1, 1000, "publisher processes, one source each")
	number(&cfg.Plugins, "plugins", "SOAK_PLUGINS", 20, 12, 1000, "plugins per publisher")
	number(&cfg.Readers, "readers", "SOAK_READERS", 8, 1, 256, "concurrent API read connections")
	fs.Float64Var(&cfg.ReadRate, "read-rate", 10, "reads a second per connection, 0 for back to back (SOAK_READ_RATE)")
	if v := getenv("SOAK_READ_RATE"); v != "" {
		if err := fs.Set("read-rate", v); err != nil {
			errs = append(errs, fmt.Errorf("SOAK_READ_RATE: %w", err))
		}
	}
	fs.StringVar(&cfg.PFN, "pfn", env("SOAK_PFN", "bin/pfn"), "the pfn binary (SOAK_PFN)")
	fs.StringVar(&cfg.Publisher, "publisher", env("SOAK_PUBLISHER", "bin/pfn-publisher"), "the pfn-publisher binary (SOAK_PUBLISHER)")
	fs.StringVar(&cfg.Server, "server", env("PFN_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL server URL on which the soak database is created and dropped (PFN_TEST_DATABASE_URL)")
	fs.StringVar(&cfg.LogLevel, "node-log-level", env("PFN_LOG_LEVEL", "warn"), "the node's log level (PFN_LOG_LEVEL)")
	if err := errors.Join(errs...); err != nil {
		return config{}, err
	}
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.ReadRate < 0 {
		return config{}, errors.New("-read-rate: want 0 or more reads a second")
	}
	cfg.Warmup = min(cfg.Warmup, cfg.Duration/4)
	cfg.Sample = min(cfg.Sample, cfg.Duration/6)
	return cfg, nil
}

func getenvOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}
