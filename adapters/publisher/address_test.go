package publisher

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestNonPublicReason(t *testing.T) {
	t.Parallel()
	blocked := []struct{ addr, why string }{
		{"127.0.0.1", "loopback"},
		{"127.255.0.9", "loopback"},
		{"::1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.168.1.1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"fc00::1", "unique local"},
		{"fd12:3456::1", "unique local"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"100.127.255.254", "carrier-grade NAT"},
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},
		{"192.0.0.170", "IETF"},
		{"192.0.2.1", "documentation"},
		{"198.18.0.1", "benchmarking"},
		{"2001:db8::1", "documentation"},
		{"2001::1", "Teredo"},
		{"fec0::1", "not a global unicast"},
		// IPv4 written as IPv6 must be judged as the IPv4 address it is.
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:169.254.169.254", "link-local"},
		{"::ffff:10.0.0.1", "private"},
		{"::127.0.0.1", "not a global unicast"}, // IPv4-compatible, deprecated
		{"64:ff9b::7f00:1", "NAT64 form of 127.0.0.1, a loopback"},
		{"64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254"},
		{"2002:a00:1::1", "6to4 form of 10.0.0.1"},
		{"2002:7f00:1::", "6to4 form of 127.0.0.1"},
	}
	for _, tt := range blocked {
		t.Run(tt.addr, func(t *testing.T) {
			t.Parallel()
			why := nonPublicReason(netip.MustParseAddr(tt.addr))
			if !strings.Contains(why, tt.why) {
				t.Errorf("nonPublicReason(%s) = %q, want it blocked as %q", tt.addr, why, tt.why)
			}
		})
	}
	allowed := []string{
		"8.8.8.8",
		"1.1.1.1",
		"93.184.216.34",
		"100.63.255.255", // just below CGNAT
		"100.128.0.0",    // just above CGNAT
		"172.15.255.255", // just below 172.16/12
		"172.32.0.0",     // just above
		"169.253.255.255",
		"223.255.255.255",
		"2606:4700::1111",
		"2a00:1450:4001:81b::200e",
		"::ffff:8.8.8.8",
		"64:ff9b::808:808", // NAT64 of 8.8.8.8: IPv6-only networks need it
		"2002:808:808::1",  // 6to4 of 8.8.8.8
	}
	for _, a := range allowed {
		t.Run(a, func(t *testing.T) {
			t.Parallel()
			if why := nonPublicReason(netip.MustParseAddr(a)); why != "" {
				t.Errorf("nonPublicReason(%s) = %q, want it allowed", a, why)
			}
		})
	}
	if why := nonPublicReason(netip.Addr{}); why == "" {
		t.Error("the zero netip.Addr is allowed")
	}
}

// control gets "ip:port" from the dialer; whatever it cannot read it refuses.
func TestDialGuardControl(t *testing.T) {
	t.Parallel()
	guard := dialGuard(nonPublicReason)
	tests := []struct {
		address string
		allowed bool
	}{
		{"8.8.8.8:443", true},
		{"[2606:4700::1111]:443", true},
		{"127.0.0.1:80", false},
		{"[::1]:80", false},
		{"[fe80::1%eth0]:80", false},
		{"[::ffff:169.254.169.254]:80", false},
		{"localhost:80", false}, // a name here would mean resolution was skipped
		{"garbage", false},
		{"", false},
	}
	for _, tt := range tests {
		err := guard.control("tcp", tt.address, nil)
		if tt.allowed {
			if err != nil {
				t.Errorf("control(%q) = %v, want allowed", tt.address, err)
			}
			continue
		}
		var fe *forbiddenAddressError
		if !errors.As(err, &fe) {
			t.Errorf("control(%q) = %v, want a forbiddenAddressError", tt.address, err)
		}
	}
}
