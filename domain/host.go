package domain

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// The host rule. One function decides what a publisher's host may be and
// how it is written: NormalizeInstanceURL applies it at registration (and the
// publisher client to every URL it calls), ParseSourceID to the host of an
// id received from outside. Every host registration accepts therefore gives
// an id the parser accepts, and every id the parser accepts is the id of
// some registrable URL (FuzzHostRuleRoundTrip checks both directions).
//
// A host is either an IP address, written as net/netip writes it (no zone),
// or a DNS name: labels of 1 to 63 of a-z, 0-9, '-' and '_' (a hyphen
// neither first nor last), at most 253 bytes, whose last label is not all
// digits (a browser or resolver would read "1.2.3" or "10.1" as an IPv4
// address). An internationalised name is taken in its A-label (xn--) form.
const (
	maxHostLength  = 253
	maxLabelLength = 63
)

// NormalizeHost checks a host as url.URL.Hostname gives it (an IPv6
// address without brackets) and returns its canonical form: lower case,
// IP addresses in netip form, Unicode names as A-labels, no trailing dot.
func NormalizeHost(host string) (string, error) {
	if host == "" {
		return "", fmt.Errorf("host is empty: %w", ErrInvalidInput)
	}
	shown := truncate(host, 80)
	if addr, err := netip.ParseAddr(host); err == nil {
		if addr.Zone() != "" {
			return "", fmt.Errorf("host %q has an IPv6 zone, which means nothing to another machine: %w", shown, ErrInvalidInput)
		}
		return addr.String(), nil
	}
	name := strings.TrimSuffix(host, ".") // the fully qualified spelling of the same name
	if !isASCII(name) {
		ascii, err := idna.Lookup.ToASCII(name)
		if err != nil {
			return "", fmt.Errorf("host %q is not a valid internationalised domain name: %w", shown, ErrInvalidInput)
		}
		name = ascii
	}
	name = strings.ToLower(name)
	if name == "" || len(name) > maxHostLength {
		return "", fmt.Errorf("host %q is not a DNS name of 1 to %d bytes: %w", shown, maxHostLength, ErrInvalidInput)
	}
	labels := strings.Split(name, ".")
	for _, label := range labels {
		if err := checkLabel(label); err != nil {
			return "", fmt.Errorf("host %q: %w", shown, err)
		}
	}
	if last := labels[len(labels)-1]; strings.Trim(last, "0123456789") == "" {
		return "", fmt.Errorf("host %q ends in a number but is not an IPv4 address: %w", shown, ErrInvalidInput)
	}
	return name, nil
}

func checkLabel(label string) error {
	if label == "" || len(label) > maxLabelLength {
		return fmt.Errorf("a DNS label must have 1 to %d characters, %q has %d: %w", maxLabelLength, truncate(label, 20), len(label), ErrInvalidInput)
	}
	if label[0] == '-' || label[len(label)-1] == '-' {
		return fmt.Errorf("DNS label %q starts or ends with '-': %w", label, ErrInvalidInput)
	}
	for _, r := range label {
		if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("DNS label %q contains %q; a host name holds only letters, digits, '-' and '_': %w", label, r, ErrInvalidInput)
		}
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// normalizePort returns a URL's port as a source id writes it: "" for none
// and for the scheme's default, else the number without leading zeros.
func normalizePort(scheme, port string) (string, error) {
	if port == "" {
		return "", nil
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("port %q is not a number from 1 to 65535: %w", truncate(port, 20), ErrInvalidInput)
	}
	if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
		return "", nil
	}
	return strconv.Itoa(n), nil
}

// joinHostPort writes a normalized host and port as URLs and source ids
// carry them: IPv6 addresses in brackets, the port only when there is one.
func joinHostPort(host, port string) string {
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" {
		return host
	}
	return host + ":" + port
}

// parseIDHostPort checks the host[:port] of a source id: it must be exactly
// what joinHostPort writes for a host and port the rule accepts.
func parseIDHostPort(hostPort string) error {
	host, port := hostPort, ""
	if rest, ok := strings.CutPrefix(hostPort, "["); ok {
		inner, after, found := strings.Cut(rest, "]")
		if !found || (after != "" && !strings.HasPrefix(after, ":")) {
			return fmt.Errorf("host %q has an unclosed or misplaced '[': %w", truncate(hostPort, 80), ErrInvalidInput)
		}
		host, port = inner, strings.TrimPrefix(after, ":")
		if !strings.Contains(host, ":") {
			return fmt.Errorf("host %q: only an IPv6 address goes in brackets: %w", truncate(hostPort, 80), ErrInvalidInput)
		}
		if after == ":" {
			return fmt.Errorf("host %q has an empty port: %w", truncate(hostPort, 80), ErrInvalidInput)
		}
	} else if i := strings.LastIndexByte(hostPort, ':'); i >= 0 {
		host, port = hostPort[:i], hostPort[i+1:]
		if strings.Contains(host, ":") {
			return fmt.Errorf("host %q: an IPv6 address goes in brackets: %w", truncate(hostPort, 80), ErrInvalidInput)
		}
		if port == "" {
			return fmt.Errorf("host %q has an empty port: %w", truncate(hostPort, 80), ErrInvalidInput)
		}
	}
	canonical, err := NormalizeHost(host)
	if err != nil {
		return err
	}
	if canonical != host {
		return fmt.Errorf("host %q is not written canonically (%q): %w", truncate(host, 80), truncate(canonical, 80), ErrInvalidInput)
	}
	// No scheme is known here, so no port is a default one to drop.
	p, err := normalizePort("", port)
	if err != nil {
		return err
	}
	if p != port {
		return fmt.Errorf("port %q is not written canonically: %w", truncate(port, 20), ErrInvalidInput)
	}
	return nil
}
