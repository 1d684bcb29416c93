package main

// Tests of the soak's own arithmetic; the soak itself is a benchmark
// (`make soak`) and never runs under `go test`.

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSummarizeCountsOutcomes(t *testing.T) {
	reads := []read{
		{took: 10 * time.Millisecond, status: 200},
		{took: 30 * time.Millisecond, status: 200},
		{took: 2 * time.Second, outcome: status5xx, status: 503},
		{took: 20 * time.Millisecond, outcome: status4xx, status: 404},
		{took: readTimeout, outcome: transportErr},
	}
	s := summarize(reads, time.Second)
	want := summary{Count: 5, Errors: 3, Status5xx: 1, Status4xx: 1, Transport: 1, Over: 2,
		P50: 30 * time.Millisecond, P99: readTimeout, Max: readTimeout}
	if s != want {
		t.Fatalf("summary = %+v, want %+v", s, want)
	}
}

func TestSampleTimesIncludeWarmupAndEnd(t *testing.T) {
	got := sampleTimes(10*time.Minute, time.Minute, time.Minute)
	if len(got) != 10 || got[0] != time.Minute || got[9] != 10*time.Minute {
		t.Fatalf("10m every 1m: %v", got)
	}
	got = sampleTimes(time.Minute, 15*time.Second, 10*time.Second)
	want := []time.Duration{10 * time.Second, 15 * time.Second, 20 * time.Second, 30 * time.Second, 40 * time.Second, 50 * time.Second, time.Minute}
	if !slices.Equal(got, want) {
		t.Fatalf("1m: %v, want %v", got, want)
	}
}

func TestConfigDefaultsEnvironmentAndShortRuns(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cfg, err := parseConfig(nil, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Duration != 10*time.Minute || cfg.Warmup != time.Minute || cfg.Sample != time.Minute ||
		cfg.Sources != 100 || cfg.Plugins != 20 || cfg.Readers != 8 || cfg.ReadRate != 10 {
		t.Fatalf("defaults: %+v", cfg)
	}
	env["SOAK_DURATION"], env["SOAK_SOURCES"] = "1m", "20"
	if cfg, err = parseConfig(nil, getenv, io.Discard); err != nil {
		t.Fatal(err)
	}
	if cfg.Duration != time.Minute || cfg.Sources != 20 || cfg.Warmup != 15*time.Second || cfg.Sample != 10*time.Second {
		t.Fatalf("SOAK_DURATION=1m SOAK_SOURCES=20: %+v", cfg)
	}
	if cfg, err = parseConfig([]string{"-duration", "2m"}, getenv, io.Discard); err != nil || cfg.Duration != 2*time.Minute {
		t.Fatalf("a flag wins over the variable: %+v %v", cfg, err)
	}
	for k, v := range map[string]string{"SOAK_DURATION": "-1s", "SOAK_SOURCES": "0", "SOAK_PLUGINS": "5", "SOAK_READ_RATE": "x"} {
		bad := map[string]string{k: v}
		if _, err := parseConfig(nil, func(k string) string { return bad[k] }, io.Discard); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v, want an error naming it", k, v, err)
		}
	}
}

func TestKindsAreMixedAndFailingOnesAlternate(t *testing.T) {
	counts := map[kind]int{}
	for i := range 100 {
		counts[kindOf(i)]++
	}
	if counts[wellBehaved] != 55 || counts[slow] != 20 || counts[failing] != 15 || counts[hostile] != 10 {
		t.Fatalf("mix of 100: %v", counts)
	}
	downs := 0
	for s := range failPeriod / time.Second {
		if shouldBeDown(s*time.Second, 4) {
			downs++
		}
	}
	if downs != int(failPeriod/time.Second)/2 {
		t.Fatalf("down %d of %d seconds, want half", downs, failPeriod/time.Second)
	}
	if shouldBeDown(0, 4) == shouldBeDown(0, 9) {
		t.Fatal("publishers 4 and 9 fail in step")
	}
}

func TestHostileCatalogKeepsTheSizeAndCarriesEveryKind(t *testing.T) {
	p := newPublisher(7, 20)
	if p.kind != hostile {
		t.Fatalf("publisher 7 is %s", p.kind)
	}
	c := p.catalog()
	if len(c) != 20 {
		t.Fatalf("%d entries", len(c))
	}
	var slugs []string
	var huge, tags, badSig, noSig bool
	for _, e := range c {
		slugs = append(slugs, e.Slug)
		huge = huge || len(e.ShortDescription) >= hugeDescBytes-24
		tags = tags || len(e.Tags) == manyTags
		badSig, noSig = badSig || e.BadSignature, noSig || e.OmitSignature
	}
	if !slices.Contains(slugs, "../x") || !huge || !tags || !badSig || !noSig {
		t.Fatalf("hostile catalogue lacks a kind: slugs %v huge %v tags %v bad %v none %v", slugs, huge, tags, badSig, noSig)
	}
}

func TestParseMetrics(t *testing.T) {
	text := "# HELP go_goroutines Number of goroutines that currently exist.\n# TYPE go_goroutines gauge\ngo_goroutines 123\n" +
		"# TYPE pfn_syncs_total counter\npfn_syncs_total{outcome=\"ok\",source=\"a@b\"} 4\n" +
		"pfn_syncs_total{outcome=\"ok\",source=\"c@d\"} 3\npfn_syncs_total{outcome=\"failed\",source=\"c@d\"} 2\n"
	m, err := parseMetrics(strings.NewReader(text))
	if err != nil || m.goroutines != 123 || m.work["syncs ok"] != 7 || m.work["syncs failed"] != 2 || len(m.work) != 2 {
		t.Fatalf("= %+v, %v", m, err)
	}
	if _, err := parseMetrics(strings.NewReader("# TYPE x gauge\nx 1\n")); err == nil {
		t.Fatal("no go_goroutines: want an error")
	}
}

