package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/metrics"
)

func scrape(t *testing.T, r *metrics.Registry) (int, string) {
	t.Helper()
	srv := httptest.NewServer(r.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestMetricsLabelsAndFailures(t *testing.T) {
	for _, tc := range []struct {
		name    string
		lag     metrics.LagFunc
		record  func(*metrics.Registry)
		want    []string
		notWant []string
	}{
		{
			name:    "a made-up method counts as OTHER",
			record:  func(r *metrics.Registry) { r.Request("/federation/sources", "FOO1", 405, time.Millisecond) },
			want:    []string{`pfn_http_requests_total{method="OTHER",route="/federation/sources",status="405"} 1`},
			notWant: []string{"FOO1"},
		},
		{
			name: "a failed sync counts no files",
			record: func(r *metrics.Registry) {
				r.SyncFinished("a@h", errors.New("author-data: 503"), 3, 300)
				r.SyncFinished("a@h", nil, 2, 2048)
			},
			want: []string{`pfn_syncs_total{outcome="failed",source="a@h"} 1`, `pfn_syncs_total{outcome="ok",source="a@h"} 1`,
				`pfn_mirrored_files_total{source="a@h"} 2`, `pfn_mirrored_bytes_total{source="a@h"} 2048`},
		},
		{
			name: "down checks count, only up ones time the publisher",
			record: func(r *metrics.Registry) {
				r.HealthChecked("a@h", false, 0)
				r.HealthChecked("a@h", true, 80*time.Millisecond)
			},
			want: []string{`pfn_health_checks_total{outcome="down",source="a@h"} 1`, `pfn_health_checks_total{outcome="up",source="a@h"} 1`,
				`pfn_source_response_seconds_count{source="a@h"} 1`},
		},
		{
			name:   "lag is read at scrape time",
			lag:    func(context.Context) (map[string]int64, error) { return map[string]int64{"sources": 7}, nil },
			record: func(*metrics.Registry) {},
			want:   []string{`pfn_projection_lag_events{projection="sources"} 7`},
		},
		{
			name:    "a failing lag query leaves the rest of the scrape",
			lag:     func(context.Context) (map[string]int64, error) { return nil, errors.New("timeout") },
			record:  func(r *metrics.Registry) { r.KeyUsed("key_1") },
			want:    []string{`pfn_api_key_requests_total{key_id="key_1"} 1`},
			notWant: []string{"pfn_projection_lag_events{"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := metrics.New(tc.lag)
			tc.record(r)
			status, body := scrape(t, r)
			if status != http.StatusOK {
				t.Fatalf("scrape = %d", status)
			}
			for _, w := range tc.want {
				if !strings.Contains(body, w) {
					t.Errorf("missing %q", w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(body, w) {
					t.Errorf("unexpected %q", w)
				}
			}
		})
	}
}
