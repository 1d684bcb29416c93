package main

import (
	"testing"
	"time"

	"github.com/pfn-network/pfn/ports/httpapi"
)

var defaultHTTP = HTTPConfig{Limits: httpapi.DefaultLimits(), MetricsListen: "127.0.0.1:9090", Compat: httpapi.CompatPFN}

func TestLoadHTTPConfig(t *testing.T) {
	tests := []configCase[HTTPConfig]{
		{name: "defaults", want: defaultHTTP},
		{
			name: "environment",
			env: map[string]string{"PFN_READ_HEADER_TIMEOUT": "1s", "PFN_READ_TIMEOUT": "2s", "PFN_WRITE_TIMEOUT": "9s",
				"PFN_IDLE_TIMEOUT": "4s", "PFN_REQUEST_TIMEOUT": "5s", "PFN_MAX_HEADER_BYTES": "2048", "PFN_STREAM_MIN_RATE": "100",
				"PFN_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7,2001:db8::/32", "PFN_METRICS_LISTEN": "off", "PFN_API_COMPAT": "original", "PFN_FEED_STREAM_MAX": "90s",
				"PFN_FEED_MAX_WAITERS": "7"},
			want: HTTPConfig{Limits: httpapi.Limits{ReadHeaderTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 9 * time.Second,
				IdleTimeout: 4 * time.Second, RequestTimeout: 5 * time.Second, MaxHeaderBytes: 2048, MinRate: 100, StreamGrace: httpapi.DefaultLimits().StreamGrace,
				FeedStreamMax: 90 * time.Second, FeedMaxWaiters: 7},
				TrustedProxies: "10.0.0.0/8, 192.0.2.7,2001:db8::/32", Compat: httpapi.CompatOriginal},
		},
		{name: "bad compat", env: map[string]string{"PFN_API_COMPAT": "v1"}, wantErr: `PFN_API_COMPAT "v1": want pfn or original`},
		{name: "write timeout within the request deadline", env: map[string]string{"PFN_WRITE_TIMEOUT": "30s"}, wantErr: "PFN_WRITE_TIMEOUT 30s must be longer"},
		{name: "bad proxy", env: map[string]string{"PFN_TRUSTED_PROXIES": "10.0.0.0/8,proxy.example"}, wantErr: `PFN_TRUSTED_PROXIES: "proxy.example"`},
		{name: "bad header cap", env: map[string]string{"PFN_MAX_HEADER_BYTES": "10"}, wantErr: `PFN_MAX_HEADER_BYTES "10"`},
		{name: "bad rate", env: map[string]string{"PFN_STREAM_MIN_RATE": "0"}, wantErr: `PFN_STREAM_MIN_RATE "0"`},
		{name: "bad request timeout", env: map[string]string{"PFN_REQUEST_TIMEOUT": "soon"}, wantErr: `PFN_REQUEST_TIMEOUT "soon"`},
		{name: "bad feed waiters", env: map[string]string{"PFN_FEED_MAX_WAITERS": "0"}, wantErr: `PFN_FEED_MAX_WAITERS "0"`},
		{name: "bad feed stream max", env: map[string]string{"PFN_FEED_STREAM_MAX": "0s"}, wantErr: `PFN_FEED_STREAM_MAX "0s"`},
	}
	runConfigCases(t, tests, func(c Config) HTTPConfig { return c.HTTP })
	cfg := HTTPConfig{TrustedProxies: "10.0.0.0/8, 192.0.2.7"}
	if p := cfg.Proxies(); len(p) != 2 || p[1].String() != "192.0.2.7/32" {
		t.Fatalf("Proxies() = %v", p)
	}
}
