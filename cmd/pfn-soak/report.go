package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// The targets the soak checks. "Flat" compares the floor at the end, the
// smallest figure of the last endWindow samples, with the baseline sample
// taken after warm-up: a leak raises the floor, while a burst of jobs or
// connections at the moment of one sample is not a leak.
const (
	maxReadLatency  = time.Second
	rssGrowth       = 0.20 // end RSS at most 20% above the baseline sample
	goroutineGrowth = 50   // end goroutines at most this many above the baseline sample
	endWindow       = 3
)

// sample is one line of the table printed during the soak.
type sample struct {
	Label string
	At    time.Duration
	Node  nodeSample
	Reads summary // reads since the previous sample
}

// floor is the smallest RSS and goroutine count among the last endWindow
// samples, each unknown (-1) if any of them is.
func floor(samples []sample) nodeSample {
	out := nodeSample{RSS: -1, Goroutines: -1}
	last := samples[max(0, len(samples)-endWindow):]
	for i, s := range last {
		if s.Node.RSS < 0 || s.Node.Goroutines < 0 {
			return nodeSample{RSS: -1, Goroutines: -1}
		}
		if i == 0 || s.Node.RSS < out.RSS {
			out.RSS = s.Node.RSS
		}
		if i == 0 || s.Node.Goroutines < out.Goroutines {
			out.Goroutines = s.Node.Goroutines
		}
	}
	return out
}

// target is one check and whether it was met.
type target struct {
	Name   string
	Met    bool
	Detail string
}

// verdict is everything the targets are judged on.
type verdict struct {
	Setup          *setupResult
	Reads          summary
	Baseline, End  nodeSample
	NodeDiedAt     time.Duration // 0: alive to the end
	NodeStop       error         // stopping it on SIGTERM
	PublishersDead int
	ByEndpoint5xx  map[endpoint]int
	Interrupted    bool
}

func (v verdict) targets() []target {
	var t []target
	add := func(name string, met bool, format string, args ...any) {
		t = append(t, target{Name: name, Met: met, Detail: fmt.Sprintf(format, args...)})
	}
	s := v.Setup
	add("set-up: every source registered and verified, every subscription accepted", s.ok(),
		"%d/%d registered, %d/%d subscribed", s.Registered, s.Sources, s.Subscribed, s.Planned)
	add(fmt.Sprintf("no read over %s", maxReadLatency), v.Reads.Count > 0 && v.Reads.Over == 0,
		"%d of %d reads over, max %s", v.Reads.Over, v.Reads.Count, round(v.Reads.Max))
	var by []string
	for e := range endpointCount {
		if n := v.ByEndpoint5xx[e]; n > 0 {
			by = append(by, fmt.Sprintf("%s: %d", e, n))
		}
	}
	add("zero 5xx from reads", v.Reads.Count > 0 && v.Reads.Status5xx == 0, "%d%s", v.Reads.Status5xx, parenthesized(by))
	add("no failed read (no answer, or 4xx)", v.Reads.Count > 0 && v.Reads.Transport+v.Reads.Status4xx == 0,
		"%d without an answer within %s, %d 4xx", v.Reads.Transport, readTimeout, v.Reads.Status4xx)
	rssMet := v.Baseline.RSS > 0 && v.End.RSS > 0 && float64(v.End.RSS) <= float64(v.Baseline.RSS)*(1+rssGrowth)
	add(fmt.Sprintf("RSS flat: end (least of the last %d samples) within +%d%% of the baseline sample", endWindow, int(rssGrowth*100)), rssMet,
		"baseline %s, end %s", mib(v.Baseline.RSS), mib(v.End.RSS))
	gMet := v.Baseline.Goroutines > 0 && v.End.Goroutines > 0 && v.End.Goroutines <= v.Baseline.Goroutines+goroutineGrowth
	add(fmt.Sprintf("goroutines flat: end (least of the last %d samples) within +%d of the baseline sample", endWindow, goroutineGrowth), gMet,
		"baseline %s, end %s", count(v.Baseline.Goroutines), count(v.End.Goroutines))
	alive := "alive to the end"
	if v.NodeDiedAt > 0 {
		alive = fmt.Sprintf("exited %s into the soak", round(v.NodeDiedAt))
	}
	stop := "stopped on SIGTERM"
	if v.NodeStop != nil {
		stop = v.NodeStop.Error()
	}
	add("node alive to the end and stopping on SIGTERM", v.NodeDiedAt == 0 && v.NodeStop == nil, "%s; %s", alive, stop)
	add("every publisher alive to the end", v.PublishersDead == 0, "%d exited early", v.PublishersDead)
	if v.Interrupted {
		add("ran the whole duration", false, "interrupted")
	}
	return t
}

func parenthesized(parts []string) string {
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

func mib(b int64) string {
	if b < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

func count(n int) string {
	if n < 0 {
		return "unknown"
	}
	return fmt.Sprint(n)
}

const sampleHeader = "%-10s %8s %10s %7s %9s %9s %9s %6s %5s\n"

func printSampleHeader(w io.Writer) {
	fmt.Fprintf(w, sampleHeader, "at", "RSS MiB", "goroutines", "reads", "p50", "p99", "max", "errors", "5xx")
}

func printSample(w io.Writer, s sample) {
	rss := "?"
	if s.Node.RSS >= 0 {
		rss = fmt.Sprintf("%.1f", float64(s.Node.RSS)/(1<<20))
	}
	fmt.Fprintf(w, sampleHeader, s.Label, rss, count(s.Node.Goroutines), fmt.Sprint(s.Reads.Count),
		round(s.Reads.P50), round(s.Reads.P99), round(s.Reads.Max), fmt.Sprint(s.Reads.Errors), fmt.Sprint(s.Reads.Status5xx))
}

const readsHeader = "%-30s %7s %9s %9s %9s %6s %5s %6s\n"

func printReads(w io.Writer, all []read) {
	fmt.Fprintf(w, readsHeader, "reads", "count", "p50", "p99", "max", "errors", "5xx", ">1s")
	line := func(name string, s summary) {
		fmt.Fprintf(w, readsHeader, name, fmt.Sprint(s.Count), round(s.P50), round(s.P99), round(s.Max),
			fmt.Sprint(s.Errors), fmt.Sprint(s.Status5xx), fmt.Sprint(s.Over))
	}
	for e := range endpointCount {
		var mine []read
		for _, x := range all {
			if x.endpoint == e {
				mine = append(mine, x)
			}
		}
		line(e.String(), summarize(mine, maxReadLatency))
	}
	line("all", summarize(all, maxReadLatency))
}

func printTargets(w io.Writer, ts []target) (missed int) {
	fmt.Fprintln(w, "targets:")
	for _, t := range ts {
		mark := "MET   "
		if !t.Met {
			mark = "MISSED"
			missed++
		}
		fmt.Fprintf(w, "  [%s] %s: %s\n", mark, t.Name, t.Detail)
	}
	return missed
}
