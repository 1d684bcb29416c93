package publisher

import (
	"fmt"
	"net/netip"
	"syscall"
)

// A hostname can resolve to anything, and to something else a second later
// (DNS rebinding); a redirect can name any host. The only address that
// matters is the one a socket is about to connect to, so the rule is applied
// in net.Dialer.Control, which sees the resolved IP of every connection.

// blockedV4 lists the IPv4 ranges that are not the public Internet
// (IANA special-purpose registry), with what each is, for the error message.
var blockedV4 = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "a \"this network\" (unspecified) address"},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private (RFC 1918) address"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT (RFC 6598) address"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "a link-local address (where cloud metadata services live)"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private (RFC 1918) address"},
	{netip.MustParsePrefix("192.0.0.0/24"), "an IETF protocol assignment address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("192.88.99.0/24"), "a 6to4 relay anycast address"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private (RFC 1918) address"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "a multicast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved or broadcast address"},
}

var (
	// Only 2000::/3 is allocated as global unicast; everything outside it
	// (loopback, unique local fc00::/7, link-local fe80::/10, multicast,
	// site-local, IPv4-compatible and -translated forms) is refused, except
	// NAT64, which IPv6-only networks need to reach IPv4 publishers.
	globalUnicastV6 = netip.MustParsePrefix("2000::/3")
	nat64V6         = netip.MustParsePrefix("64:ff9b::/96")
	sixToFourV6     = netip.MustParsePrefix("2002::/16")

	// Ranges inside 2000::/3 that are still not the public Internet.
	blockedV6 = []struct {
		prefix netip.Prefix
		what   string
	}{
		// Teredo hides the IPv4 address it tunnels to (obfuscated), so it
		// cannot be checked; it is rare enough to refuse outright.
		{netip.MustParsePrefix("2001::/32"), "a Teredo address"},
		{netip.MustParsePrefix("2001:2::/48"), "a benchmarking address"},
		{netip.MustParsePrefix("2001:10::/28"), "an ORCHID address"},
		{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
		{netip.MustParsePrefix("3fff::/20"), "a documentation address"},
	}
)

// nonPublicReason returns why addr is not a public Internet address, or ""
// when it is. IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4
// address it is, and NAT64 and 6to4 addresses by the IPv4 address they embed.
func nonPublicReason(addr netip.Addr) string {
	if !addr.IsValid() {
		return "not a valid IP address"
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is4() {
		for _, b := range blockedV4 {
			if b.prefix.Contains(addr) {
				return b.what
			}
		}
		return ""
	}
	switch {
	case nat64V6.Contains(addr):
		return embeddedV4Reason(addr, 12, "NAT64")
	case sixToFourV6.Contains(addr):
		return embeddedV4Reason(addr, 2, "6to4")
	case addr.IsLoopback():
		return "a loopback address"
	case addr.IsUnspecified():
		return "an unspecified address"
	case addr.IsPrivate():
		return "a unique local (private) address"
	case addr.IsLinkLocalUnicast():
		return "a link-local address"
	case addr.IsMulticast():
		return "a multicast address"
	case !globalUnicastV6.Contains(addr):
		return "not a global unicast address"
	}
	for _, b := range blockedV6 {
		if b.prefix.Contains(addr) {
			return b.what
		}
	}
	return ""
}

// embeddedV4Reason judges an IPv6 address that carries an IPv4 address in
// bytes at..at+3.
func embeddedV4Reason(addr netip.Addr, at int, kind string) string {
	b := addr.As16()
	v4 := netip.AddrFrom4([4]byte(b[at : at+4]))
	if why := nonPublicReason(v4); why != "" {
		return fmt.Sprintf("a %s form of %s, %s", kind, v4, why)
	}
	return ""
}

// forbiddenAddressError is what the dialer returns for a refused address.
// It does not wrap ErrForbiddenAddress itself: transportError does, once,
// when it builds the message.
type forbiddenAddressError struct {
	address string
	why     string
}

func (e *forbiddenAddressError) Error() string {
	// The node is this client's only user; naming its setting tells the
	// operator of a test or closed network what to change.
	return fmt.Sprintf("%s is %s (private networks are not allowed; set PFN_ALLOW_PRIVATE_NETWORKS=true on the node to allow them)", e.address, e.why)
}

// dialGuard refuses to connect where refuse says no.
type dialGuard func(netip.Addr) string

// control has the signature of net.Dialer.Control. It fails closed: an
// address it cannot parse is not dialled.
func (refuse dialGuard) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &forbiddenAddressError{address: address, why: "not an IP address and port"}
	}
	if why := refuse(ap.Addr()); why != "" {
		return &forbiddenAddressError{address: ap.Addr().String(), why: why}
	}
	return nil
}
