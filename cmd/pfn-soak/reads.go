package main

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/pfn-network/pfn/internal/httpload"
)

// readTimeout ends a read that hangs; it then counts as a failed read
// (and as one over the latency target).
const readTimeout = 10 * time.Second

// endpoint is one kind of read the soak makes.
type endpoint int

const (
	epSources endpoint = iota
	epPlugins
	epActivity
	epSourceStatus
	epReadyz
	endpointCount
)

func (e endpoint) String() string {
	return [...]string{"GET /federation/sources", "GET /federation/plugins", "GET /federation/activity",
		"GET /federation/source-status", "GET /readyz"}[e]
}

type outcome uint8

const (
	ok2xx outcome = iota
	status4xx
	status5xx
	transportErr // no answer: refused, reset, timed out
)

// read is one finished read.
type read struct {
	at       time.Duration // since the soak began, when the read ended
	took     time.Duration
	endpoint endpoint
	outcome  outcome
	status   int
}

// recorder keeps every read; at a few hundred a second for ten minutes
// that is a few MB.
type recorder struct {
	start time.Time
	mu    sync.Mutex
	reads []read
}

func (r *recorder) add(x read) {
	r.mu.Lock()
	r.reads = append(r.reads, x)
	r.mu.Unlock()
}

// between is a copy of the reads that ended in [from, to).
func (r *recorder) between(from, to time.Duration) []read {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []read
	for _, x := range r.reads {
		if x.at >= from && x.at < to {
			out = append(out, x)
		}
	}
	return out
}

// readers run n connections against the node until ctx ends, each at rate
// reads a second (0: back to back). Each reader has a transport of its own
// with one connection, so n readers are n connections. A read in flight
// when ctx ends is finished, not cut off: a cut-off read would be neither a
// success nor the node's failure.
func readers(ctx context.Context, n int, rate float64, base, admin string, sourceIDs func() []string, rec *recorder) *sync.WaitGroup {
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, DisableCompression: true}
			defer tr.CloseIdleConnections()
			c := &http.Client{Transport: tr, Timeout: readTimeout}
			rng := rand.New(rand.NewPCG(uint64(k), 7))
			var pause time.Duration
			if rate > 0 {
				pause = time.Duration(float64(time.Second) / rate)
			}
			for i := k; ctx.Err() == nil; i++ {
				next := time.Now().Add(pause)
				e := endpoint(i % int(endpointCount))
				if e == epSourceStatus && len(sourceIDs()) == 0 {
					e = epSources // nothing registered yet to ask about
				}
				rec.add(readOnce(c, base, admin, e, pick(rng, sourceIDs()), rec.start))
				select {
				case <-time.After(time.Until(next)):
				case <-ctx.Done():
				}
			}
		}()
	}
	return &wg
}

func pick(rng *rand.Rand, ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[rng.IntN(len(ids))]
}

// readOnce makes one read and reads the whole answer; the time is until
// the last byte.
func readOnce(c *http.Client, base, admin string, e endpoint, sourceID string, start time.Time) read {
	path, key := "", admin
	switch e {
	case epSources:
		path = "/federation/sources"
	case epPlugins:
		path, key = "/federation/plugins?limit=50", "" // public
		if sourceID != "" && time.Now().UnixNano()%2 == 0 {
			path += "&source=" + url.QueryEscape(sourceID)
		}
	case epActivity:
		path = "/federation/activity?limit=50"
	case epSourceStatus:
		path = "/federation/source-status?sourceId=" + url.QueryEscape(sourceID)
	case epReadyz:
		path, key = "/readyz", ""
	}
	began := time.Now()
	x := read{endpoint: e}
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err == nil {
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		var resp *http.Response
		if resp, err = c.Do(req); err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			x.status = resp.StatusCode
		}
	}
	end := time.Now()
	x.took, x.at = end.Sub(began), end.Sub(start)
	switch {
	case err != nil:
		x.outcome = transportErr
	case x.status >= 500:
		x.outcome = status5xx
	case x.status >= 400:
		x.outcome = status4xx
	}
	return x
}

// summary is a set of reads in figures.
type summary struct {
	Count, Errors, Status5xx, Status4xx, Transport int
	P50, P99, Max                                  time.Duration
	Over                                           int // reads that took longer than the latency target
}

func summarize(reads []read, limit time.Duration) summary {
	var s summary
	took := make([]time.Duration, 0, len(reads))
	for _, x := range reads {
		s.Count++
		took = append(took, x.took)
		if x.took > limit {
			s.Over++
		}
		switch x.outcome {
		case status5xx:
			s.Status5xx++
			s.Errors++
		case status4xx:
			s.Status4xx++
			s.Errors++
		case transportErr:
			s.Transport++
			s.Errors++
		}
	}
	if len(took) == 0 {
		return s
	}
	slices.Sort(took)
	s.P50, s.P99, s.Max = httpload.Percentile(took, 50), httpload.Percentile(took, 99), took[len(took)-1]
	return s
}
