package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/prometheus/procfs"
)

// schedule is what the node's scheduler runs at during the soak, unless the
// environment says otherwise.
var schedule = map[string]string{
	"PFN_SYNC_INTERVAL":     "2s",
	"PFN_HEALTH_INTERVAL":   "1s",
	"PFN_RECHECK_INTERVAL":  "2s",
	"PFN_REVERIFY_INTERVAL": "2s",
	"PFN_RETRY_BASE":        "1s",
}

// node is the pfn serve process under test.
type node struct {
	proc        *proc
	base        string // API, http://127.0.0.1:PORT
	metricsAddr string // PFN_METRICS_LISTEN; an older node ignores it
	master      string
	logPath     string
}

// startNode runs pfn serve on databaseURL with its files under dir and
// waits until /readyz answers 200.
func startNode(ctx context.Context, bin, databaseURL, dir, logLevel string) (*node, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	metrics, err := freeAddr()
	if err != nil {
		return nil, err
	}
	n := &node{base: "http://" + addr, metricsAddr: metrics, master: randomHex(24), logPath: filepath.Join(dir, "node.log")}
	set := map[string]string{
		"PFN_DATABASE_URL":           databaseURL,
		"PFN_LISTEN":                 addr,
		"PFN_METRICS_LISTEN":         metrics,
		"PFN_ALLOW_PRIVATE_NETWORKS": "true",
		"PFN_MASTER_KEY":             n.master,
		"PFN_BLOB_STORE":             "file://" + filepath.Join(dir, "blobs"),
		"PFN_NODE_KEY_FILE":          filepath.Join(dir, "node.key"),
		"PFN_LOG_LEVEL":              logLevel,
		"PFN_LOG_FORMAT":             "text",
	}
	for k, v := range schedule {
		if os.Getenv(k) == "" {
			set[k] = v
		}
	}
	log, err := os.Create(n.logPath)
	if err != nil {
		return nil, err
	}
	n.proc, _, err = startProc("node", bin, childEnv(set), log, "serve")
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(90 * time.Second)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := c.Get(n.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return n, nil
			}
		}
		if n.proc.exited() {
			return n, fmt.Errorf("the node exited before it was ready (%v): %q", n.proc.err, n.proc.tail.lastLines(10))
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return n, fmt.Errorf("the node was not ready within 90 s (last: %v)", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// api is the node's HTTP API as the set-up uses it.
type api struct {
	base   string
	client *http.Client
}

// call sends body as JSON with key and decodes a JSON answer.
func (a api) call(ctx context.Context, method, path, key string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			return resp.StatusCode, nil, fmt.Errorf("%s %s: %d with non-JSON %.200q", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out, nil
}

// createKey makes an API key with the master key, waiting out the node's
// rate limit on key creation if it answers 429.
func (a api) createKey(ctx context.Context, master, role, desc string) (string, error) {
	for attempt := 0; ; attempt++ {
		status, body, err := a.call(ctx, http.MethodPost, "/federation/create-admin-key", master, map[string]string{"role": role, "description": desc})
		if err != nil {
			return "", err
		}
		if status == http.StatusTooManyRequests && attempt < 10 {
			select {
			case <-time.After(time.Second):
				continue
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		key, _ := body["key"].(string)
		if status != http.StatusCreated || key == "" {
			return "", fmt.Errorf("create-admin-key %s: %d %v", role, status, body)
		}
		return key, nil
	}
}

// keys creates the soak's admin key and one key per consumer.
func (a api) keys(ctx context.Context, master string) (admin string, consumerKeys []string, err error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if admin, err = a.createKey(ctx, master, "admin", "soak admin"); err != nil {
		return "", nil, err
	}
	consumerKeys = make([]string, consumers)
	for c := range consumerKeys {
		if consumerKeys[c], err = a.createKey(ctx, master, "consumer", fmt.Sprintf("soak consumer %d", c)); err != nil {
			return "", nil, err
		}
	}
	return admin, consumerKeys, nil
}

// nodeSample is the node's memory and goroutines at one moment; -1 is a
// figure that could not be read.
type nodeSample struct {
	RSS        int64 // bytes
	Goroutines int
	// Work sums the node's job counters by outcome ("syncs ok", "health
	// checks down"), to show that it did work under the reads; nil if the
	// metrics were not read.
	Work map[string]float64
}

// sample reads VmRSS from /proc and go_goroutines from the metrics
// listener, or from /metrics on the API (with the admin key) for a node
// that does not have one.
func (n *node) sample(ctx context.Context, adminKey string) (nodeSample, error) {
	s := nodeSample{RSS: -1, Goroutines: -1}
	var errs []error
	if p, err := procfs.NewProc(n.proc.cmd.Process.Pid); err != nil {
		errs = append(errs, err)
	} else if st, err := p.NewStatus(); err != nil {
		errs = append(errs, err)
	} else if st.VmRSS == 0 {
		errs = append(errs, errors.New("no VmRSS: the node has exited"))
	} else {
		s.RSS = int64(st.VmRSS)
	}
	m, err := n.metrics(ctx, "http://"+n.metricsAddr+"/metrics", "")
	if err != nil {
		m, err = n.metrics(ctx, n.base+"/metrics", adminKey)
	}
	if err != nil {
		errs = append(errs, err)
	} else {
		s.Goroutines, s.Work = m.goroutines, m.work
	}
	return s, errors.Join(errs...)
}

func (n *node) metrics(ctx context.Context, url, key string) (scraped, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return scraped{}, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return scraped{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return scraped{}, fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return parseMetrics(resp.Body)
}

// scraped is what the soak takes from the node's metrics.
type scraped struct {
	goroutines int
	work       map[string]float64
}

// workCounters are the node's job counters the soak sums by outcome.
var workCounters = map[string]string{"pfn_syncs_total": "syncs", "pfn_health_checks_total": "health checks"}

// parseMetrics reads go_goroutines and the work counters from a
// Prometheus text exposition.
func parseMetrics(r io.Reader) (scraped, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return scraped{}, fmt.Errorf("metrics: %w", err)
	}
	f := families["go_goroutines"]
	if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetGauge() == nil {
		return scraped{}, errors.New("metrics: no go_goroutines gauge")
	}
	out := scraped{goroutines: int(f.GetMetric()[0].GetGauge().GetValue()), work: map[string]float64{}}
	for name, what := range workCounters {
		for _, m := range families[name].GetMetric() {
			outcome := "total"
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					outcome = l.GetValue()
				}
			}
			out.work[what+" "+outcome] += m.GetCounter().GetValue()
		}
	}
	return out, nil
}
