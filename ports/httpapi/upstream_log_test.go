package httpapi_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/apicontract"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// stateReader shows sources as their events leave them (the sources read
// model's shape, GetSourceStatusAt's rebuild).
type stateReader struct{ sources *app.MemorySources }

func (r stateReader) GetSource(ctx context.Context, id domain.SourceID) (app.SourceView, error) {
	s, err := app.GetSourceStatusAt{History: r.sources}.Handle(ctx, app.System("test"), id, time.Now().Add(time.Hour))
	return s.SourceView, err
}

func (r stateReader) ListSources(ctx context.Context) ([]app.SourceView, error) {
	return nil, nil
}

const (
	trusted = "pfn/node-b\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— pfn/node-b sig\n"
	offered = "pfn/node-b\n2\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— pfn/node-b sig2\n"
)

// upstreamLogServer serves a node with three sources of an upstream node
// that announces a log: bob's log failed a check, carol's holds, and
// dave's announces none; answers are checked against openapi.json.
func upstreamLogServer(t *testing.T) (*httptest.Server, *http.Client) {
	t.Helper()
	ctx := context.Background()
	sources := &app.MemorySources{}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, name := range []string{"bob", "carol", "dave"} {
		pub, _, _ := ed25519.GenerateKey(rand.Reader)
		s, err := domain.RegisterSource("https://b.example", name, base64.StdEncoding.EncodeToString(pub), "k-admin", at)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RecordOwnershipProof(true, "", at); err != nil {
			t.Fatal(err)
		}
		info := domain.PublisherInfo{ProtocolVersion: "1", Features: []string{"pfn-node/v1", "transparency-log"},
			AssetDomain: "https://b.example", NamingScheme: "{author}/{slug}/{version}.zip", LogOrigin: "pfn/node-b"}
		if name == "dave" {
			info.Features, info.LogOrigin = []string{"pfn-node/v1"}, ""
		}
		if err := s.RefreshInfo(info, at); err != nil {
			t.Fatal(err)
		}
		if name != "dave" {
			if err := s.RecordSync(domain.SyncSummary{LogCheckpoint: trusted}, at); err != nil {
				t.Fatal(err)
			}
		}
		if name == "bob" {
			if err := s.RecordLogInconsistency(domain.LogFaultShrunk, "size 3 -> 2", offered, at.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		if err := sources.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	now := func() time.Time { return at.Add(time.Hour) }
	reader := stateReader{sources}
	e := httpapi.New(httpapi.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), App: &httpapi.App{
		Authenticate:      keys{},
		AcceptUpstreamLog: app.AcceptUpstreamLog{Sources: sources, Now: now},
		GetSourceStatus:   app.GetSourceStatus{Sources: reader},
		SourceReader:      reader,
	}})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, &http.Client{Transport: apicontract.Transport(t, nil)}
}

func callJSON(t *testing.T, client *http.Client, method, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: body not a JSON object: %v", method, url, err)
	}
	return resp.StatusCode, out
}

func TestSourceViewShowsTheUpstreamLog(t *testing.T) {
	srv, client := upstreamLogServer(t)
	status := func(name string) map[string]any {
		code, body := callJSON(t, client, "GET", srv.URL+"/federation/source-status?sourceId="+name+"@b.example", "admin-key", "")
		if code != http.StatusOK {
			t.Fatalf("source-status of %s = %d %v", name, code, body)
		}
		return body
	}
	bob, _ := status("bob")["upstream_log"].(map[string]any)
	fault, _ := bob["fault"].(map[string]any)
	if bob["checkpoint"] != trusted || bob["size"] != 3.0 || fault["kind"] != "shrunk" || fault["reason"] != "size 3 -> 2" ||
		fault["offered"] != offered || fault["at"] != "2026-12-01T09:01:00Z" {
		t.Fatalf("bob's upstream_log %v", bob)
	}
	carol, _ := status("carol")["upstream_log"].(map[string]any)
	if f, present := carol["fault"]; carol["checkpoint"] != trusted || carol["size"] != 3.0 || !present || f != nil {
		t.Fatalf("carol's upstream_log %v, want the checkpoint and fault null", carol)
	}
	if _, present := status("dave")["upstream_log"]; present {
		t.Fatal("a source that announces no log shows upstream_log")
	}
}

func TestAcceptUpstreamLog(t *testing.T) {
	srv, client := upstreamLogServer(t)
	url := srv.URL + "/federation/accept-upstream-log"
	tests := []struct {
		name, key, body string
		want            int
		check           func(t *testing.T, body map[string]any)
	}{
		{"without a key", "", `{"sourceId":"bob@b.example","reason":"r"}`, http.StatusUnauthorized, nil},
		{"a consumer", "consumer-key", `{"sourceId":"bob@b.example","reason":"r"}`, http.StatusForbidden, nil},
		{"without sourceId", "admin-key", `{"reason":"r"}`, http.StatusBadRequest, wantField("sourceId")},
		{"without a reason", "admin-key", `{"sourceId":"bob@b.example"}`, http.StatusBadRequest, wantField("reason")},
		{"a body that is not JSON", "admin-key", `{"sourceId":`, http.StatusBadRequest, nil},
		{"a reason that is not a string", "admin-key", `{"sourceId":"bob@b.example","reason":5}`, http.StatusBadRequest, wantField("reason")},
		{"an unknown source", "admin-key", `{"sourceId":"zed@b.example","reason":"r"}`, http.StatusNotFound, nil},
		{"a log without a fault", "admin-key", `{"sourceId":"carol@b.example","reason":"r"}`, http.StatusConflict, nil},
		{"a source without a log", "admin-key", `{"sourceId":"dave@b.example","reason":"r"}`, http.StatusConflict, nil},
		{"the faulted log, accepted", "admin-key", `{"sourceId":"bob@b.example","reason":"the upstream restored a backup"}`, http.StatusOK,
			func(t *testing.T, body map[string]any) {
				src, _ := body["source"].(map[string]any)
				log, _ := src["upstream_log"].(map[string]any)
				if f, present := log["fault"]; !present || f != nil || log["checkpoint"] != "" || log["size"] != 0.0 {
					t.Fatalf("upstream_log after the acceptance %v", log)
				}
			}},
		{"accepted again: no fault left", "admin-key", `{"sourceId":"bob@b.example","reason":"again"}`, http.StatusConflict, nil},
	}
	for _, tt := range tests { // in order: the acceptance changes the source
		t.Run(tt.name, func(t *testing.T) {
			code, body := callJSON(t, client, "POST", url, tt.key, tt.body)
			if code != tt.want {
				t.Fatalf("= %d %v, want %d", code, body, tt.want)
			}
			if code != http.StatusOK && body["error"] == nil {
				t.Fatalf("a refusal without a JSON error: %v", body)
			}
			if tt.check != nil {
				tt.check(t, body)
			}
		})
	}
}

func wantField(field string) func(t *testing.T, body map[string]any) {
	return func(t *testing.T, body map[string]any) {
		t.Helper()
		if body["field"] != field {
			t.Fatalf("error %v, want it to name field %q", body, field)
		}
	}
}
