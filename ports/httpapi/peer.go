package httpapi

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	ratelimit "golang.org/x/time/rate"
)

// ParseTrustedProxies reads PFN_TRUSTED_PROXIES: IPs or CIDRs separated by
// commas or spaces.
func ParseTrustedProxies(s string) ([]*net.IPNet, error) {
	var nets []*net.IPNet
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !strings.Contains(f, "/") {
			ip := net.ParseIP(f)
			if ip == nil {
				return nil, fmt.Errorf("%q is neither an IP address nor a CIDR range", f)
			}
			bits := 8 * net.IPv6len
			if ip4 := ip.To4(); ip4 != nil {
				ip, bits = ip4, 8*net.IPv4len
			}
			nets = append(nets, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an IP address nor a CIDR range", f)
		}
		nets = append(nets, n)
	}
	return nets, nil
}

// peerAddress is how c.RealIP() finds who is asking: the connection's
// address, or, only when that address is a listed proxy, what the proxy
// says in X-Forwarded-For (first untrusted hop from the right) or X-Real-IP.
// A client cannot pick its own address by sending the headers itself.
func peerAddress(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	xff := echo.ExtractIPFromXFFHeader(opts...)
	realIP := echo.ExtractIPFromRealIPHeader(opts...)
	return func(req *http.Request) string {
		if req.Header.Get(echo.HeaderXForwardedFor) != "" {
			return xff(req)
		}
		return realIP(req)
	}
}

// failureLimiter counts failed authentications per peer address: past a
// burst, a peer must wait before any authenticated route answers it again.
type failureLimiter struct {
	rate  ratelimit.Limit
	burst int

	mu      sync.Mutex
	peers   map[string]*ratelimit.Limiter
	swept   time.Time
	expires time.Duration
}

func newFailureLimiter(perSecond float64, burst int) *failureLimiter {
	return &failureLimiter{rate: ratelimit.Limit(perSecond), burst: burst,
		peers: map[string]*ratelimit.Limiter{}, expires: 10 * time.Minute}
}

// blocked returns how long peer must wait, or 0.
func (f *failureLimiter) blocked(peer string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.peers[peer]
	if !ok || l.TokensAt(now) >= 1 {
		return 0
	}
	missing := 1 - l.TokensAt(now)
	return time.Duration(math.Ceil(missing / float64(f.rate) * float64(time.Second)))
}

// failed records one failed authentication from peer.
func (f *failureLimiter) failed(peer string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.Sub(f.swept) > f.expires {
		// Drop peers that have refilled: the map must not grow with every
		// address that ever mistyped a key.
		for p, l := range f.peers {
			if l.TokensAt(now) >= float64(f.burst) {
				delete(f.peers, p)
			}
		}
		f.swept = now
	}
	l, ok := f.peers[peer]
	if !ok {
		l = ratelimit.NewLimiter(f.rate, f.burst)
		f.peers[peer] = l
	}
	l.AllowN(now, 1)
}

// tooManyRequests is the 429 every limiter answers, with Retry-After.
func tooManyRequests(c echo.Context, wait time.Duration, msg string) error {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	c.Response().Header().Set("Retry-After", strconv.Itoa(secs))
	return echo.NewHTTPError(http.StatusTooManyRequests, fmt.Sprintf("%s; retry in %d s", msg, secs))
}
