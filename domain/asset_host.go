package domain

import (
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// maxAllowedAssetHosts bounds an admin's allow-list of asset hosts.
const maxAllowedAssetHosts = 32

// CheckAssetHost applies the asset-host rule: a publisher's
// assetInfo.domain must be on the instance's own host, or on a host of the
// same registrable domain (public suffix + 1, by golang.org/x/net/
// publicsuffix: plugins.example.com may serve files from
// assets.example.com, not from evil.example.net), unless the admin allowed
// that host for the source. IP addresses, and names that have no
// registrable domain (localhost, a bare public suffix), must match the
// instance's host exactly. Ports are not compared: a port is not a
// boundary of ownership the way a registrable domain is.
//
// Without the rule, whoever controls a publisher's /federation-info could
// point the node's downloads at any host, including ones the node's
// admin never agreed to fetch from. Errors wrap ErrInvalidInput and say
// which hosts were compared.
func CheckAssetHost(instanceURL, assetDomain string, allowed []string) error {
	inst, err := url.Parse(instanceURL)
	if err != nil {
		return fmt.Errorf("instance URL %q: %w", truncate(instanceURL, 80), ErrInvalidInput)
	}
	instHost, err := NormalizeHost(inst.Hostname())
	if err != nil {
		return fmt.Errorf("instance URL: %w", err)
	}
	base, err := parseAssetDomain(assetDomain)
	if err != nil {
		return err
	}
	assetHost, err := NormalizeHost(base.Hostname())
	if err != nil {
		return fmt.Errorf("asset domain: %w", err)
	}
	if assetHost == instHost || slices.Contains(allowed, assetHost) {
		return nil
	}
	if !isIPHost(instHost) && !isIPHost(assetHost) {
		instReg, err1 := publicsuffix.EffectiveTLDPlusOne(instHost)
		assetReg, err2 := publicsuffix.EffectiveTLDPlusOne(assetHost)
		if err1 == nil && err2 == nil && instReg == assetReg {
			return nil
		}
	}
	return fmt.Errorf("asset domain host %q is neither the instance's host %q nor in its registrable domain, "+
		"and it is not among the source's allowed asset hosts (an admin may allow it with allowed_asset_hosts): %w",
		assetHost, instHost, ErrInvalidInput)
}

func isIPHost(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// NormalizeAllowedAssetHosts checks an admin's allow-list: host names or IP
// addresses (an IPv6 address with or without brackets), no schemes, ports
// or paths. It returns them in canonical form, sorted, without duplicates;
// an empty list allows no extra host.
func NormalizeAllowedAssetHosts(hosts []string) ([]string, error) {
	if len(hosts) > maxAllowedAssetHosts {
		return nil, fmt.Errorf("allowed_asset_hosts has %d hosts, at most %d are allowed: %w", len(hosts), maxAllowedAssetHosts, ErrInvalidInput)
	}
	out := make([]string, 0, len(hosts))
	for _, h := range hosts {
		raw := strings.TrimSpace(h)
		if strings.HasPrefix(raw, "[") && strings.HasSuffix(raw, "]") {
			raw = raw[1 : len(raw)-1]
		}
		if strings.ContainsAny(raw, "/[]") || (strings.Contains(raw, ":") && !isIPHost(raw)) {
			return nil, fmt.Errorf("allowed_asset_hosts: %q is not a bare host name (no scheme, port or path): %w", truncate(h, 80), ErrInvalidInput)
		}
		host, err := NormalizeHost(raw)
		if err != nil {
			return nil, fmt.Errorf("allowed_asset_hosts: %w", err)
		}
		out = append(out, host)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
