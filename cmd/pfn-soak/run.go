package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// run is the soak from start to verdict. It returns false when a target is
// missed, and an error when the soak could not be set up at all; either
// way everything it started is stopped and its database dropped.
func run(ctx context.Context, cfg config, out io.Writer) (bool, error) {
	for _, bin := range []string{cfg.PFN, cfg.Publisher} {
		if _, err := os.Stat(bin); err != nil {
			return false, fmt.Errorf("%w (build it first: make soak does)", err)
		}
	}
	dir, err := os.MkdirTemp("", "pfn-soak-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)

	dbURL, drop, err := soakDatabase(cfg.Server)
	if err != nil {
		return false, err
	}
	defer func() {
		if err := drop(); err != nil {
			fmt.Fprintln(out, "could not drop the soak database:", err)
		}
	}()

	counts := map[kind]int{}
	pubs := make([]*publisher, cfg.Sources)
	for i := range pubs {
		pubs[i] = newPublisher(i, cfg.Plugins)
		counts[pubs[i].kind]++
	}
	fmt.Fprintf(out, "soak: %d sources (%d well-behaved, %d slow, %d failing, %d hostile) x %d plugins of 4-16 KiB, %s, %d read connections at %s\n",
		cfg.Sources, counts[wellBehaved], counts[slow], counts[failing], counts[hostile], cfg.Plugins, cfg.Duration, cfg.Readers, rateText(cfg.ReadRate))

	// Publishers: started, then given their catalogues and delays.
	hooks := &http.Client{Timeout: 10 * time.Second}
	pubProcs, err := startFleet(ctx, cfg.Publisher, pubs, hooks)
	pubsStopped := false
	stopPublishers := func() []error {
		if pubsStopped {
			return nil
		}
		pubsStopped = true
		return stopAll(pubProcs, 15*time.Second)
	}
	defer stopPublishers()
	if err != nil {
		return false, err
	}

	// The node.
	n, err := startNode(ctx, cfg.PFN, dbURL, dir, cfg.LogLevel)
	if n != nil && n.proc != nil {
		defer func() {
			if !n.proc.exited() {
				_, _ = n.proc.stop(30 * time.Second)
			}
		}()
	}
	if err != nil {
		return false, err
	}
	a := api{base: n.base, client: &http.Client{}}
	admin, keys, err := a.keys(ctx, n.master)
	if err != nil {
		return false, err
	}

	// From here on the soak measures: readers run through set-up and soak.
	soakCtx, endSoak := context.WithCancel(ctx)
	defer endSoak()
	began := time.Now()
	var nodeDiedAt atomic.Int64
	go func() {
		select {
		case <-n.proc.done:
			nodeDiedAt.Store(int64(time.Since(began)))
			endSoak()
		case <-soakCtx.Done():
		}
	}()
	var registered atomic.Pointer[[]string]
	registered.Store(&[]string{})
	rec := &recorder{start: began}
	readCtx, stopReads := context.WithCancel(soakCtx)
	defer stopReads()
	readWG := readers(readCtx, cfg.Readers, cfg.ReadRate, n.base, admin, func() []string { return *registered.Load() }, rec)

	setup := setUp(soakCtx, a, admin, keys, pubs, func(ids []string) { registered.Store(&ids) }, out)

	// The soak proper.
	soakStart := time.Since(began)
	fmt.Fprintf(out, "soak: %s from now; baseline for the flat targets at +%s; samples every %s\n", cfg.Duration, cfg.Warmup, cfg.Sample)
	printSampleHeader(out)
	take := func(label string, from, to time.Duration) sample {
		s := sample{Label: label, At: to, Reads: summarize(rec.between(from, to), maxReadLatency)}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		s.Node, _ = n.sample(sctx, admin)
		printSample(out, s)
		return s
	}
	take("set-up", 0, soakStart)
	ch := &chaos{client: hooks, pubs: pubs}
	chaosDone := make(chan struct{})
	go func() {
		defer close(chaosDone)
		ch.run(soakCtx)
	}()
	baseline, after := measure(soakCtx, cfg, began, soakStart, take)
	end := floor(after)
	interrupted := ctx.Err() != nil
	stopReads()
	readWG.Wait()
	endSoak()
	<-chaosDone
	if nodeDiedAt.Load() > 0 {
		end = nodeSample{RSS: -1, Goroutines: -1}
	}

	all := rec.between(0, time.Since(began)+time.Second)
	fmt.Fprintln(out)
	printReads(out, all)
	ch.mu.Lock()
	fmt.Fprintf(out, "publishers: %d down spells, %d releases, %d hook failures\n", ch.counts.downs, ch.counts.releases, len(ch.errs))
	for _, e := range ch.errs[:min(3, len(ch.errs))] {
		fmt.Fprintln(out, "  ", e)
	}
	ch.mu.Unlock()
	if nodeDiedAt.Load() == 0 {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		fmt.Fprintln(out, "node at the end:", sourceSummary(sctx, a, admin))
		cancel()
	}
	if len(after) > 0 && after[len(after)-1].Node.Work != nil {
		fmt.Fprintln(out, "node's work over the run:", workText(after[len(after)-1].Node.Work))
		fmt.Fprintln(out, "  due at its intervals:", dueText(len(setup.subscribedSources), setup.Registered, time.Since(began)))
	}

	v := verdict{Setup: setup, Reads: summarize(all, maxReadLatency), Baseline: baseline.Node, End: end,
		NodeDiedAt: time.Duration(nodeDiedAt.Load()), Interrupted: interrupted, ByEndpoint5xx: map[endpoint]int{}}
	for _, x := range all {
		if x.outcome == status5xx {
			v.ByEndpoint5xx[x.endpoint]++
		}
	}
	if v.NodeDiedAt == 0 {
		if _, err := n.proc.stop(30 * time.Second); err != nil {
			v.NodeStop = err
		}
	} else {
		v.NodeStop = fmt.Errorf("exited on its own: %v", n.proc.err)
	}
	for _, p := range pubs {
		if p.proc.exited() {
			v.PublishersDead++
		}
	}
	for _, err := range stopPublishers() {
		if !errors.Is(err, errAlreadyExited) {
			fmt.Fprintln(out, "stopping publishers:", err)
		}
	}

	printNodeLog(out, n.logPath)
	if v.NodeDiedAt > 0 {
		fmt.Fprintln(out, "the node's last words:")
		for _, l := range n.proc.tail.lastLines(20) {
			fmt.Fprintln(out, "   ", cut(l, 300))
		}
	}
	fmt.Fprintln(out)
	missed := printTargets(out, v.targets())
	if missed > 0 {
		fmt.Fprintf(out, "soak: %d target(s) missed\n", missed)
		return false, nil
	}
	fmt.Fprintln(out, "soak: every target met")
	return true, nil
}

// measure takes the samples of the soak proper, which started soakStart
// after began, until it has run its duration or ctx ends. It returns the
// baseline sample for the flat targets and every sample from it on; a
// baseline not taken has unknown figures.
func measure(ctx context.Context, cfg config, began time.Time, soakStart time.Duration,
	take func(label string, from, to time.Duration) sample) (baseline sample, after []sample) {
	baseline = sample{Node: nodeSample{RSS: -1, Goroutines: -1}}
	last := soakStart
	for _, at := range sampleTimes(cfg.Duration, cfg.Warmup, cfg.Sample) {
		select {
		case <-time.After(time.Until(began.Add(soakStart + at))):
		case <-ctx.Done():
			return baseline, after
		}
		now := time.Since(began)
		label := "+" + at.String()
		if at == cfg.Warmup {
			label += " base"
		}
		s := take(label, last, now)
		last = now
		if at == cfg.Warmup {
			baseline = s
		}
		if at >= cfg.Warmup {
			after = append(after, s)
		}
	}
	return baseline, after
}

// sampleTimes are the moments (from the soak's start) at which samples
// are taken: every sample interval, the warm-up's end, and the end.
func sampleTimes(duration, warmup, every time.Duration) []time.Duration {
	var at []time.Duration
	for t := every; t < duration; t += every {
		at = append(at, t)
	}
	at = append(at, warmup, duration)
	slices.Sort(at)
	return slices.Compact(at)
}

func workText(work map[string]float64) string {
	var parts []string
	for k, v := range work {
		parts = append(parts, fmt.Sprintf("%s %d", k, int64(v)))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// dueText is about how many syncs and health checks the schedule asks of
// the node over elapsed, for subscribed and registered sources, to set its
// work figures against.
func dueText(subscribed, registered int, elapsed time.Duration) string {
	due := func(name string, sources int) string {
		v := os.Getenv(name)
		if v == "" {
			v = schedule[name]
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return name + " unknown"
		}
		return fmt.Sprintf("~%d (%s=%s)", int64(float64(sources)*elapsed.Seconds()/d.Seconds()), name, v)
	}
	return fmt.Sprintf("syncs %s for %d subscribed sources, health checks %s for %d", due("PFN_SYNC_INTERVAL", subscribed), subscribed,
		due("PFN_HEALTH_INTERVAL", registered), registered)
}

func rateText(rate float64) string {
	if rate == 0 {
		return "back to back"
	}
	return fmt.Sprintf("%g reads/s each", rate)
}

// soakDatabase names a database that does not exist yet on server (the
// node creates it) and returns a function that drops it, connections and
// all.
func soakDatabase(server string) (string, func() error, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", nil, fmt.Errorf("server URL: %w", err)
	}
	name := fmt.Sprintf("pfn_soak_%d", time.Now().UnixNano())
	admin := u.String()
	u.Path = "/" + name
	drop := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		return err
	}
	return u.String(), drop, nil
}
