// Package httpload is a small HTTP load generator for the benchmarks: n
// connections, each sending one request after another for a while, with
// requests a second and latency percentiles. It needs nothing outside Go,
// so `make bench` runs it anywhere the tests run.
package httpload

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Result is one run's figures.
type Result struct {
	Requests int
	Errors   int // transport errors and answers other than 200 and 304
	Elapsed  time.Duration
	P50, P99 time.Duration
	Bytes    int64
}

// PerSecond is the rate of answered requests.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

func (r Result) String() string {
	return fmt.Sprintf("%8.0f req/s  p50 %7s  p99 %7s  (%d requests, %d errors)", r.PerSecond(),
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Requests, r.Errors)
}

// Run sends GET url with header on conns connections for d (each with a
// transport of its own holding one keep-alive connection) and reads every
// answer to its end.
func Run(ctx context.Context, url string, header http.Header, conns int, d time.Duration) Result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var res Result
	var took []time.Duration
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1, DisableCompression: true}
			defer tr.CloseIdleConnections()
			client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			var mine []time.Duration
			var errs int
			var n int64
			for ctx.Err() == nil {
				req, err := http.NewRequest(http.MethodGet, url, nil)
				if err != nil {
					errs++
					break
				}
				req.Header = header.Clone()
				began := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					var m int64
					m, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					n += m
					if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotModified {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				if err != nil {
					errs++
					continue
				}
				mine = append(mine, time.Since(began))
			}
			mu.Lock()
			took = append(took, mine...)
			res.Errors += errs
			res.Bytes += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	slices.Sort(took)
	res.Requests = len(took)
	res.P50, res.P99 = Percentile(took, 50), Percentile(took, 99)
	return res
}

// Percentile of sorted durations, nearest rank.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
