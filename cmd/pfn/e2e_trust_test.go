package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// auditEvent is what the tests read of an event from /federation/events.
type auditEvent struct {
	Metadata struct{ Actor string }
	Data     json.RawMessage
}

// sourceEvents returns a source's events of one type.
func sourceEvents(t *testing.T, api apiClient, admin, source, typ string) []auditEvent {
	t.Helper()
	code, body := api.do(http.MethodGet, "/federation/events?type="+typ+"&source="+url.QueryEscape(source), admin, nil)
	if code != http.StatusOK {
		t.Fatalf("events = %d %v", code, body)
	}
	raw, _ := json.Marshal(body["events"])
	var out []auditEvent
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// Keys and hosts at registration, and the asset-host rule, over HTTP with
// a real publisher whose files are said to be on another domain.
func TestRegistrationRefusesForgeableKeysBadHostsAndForeignAssetHosts(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-asset-domain", "http://cdn.example.net")
	const master = "master-key-for-the-trust-test-0123456789"
	api := apiClient{t, startNode(t, pfn, "PFN_MASTER_KEY="+master)}
	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	admin, _ := body["key"].(string)
	adminKey, _ := domain.ParseKey(admin)
	add := func(instance, key string, allowed []string) (int, map[string]any) {
		req := map[string]any{"instance_url": instance, "username": "plugin-author", "public_key": key}
		if allowed != nil {
			req["allowed_asset_hosts"] = allowed
		}
		return api.do(http.MethodPost, "/federation/add-source", admin, req)
	}

	t.Run("the identity point is refused as a key", func(t *testing.T) {
		code, body := add(pub.URL, "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", nil)
		if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["error"]), "small-order") {
			t.Fatalf("add-source = %d %v", code, body)
		}
	})

	t.Run("a host no source id could name is refused", func(t *testing.T) {
		code, body := add("http://exa~mple.invalid", pub.PublicKey, nil)
		if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["error"]), "exa~mple") {
			t.Fatalf("add-source = %d %v", code, body)
		}
	})

	t.Run("an asset host off the publisher's domain is refused before anything is stored", func(t *testing.T) {
		code, body := add(pub.URL, pub.PublicKey, nil)
		msg := fmt.Sprint(body["error"])
		if code != http.StatusBadRequest || !strings.Contains(msg, "cdn.example.net") || !strings.Contains(msg, "allowed_asset_hosts") {
			t.Fatalf("add-source = %d %v", code, body)
		}
		if n := api.sourceCount(admin); n != 0 {
			t.Fatalf("%d sources after the refusal", n)
		}
	})

	var source string
	t.Run("allowed by the admin, it registers, and the allowance is an event by the admin", func(t *testing.T) {
		code, body := add(pub.URL, pub.PublicKey, []string{"CDN.example.net"})
		if code != http.StatusCreated || body["verified"] != true {
			t.Fatalf("add-source = %d %v", code, body)
		}
		source, _ = body["sourceId"].(string)
		if view, _ := body["source"].(map[string]any); view["asset_domain"] != "http://cdn.example.net" {
			t.Fatalf("source %v", view)
		}
		events := sourceEvents(t, api, admin, source, domain.EventSourceAssetHostsAllowed)
		var data domain.SourceAssetHostsAllowed
		if len(events) != 1 || json.Unmarshal(events[0].Data, &data) != nil || !slices.Equal(data.Hosts, []string{"cdn.example.net"}) ||
			events[0].Metadata.Actor != adminKey.ID {
			t.Fatalf("events %+v", events)
		}
	})

	t.Run("withdrawn, the next refresh is refused and recorded as a failure", func(t *testing.T) {
		if source == "" {
			t.Fatal("needs the registration above")
		}
		code, body := api.do(http.MethodPost, "/federation/update-source", admin, map[string]any{"sourceId": source, "allowed_asset_hosts": []string{}})
		if code != http.StatusBadRequest || !strings.Contains(fmt.Sprint(body["error"]), "cdn.example.net") {
			t.Fatalf("update-source = %d %v", code, body)
		}
		_, st := api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(source), admin, nil)
		if st["status"] != "verified" || !strings.Contains(fmt.Sprint(st["last_failure"]), "refresh: federation-info: asset domain host \"cdn.example.net\"") {
			t.Fatalf("source after the refused refresh: %v", st)
		}
		if events := sourceEvents(t, api, admin, source, domain.EventSourceAssetHostsAllowed); len(events) != 2 || !strings.Contains(string(events[1].Data), `"hosts":[]`) {
			t.Fatalf("allow-list events %+v", events)
		}
		code, body = api.do(http.MethodPost, "/federation/sync-source", admin, map[string]any{"sourceId": source})
		if code != http.StatusConflict || !strings.Contains(fmt.Sprint(body["error"]), "asset domain is refused") {
			t.Fatalf("sync-source = %d %v", code, body)
		}
	})

	t.Run("allowed again, the refresh succeeds", func(t *testing.T) {
		if source == "" {
			t.Fatal("needs the registration above")
		}
		code, body := api.do(http.MethodPost, "/federation/update-source", admin, map[string]any{"sourceId": source, "allowed_asset_hosts": []string{"cdn.example.net"}})
		if code != http.StatusOK {
			t.Fatalf("update-source = %d %v", code, body)
		}
	})
}

// A publisher (an httptest server) that later points its assetInfo.domain
// at another registrable domain: the scheduler's next re-verification
// records a failure with the reason, and the recorded asset domain stays.
func TestAReverificationRefusesAnAssetDomainMovedOffThePublishersDomain(t *testing.T) {
	t.Parallel()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var assetDomain atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/federation-info":
			_ = json.NewEncoder(w).Encode(map[string]any{"version": "1.0.0", "features": []string{"plugin-distribution"},
				"assetInfo": map[string]string{"domain": assetDomain.Load().(string), "namingScheme": "{author}/{slug}/{version}.zip"}})
		case "/verify-ownership":
			var req struct{ Challenge string }
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				http.Error(w, `{"error":"bad request"}`, http.StatusBadRequest)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]string{"signature": base64.StdEncoding.EncodeToString(ed25519.Sign(priv, []byte(req.Challenge)))})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	assetDomain.Store(srv.URL) // a loopback publisher serving its own files

	const master = "master-key-for-the-trust-test-0123456789"
	api := apiClient{t, startNode(t, buildBinary(t, ".", "pfn"), "PFN_MASTER_KEY="+master,
		"PFN_REVERIFY_INTERVAL=500ms", "PFN_HEALTH_INTERVAL=1h", "PFN_SYNC_INTERVAL=1h")}
	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	admin, _ := body["key"].(string)
	code, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
		"instance_url": srv.URL, "username": "plugin-author", "public_key": base64.StdEncoding.EncodeToString(pub)})
	if code != http.StatusCreated || body["verified"] != true {
		t.Fatalf("add-source = %d %v", code, body)
	}
	source, _ := body["sourceId"].(string)

	assetDomain.Store("https://evil.example.net")
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, st := api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(source), admin, nil)
		if strings.Contains(fmt.Sprint(st["last_failure"]), `reverify: federation-info: asset domain host "evil.example.net"`) {
			if st["asset_domain"] != srv.URL {
				t.Fatalf("asset domain after the refusal: %v", st["asset_domain"])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no refusal recorded; source: %v", st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
