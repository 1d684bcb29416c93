package main

import (
	"flag"
	"fmt"
	"net"
	"strconv"

	"github.com/pfn-network/pfn/ports/httpapi"
)

// HTTPConfig is the API server's part of Config: limits, trusted proxies
// and the metrics listener.
type HTTPConfig struct {
	Limits httpapi.Limits
	// TrustedProxies (PFN_TRUSTED_PROXIES) is kept as checked text, so that
	// Config stays comparable; Proxies parses it.
	TrustedProxies string
	// MetricsListen (PFN_METRICS_LISTEN) is where /metrics is served, on a
	// listener of its own; "" or "off" serves no metrics.
	MetricsListen string
	// Compat (PFN_API_COMPAT) answers the shapes that clash with the
	// original JavaScript node as PFN does ("pfn") or as it did ("original").
	Compat httpapi.Compat
}

// registerHTTP adds the HTTP server flags (defaults from the environment);
// the returned function checks them once the flags are parsed.
func registerHTTP(fs *flag.FlagSet, env func(name, def string) string, cfg *HTTPConfig) func() []error {
	def := httpapi.DefaultLimits()
	checkDurations := registerDurations(fs, env, []durationVar{
		{"read-header-timeout", "PFN_READ_HEADER_TIMEOUT", def.ReadHeaderTimeout.String(), "time to read a request's headers", &cfg.Limits.ReadHeaderTimeout},
		{"read-timeout", "PFN_READ_TIMEOUT", def.ReadTimeout.String(), "time to read a whole request, body included", &cfg.Limits.ReadTimeout},
		{"write-timeout", "PFN_WRITE_TIMEOUT", def.WriteTimeout.String(), "time to answer a request (not downloads and exports); more than PFN_REQUEST_TIMEOUT", &cfg.Limits.WriteTimeout},
		{"idle-timeout", "PFN_IDLE_TIMEOUT", def.IdleTimeout.String(), "how long an unused keep-alive connection stays open", &cfg.Limits.IdleTimeout},
		{"request-timeout", "PFN_REQUEST_TIMEOUT", def.RequestTimeout.String(), "every request's deadline (downloads and exports: while nothing is sent)", &cfg.Limits.RequestTimeout},
		{"feed-stream-max", "PFN_FEED_STREAM_MAX", def.FeedStreamMax.String(), "how long one change feed stream lasts before the client must reconnect", &cfg.Limits.FeedStreamMax},
	})
	var headerBytes, minRate, compat, feedWaiters string
	fs.StringVar(&compat, "api-compat", env("PFN_API_COMPAT", string(httpapi.CompatPFN)), "pfn, or original for clients of the original JavaScript node (PFN_API_COMPAT)")
	fs.StringVar(&headerBytes, "max-header-bytes", env("PFN_MAX_HEADER_BYTES", strconv.Itoa(def.MaxHeaderBytes)), "largest request header block; larger gets 431 (PFN_MAX_HEADER_BYTES)")
	fs.StringVar(&minRate, "stream-min-rate", env("PFN_STREAM_MIN_RATE", strconv.FormatInt(def.MinRate, 10)), "bytes per second a client must read downloads and exports at (PFN_STREAM_MIN_RATE)")
	fs.StringVar(&feedWaiters, "feed-max-waiters", env("PFN_FEED_MAX_WAITERS", strconv.Itoa(def.FeedMaxWaiters)), "change feed long polls and streams at once; one more gets 503 (PFN_FEED_MAX_WAITERS)")
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", env("PFN_TRUSTED_PROXIES", ""), "proxies whose X-Forwarded-For/X-Real-IP are believed: IPs or CIDRs (PFN_TRUSTED_PROXIES)")
	fs.StringVar(&cfg.MetricsListen, "metrics-listen", env("PFN_METRICS_LISTEN", "127.0.0.1:9090"), `address of the /metrics listener; "off" for none (PFN_METRICS_LISTEN)`)
	return func() []error {
		cfg.Limits.StreamGrace = def.StreamGrace // no variable: a fixed allowance per write
		errs := checkDurations()
		if l := cfg.Limits; l.WriteTimeout > 0 && l.WriteTimeout <= l.RequestTimeout {
			errs = append(errs, fmt.Errorf("PFN_WRITE_TIMEOUT %s must be longer than PFN_REQUEST_TIMEOUT %s, or answers are cut before their deadline", l.WriteTimeout, l.RequestTimeout))
		}
		if n, err := strconv.Atoi(headerBytes); err != nil || n < 1024 {
			errs = append(errs, fmt.Errorf("PFN_MAX_HEADER_BYTES %q: want a number of bytes, at least 1024", headerBytes))
		} else {
			cfg.Limits.MaxHeaderBytes = n
		}
		if n, err := strconv.ParseInt(minRate, 10, 64); err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("PFN_STREAM_MIN_RATE %q: want a positive number of bytes per second", minRate))
		} else {
			cfg.Limits.MinRate = n
		}
		if n, err := strconv.Atoi(feedWaiters); err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("PFN_FEED_MAX_WAITERS %q: want a positive number of readers", feedWaiters))
		} else {
			cfg.Limits.FeedMaxWaiters = n
		}
		if _, err := httpapi.ParseTrustedProxies(cfg.TrustedProxies); err != nil {
			errs = append(errs, fmt.Errorf("PFN_TRUSTED_PROXIES: %w", err))
		}
		if c, err := httpapi.ParseCompat(compat); err != nil {
			errs = append(errs, fmt.Errorf("PFN_API_COMPAT %w", err))
		} else {
			cfg.Compat = c
		}
		if cfg.MetricsListen == "off" {
			cfg.MetricsListen = ""
		}
		return errs
	}
}

// Proxies are the trusted proxies' ranges (checked by loadConfig).
func (c HTTPConfig) Proxies() []*net.IPNet {
	nets, _ := httpapi.ParseTrustedProxies(c.TrustedProxies)
	return nets
}