func TestTailBufferKeepsWholeLastLines(t *testing.T) {
	tb := &tailBuffer{max: 20}
	for _, l := range []string{"first line\n", "second line\n", "third\n", "fourth\n"} {
		_, _ = tb.Write([]byte(l))
	}
	if got := tb.lastLines(5); !slices.Equal(got, []string{"third", "fourth"}) {
		t.Fatalf("lastLines = %q", got)
	}
	if got := (&tailBuffer{max: 10}).lastLines(3); got != nil {
		t.Fatalf("empty: %q", got)
	}
}

func TestTargets(t *testing.T) {
	good := verdict{
		Setup:    &setupResult{Registered: 2, Sources: 2, Subscribed: 3, Planned: 3},
		Reads:    summary{Count: 10, Max: 900 * time.Millisecond},
		Baseline: nodeSample{RSS: 100 << 20, Goroutines: 200},
		End:      nodeSample{RSS: 120 << 20, Goroutines: 250},
	}
	for _, tg := range good.targets() {
		if !tg.Met {
			t.Fatalf("%s missed on a good run: %s", tg.Name, tg.Detail)
		}
	}
	missed := func(v verdict) []string {
		var out []string
		for _, tg := range v.targets() {
			if !tg.Met {
				out = append(out, tg.Name)
			}
		}
		return out
	}
	for _, c := range []struct {
		name   string
		change func(*verdict)
		want   string
	}{
		{"a slow read", func(v *verdict) { v.Reads.Over = 1 }, "no read over"},
		{"a 503", func(v *verdict) { v.Reads.Status5xx = 1; v.ByEndpoint5xx = map[endpoint]int{epReadyz: 1} }, "zero 5xx"},
		{"a hung read", func(v *verdict) { v.Reads.Transport = 1 }, "no failed read"},
		{"RSS grew 21%", func(v *verdict) { v.End.RSS = 121 << 20 }, "RSS flat"},
		{"RSS unknown", func(v *verdict) { v.End.RSS = -1 }, "RSS flat"},
		{"51 more goroutines", func(v *verdict) { v.End.Goroutines = 251 }, "goroutines flat"},
		{"a missing subscription", func(v *verdict) { v.Setup = &setupResult{Registered: 2, Sources: 2, Subscribed: 2, Planned: 3} }, "set-up"},
		{"node died", func(v *verdict) { v.NodeDiedAt = time.Minute }, "node alive"},
		{"dead publisher", func(v *verdict) { v.PublishersDead = 1 }, "every publisher"},
		{"interrupted", func(v *verdict) { v.Interrupted = true }, "whole duration"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := good
			c.change(&v)
			got := missed(v)
			if len(got) != 1 || !strings.Contains(got[0], c.want) {
				t.Fatalf("missed %q, want just %q", got, c.want)
			}
		})
	}
	// A soak that read nothing proves nothing about reads.
	noReads := good
	noReads.Reads = summary{}
	if got := missed(noReads); len(got) != 3 {
		t.Fatalf("no reads at all: missed %q, want the three read targets", got)
	}
}

func TestLogSummaryCountsLevelsAndKeepsFirstAndLastErrors(t *testing.T) {
	var b strings.Builder
	for i := range 10 {
		fmt.Fprintf(&b, "time=t level=ERROR msg=\"request failed\" n=%d\n", i)
		fmt.Fprintf(&b, "time=t level=WARN msg=\"scheduled job failed\" n=%d\n", i)
	}
	b.WriteString("panic: boom\n" + strings.Repeat("x", 500) + " level=ERROR\n")
	s, err := summarizeLog(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if s.Levels["ERROR"] != 11 || s.Levels["WARN"] != 10 || s.Levels["other"] != 1 {
		t.Fatalf("levels %v", s.Levels)
	}
	if len(s.FirstErrors) != 3 || !strings.HasSuffix(s.FirstErrors[0], "n=0") || len(s.LastErrors) != 3 || !strings.HasSuffix(s.LastErrors[1], "n=9") {
		t.Fatalf("first %q, last %q", s.FirstErrors, s.LastErrors)
	}
	if last := s.LastErrors[2]; len(last) > 304 || !strings.HasSuffix(last, "…") {
		t.Fatalf("a long line is not cut: %d bytes", len(last))
	}
}

func TestFloorIsTheLeastOfTheLastSamples(t *testing.T) {
	at := func(rss int64, g int) sample { return sample{Node: nodeSample{RSS: rss, Goroutines: g}} }
	for _, c := range []struct {
		name    string
		samples []sample
		want    nodeSample
	}{
		{"none", nil, nodeSample{RSS: -1, Goroutines: -1}},
		{"one", []sample{at(10, 5)}, nodeSample{RSS: 10, Goroutines: 5}},
		{"a burst at the end is not a leak", []sample{at(1, 1), at(10, 200), at(12, 150), at(30, 400)}, nodeSample{RSS: 10, Goroutines: 150}},
		{"a risen floor shows", []sample{at(10, 100), at(20, 200), at(21, 210), at(22, 220)}, nodeSample{RSS: 20, Goroutines: 200}},
		{"an unknown figure makes it unknown", []sample{at(10, 100), at(-1, -1), at(21, 210)}, nodeSample{RSS: -1, Goroutines: -1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := floor(c.samples)
			if got.RSS != c.want.RSS || got.Goroutines != c.want.Goroutines {
				t.Fatalf("floor = %+v, want %+v", got, c.want)
			}
		})
	}
}
