package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

const (
	setupWorkers  = 8
	setupDeadline = 3 * time.Minute  // set-up steps not done by then are counted as failed
	setupCall     = 60 * time.Second // one add-source or subscribe (which runs the first sync)
	consumers     = 8
)

// setupResult is what registering and subscribing achieved.
type setupResult struct {
	Registered, Sources int
	Subscribed, Planned int
	RegisterTime        time.Duration
	SubscribeTime       time.Duration
	Failures            []string // the first few, for the report
	failureCount        int
	subscribedSources   map[int]bool // publishers with at least one subscription
	mu                  sync.Mutex
}

func (r *setupResult) ok() bool { return r.Registered == r.Sources && r.Subscribed == r.Planned }

// attempt makes one set-up call, within setupCall, and records a failure
// unless the node answered want and accept (which may keep what it needs
// from the answer) agrees. done is incremented on success.
func (r *setupResult) attempt(ctx context.Context, a api, what, path, key string, body any, want int,
	accept func(map[string]any) bool, done *int) {
	ctx, cancel := context.WithTimeout(ctx, setupCall)
	defer cancel()
	status, answer, err := a.call(ctx, http.MethodPost, path, key, body)
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := ""
	switch {
	case err != nil:
		msg = fmt.Sprintf("%s: %v", what, err)
	case status != want || !accept(answer):
		msg = fmt.Sprintf("%s: %d %s", what, status, short(answer))
	default:
		*done++
		return
	}
	r.failureCount++
	if len(r.Failures) < 8 {
		r.Failures = append(r.Failures, msg)
	}
}

// forEach runs f on 0..n-1 with a few workers.
func forEach(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range setupWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// setUp registers every publisher, tells registered which sources there
// are, subscribes the consumers and prints what it achieved, all within
// setupDeadline.
func setUp(ctx context.Context, a api, admin string, keys []string, pubs []*publisher, registered func([]string), out io.Writer) *setupResult {
	ctx, cancel := context.WithTimeout(ctx, setupDeadline)
	defer cancel()
	res := &setupResult{subscribedSources: map[int]bool{}}
	register(ctx, a, admin, pubs, res)
	var ids []string
	for _, p := range pubs {
		if p.sourceID != "" {
			ids = append(ids, p.sourceID)
		}
	}
	registered(ids)
	subscribe(ctx, a, keys, plan(pubs), res)
	fmt.Fprintf(out, "set-up: %d/%d sources registered and verified in %s; %d/%d subscriptions (each with its first sync) in %s\n",
		res.Registered, res.Sources, round(res.RegisterTime), res.Subscribed, res.Planned, round(res.SubscribeTime))
	if res.failureCount > 0 {
		fmt.Fprintf(out, "  %d step(s) failed (each may take %s, all of set-up %s):\n", res.failureCount, setupCall, setupDeadline)
	}
	for _, f := range res.Failures {
		fmt.Fprintln(out, "   ", f)
	}
	if more := res.failureCount - len(res.Failures); more > 0 {
		fmt.Fprintf(out, "    … and %d more\n", more)
	}
	return res
}

// register adds every publisher as a source with the admin key, proving
// ownership on the way.
func register(ctx context.Context, a api, admin string, pubs []*publisher, res *setupResult) {
	start := time.Now()
	res.Sources = len(pubs)
	forEach(len(pubs), func(i int) {
		p := pubs[i]
		body := map[string]string{"instance_url": p.url, "username": p.username, "public_key": p.key}
		res.attempt(ctx, a, fmt.Sprintf("add-source %d", p.i), "/federation/add-source", admin, body, http.StatusCreated,
			func(answer map[string]any) bool {
				p.sourceID, _ = answer["sourceId"].(string)
				return answer["verified"] == true && p.sourceID != ""
			}, &res.Registered)
	})
	res.RegisterTime = time.Since(start)
}

type subscription struct {
	consumer int
	pub      *publisher
	filters  map[string]any
}

// plan subscribes consumer i%8 to source i, and a second consumer with a
// tag filter to every fourth source.
func plan(pubs []*publisher) []subscription {
	var out []subscription
	for _, p := range pubs {
		if p.sourceID == "" {
			continue
		}
		out = append(out, subscription{consumer: p.i % consumers, pub: p})
		if p.i%4 == 0 {
			out = append(out, subscription{consumer: (p.i + 1) % consumers, pub: p,
				filters: map[string]any{"tags": []string{"utilities", "dev"}}})
		}
	}
	return out
}

// subscribe runs the planned subscriptions, each with its first sync.
func subscribe(ctx context.Context, a api, keys []string, subs []subscription, res *setupResult) {
	start := time.Now()
	res.Planned = len(subs)
	forEach(len(subs), func(i int) {
		s := subs[i]
		body := map[string]any{"sourceId": s.pub.sourceID}
		if s.filters != nil {
			body["filters"] = s.filters
		}
		res.attempt(ctx, a, fmt.Sprintf("subscribe %d", s.pub.i), "/federation/subscribe", keys[s.consumer], body, http.StatusOK,
			func(map[string]any) bool {
				res.subscribedSources[s.pub.i] = true // attempt holds res.mu
				return true
			}, &res.Subscribed)
	})
	res.SubscribeTime = time.Since(start)
}

// short is an answer cut for one report line.
func short(body map[string]any) string {
	s := fmt.Sprint(body)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// sourceSummary counts the node's sources by status at the end, from
// GET /federation/sources.
func sourceSummary(ctx context.Context, a api, admin string) string {
	status, body, err := a.call(ctx, http.MethodGet, "/federation/sources", admin, nil)
	if err != nil || status != http.StatusOK {
		return fmt.Sprintf("GET /federation/sources: %d %v", status, err)
	}
	list, _ := body["sources"].([]any)
	counts := map[string]int{}
	plugins := 0.0
	for _, s := range list {
		m, _ := s.(map[string]any)
		st, _ := m["status"].(string)
		counts[st]++
		n, _ := m["plugin_count"].(float64)
		plugins += n
	}
	var parts []string
	for st, n := range counts {
		parts = append(parts, fmt.Sprintf("%s %d", st, n))
	}
	sort.Strings(parts)
	return fmt.Sprintf("%d sources (%s), %d plugins listed", len(list), strings.Join(parts, ", "), int(plugins))
}
