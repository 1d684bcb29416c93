package publisher

import (
	"cmp"
	"math"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// Config tunes a Client. The zero value is usable: private networks refused,
// 10s per call, 1 MiB per response body.
type Config struct {
	// AllowPrivateNetworks (PFN_ALLOW_PRIVATE_NETWORKS) lets the client
	// connect to loopback, private, link-local and other non-public
	// addresses. Meant for tests and closed networks only.
	AllowPrivateNetworks bool
	// Timeout bounds a whole call: dial, TLS, redirects and reading the body.
	// Zero or negative means 10s.
	Timeout time.Duration
	// MaxBodyBytes caps a JSON response body. Zero or negative means 1 MiB.
	MaxBodyBytes int64
	// MaxListing caps the entries of one /author-data listing
	// (PFN_SYNC_MAX_LISTING). Zero or negative means DefaultMaxListing.
	MaxListing int
	// MinDownloadRate (PFN_MIN_DOWNLOAD_RATE, bytes per second) over
	// RateWindow (PFN_MIN_DOWNLOAD_RATE_WINDOW): a download that brings
	// fewer bytes in any window is cut. Zero or negative means
	// DefaultMinDownloadRate and DefaultRateWindow.
	MinDownloadRate int64
	RateWindow      time.Duration
}

const (
	defaultTimeout      = 10 * time.Second
	defaultMaxBodyBytes = 1 << 20
	// maxRedirects is how many redirects one call follows; the next one fails.
	maxRedirects = 5
	userAgent    = "pfn-node"
	// maxHeaderBytes caps response headers, which MaxBodyBytes does not
	// cover; Go's default of 1 MiB is generous for a hostile peer.
	maxHeaderBytes = 64 << 10
)

// Client talks to publishers. It is safe for concurrent use and keeps
// connections alive between calls, so make one and share it.
type Client struct {
	http       *http.Client
	timeout    time.Duration
	maxBody    int64
	maxListing int
	minRate    int64
	rateWindow time.Duration
}

// New returns a Client configured by cfg.
func New(cfg Config) *Client {
	var refuse func(netip.Addr) string
	if !cfg.AllowPrivateNetworks {
		refuse = nonPublicReason
	}
	return newClient(cfg, refuse)
}

// newClient is New with the address rule as a parameter, so that tests can
// let the loopback test server through and still see every other address
// refused (a redirect to 169.254.169.254, say). refuse returns why an address
// may not be dialled, or "" to allow it; nil allows everything.
func newClient(cfg Config, refuse func(netip.Addr) string) *Client {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	maxBody := cfg.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = defaultMaxBodyBytes
	}
	// The body is read through LimitReader(maxBody+1), which must not overflow.
	maxBody = min(maxBody, math.MaxInt64-1)

	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	if refuse != nil {
		// Control runs for every connect, after DNS resolution and for every
		// address Happy Eyeballs tries, including those of redirect targets.
		dialer.Control = dialGuard(refuse).control
	}
	transport := &http.Transport{
		// No proxy from the environment: through a proxy the dial-time check
		// would see the proxy's address, and the proxy would happily connect
		// to 169.254.169.254 on our behalf.
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	return &Client{
		http: &http.Client{
			Transport:     transport,
			CheckRedirect: checkRedirect,
			// No Client.Timeout: each call puts its own deadline on the
			// context, which also covers reading the body and lets the error
			// say that the deadline, not the caller, ended the call.
		},
		timeout:    timeout,
		maxBody:    maxBody,
		maxListing: cmp.Or(max(cfg.MaxListing, 0), DefaultMaxListing),
		minRate:    cmp.Or(max(cfg.MinDownloadRate, 0), DefaultMinDownloadRate),
		rateWindow: cmp.Or(max(cfg.RateWindow, 0), DefaultRateWindow),
	}
}
