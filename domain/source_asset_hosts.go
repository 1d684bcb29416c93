package domain

import (
	"slices"
	"time"
)

// EventSourceAssetHostsAllowed records the hosts an admin allowed a
// source's assetInfo.domain to be on besides the instance's registrable
// domain (CheckAssetHost). The event's metadata names the admin.
const EventSourceAssetHostsAllowed = "source.asset_hosts_allowed"

// SourceAssetHostsAllowed replaces the source's allow-list; an empty list
// withdraws every extra host.
type SourceAssetHostsAllowed struct {
	Hosts []string  `json:"hosts"`
	At    time.Time `json:"at"`
}

func (SourceAssetHostsAllowed) EventType() string       { return EventSourceAssetHostsAllowed }
func (e SourceAssetHostsAllowed) OccurredAt() time.Time { return e.At }

// AllowAssetHosts sets the hosts the source's asset domain may be on
// besides the instance's registrable domain. The same list again records
// nothing.
func (s *Source) AllowAssetHosts(hosts []string, now time.Time) error {
	normalized, err := NormalizeAllowedAssetHosts(hosts)
	if err != nil {
		return InField("allowed_asset_hosts", err)
	}
	if slices.Equal(normalized, s.state.AllowedAssetHosts) || (len(normalized) == 0 && len(s.state.AllowedAssetHosts) == 0) {
		return nil
	}
	s.record(SourceAssetHostsAllowed{Hosts: normalized, At: now})
	return nil
}

// CheckAssetHost applies the asset-host rule to what a publisher says
// about itself, with this source's instance and allow-list.
func (s *Source) CheckAssetHost(info PublisherInfo) error {
	return CheckAssetHost(s.state.InstanceURL, info.AssetDomain, s.state.AllowedAssetHosts)
}
