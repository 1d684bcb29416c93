package publisher

import (
	"context"
	"fmt"
	"net/http"
)

// Info is what a publisher says about itself at /federation-info.
type Info struct {
	Version      string
	Features     []string
	AssetDomain  string       // assetInfo.domain: where plugin files are served from
	NamingScheme string       // assetInfo.namingScheme: path template of a plugin file
	KeyRotation  *KeyRotation // key_rotation: the publisher's next key; nil when none is announced
	NodeKeys     []NodeKey    // a PFN node's signing keys, the current one first; nil from a publisher
	Log          *LogInfo     // a PFN node's transparency log; nil when it announces none (log_info.go)
}

// FederationInfo asks the publisher at instanceURL what it supports and
// where its plugin files live. A publisher without assetInfo cannot serve
// plugins, so that is ErrIncompatible like a bad status or a non-JSON body.
func (c *Client) FederationInfo(ctx context.Context, instanceURL string) (Info, error) {
	u, err := endpointURL(instanceURL, "federation-info")
	if err != nil {
		return Info{}, fmt.Errorf("GET /federation-info: %w", err)
	}
	body, err := c.call(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Info{}, fmt.Errorf("GET %s: %w", u, err)
	}
	info, err := parseFederationInfo(body)
	if err != nil {
		return Info{}, fmt.Errorf("GET %s: %w", u, err)
	}
	return info, nil
}

// parseFederationInfo decodes a /federation-info body; every error wraps
// ErrIncompatible.
func parseFederationInfo(body []byte) (Info, error) {
	obj, err := parseJSONObject(body)
	if err != nil {
		return Info{}, fmt.Errorf("%w: %w", err, ErrIncompatible)
	}
	var info Info
	var problems problemList
	info.Version = problems.str(obj, "version")
	info.Features, err = obj.strings("features")
	problems.add(err)

	asset, ok, err := obj.object("assetInfo")
	switch {
	case err != nil:
		problems.add(err)
	case !ok:
		problems.addf(`no "assetInfo", so it cannot serve plugin files`)
	default:
		info.AssetDomain = problems.required(asset, "domain", "assetInfo")
		info.NamingScheme = problems.required(asset, "namingScheme", "assetInfo")
	}
	info.KeyRotation = parseKeyRotation(obj, &problems)
	info.NodeKeys = parseNodeKeys(obj, &problems)
	info.Log = parseLogInfo(obj, info.Features, &problems)
	if err := problems.err(); err != nil {
		return Info{}, fmt.Errorf("%w: %w", err, ErrIncompatible)
	}
	return info, nil
}
