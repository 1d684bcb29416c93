package apicontract_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/internal/apicontract"
)

func TestTheDocumentIsValidOpenAPI31(t *testing.T) {
	t.Parallel()
	if err := apicontract.Document(); err != nil {
		t.Fatalf("ports/httpapi/openapi.json is not a valid OpenAPI 3.1 document:%v", err)
	}
}

// TestDocumentValidationRefusesBrokenDocuments: the check above would
// notice a document that breaks the specification.
func TestDocumentValidationRefusesBrokenDocuments(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"response without a description": `{"openapi":"3.1.0","info":{"title":"t","version":"1"},
			"paths":{"/x":{"get":{"responses":{"200":{"content":{}}}}}}}`,
		"unknown parameter location": `{"openapi":"3.1.0","info":{"title":"t","version":"1"},
			"paths":{"/x":{"get":{"parameters":[{"name":"a","in":"body"}],"responses":{"200":{"description":"ok"}}}}}}`,
		"no info": `{"openapi":"3.1.0","paths":{}}`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := apicontract.ValidDocument([]byte(doc)); err == nil {
				t.Fatal("want the document refused, it was accepted")
			}
		})
	}
}

// source is a complete row of GET /federation/sources; the cases below
// take fields away from it.
const source = `{"id":"alice@pub.example","instance_url":"https://pub.example","username":"alice","public_key":"AAAA",
"status":"verified","status_reason":"","trust_score":0.5,"trust_components":{"score":0.5,"verification":1,"uptime":1,
"latency":1,"signatures":1,"age":0,"subscribers":0},"created_at":1764547200,"last_sync":null,"last_verification":null,
"last_failure":"","avg_response_ms":null,"protocol_version":"1.0.0","features":null,"asset_domain":"","asset_naming_scheme":"",
"plugin_count":0,"subscriber_count":0,"added_by":"k1","health_checks":0,"uptime":null,"last_health_at":null,
"last_sync_error":"","refused_entries":0,"last_refusal":"","last_refusal_at":null,
"last_verification_result":"success","successful_verifications":1,
"key_history":[{"key_id":"0123456789abcdef","public_key":"AAAA","valid_from":"2025-12-01T00:00:00Z","rotated_by":"registration"}]}`

// verification is a complete answer of POST /federation/verify-source,
// with the original's fields beside PFN's.
const verification = `{"sourceId":"alice@pub.example","status":"verified","verified":true,"source":` + source + `,
"success":true,"source_id":"alice@pub.example","message":"Source alice@pub.example checked and verified."}`

// activityEntry is a complete entry of PFN's activity envelope.
const activityEntry = `{"id":"e1","position":7,"at":"2026-12-01T16:00:00Z","kind":"mirrored","sourceId":"a@b","plugin":"p","summary":"s",
"type":"version_update","timestamp":1764604800,"plugin_id":"p","plugin_name":"P","source_id":"a@b","source_username":"a",
"old_version":"0.0.0","new_version":"1.0.0"}`

// originalActivity is a complete entry of the original's activity array.
const originalActivity = `{"type":"version_update","timestamp":1764547200,"plugin_id":"p","plugin_name":"P","source_id":"a@b",
"source_username":"a","old_version":"0.0.0","new_version":"1.0.0"}`

// without drops one "name":value pair (the first) from a JSON object's text.
func without(t *testing.T, body, name string) string {
	t.Helper()
	i := strings.Index(body, `"`+name+`":`)
	if i < 0 {
		t.Fatalf("no %s in %s", name, body)
	}
	rest := body[i:]
	end := len(rest)
	depth := 0
	for j, r := range rest {
		switch r {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
		if depth < 0 || (depth == 0 && r == ',') {
			end = j
			break
		}
	}
	out := body[:i] + strings.TrimPrefix(rest[end:], ",")
	return strings.Replace(out, ",}", "}", 1)
}

// TestCheck shows that answers are held to the document: a missing
// required field, a wrong type, an undocumented status or route fail;
// the documented shapes (PFN's and the original's) pass.
func TestCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		method      string
		path        string
		status      int
		contentType string
		body        string
		wantErr     string // "" when the answer keeps the contract
	}{
		{"sources envelope", "GET", "/federation/sources", 200, "application/json", `{"sources":[` + source + `]}`, ""},
		{"sources bare array (PFN_API_COMPAT=original)", "GET", "/federation/sources", 200, "application/json", `[` + source + `]`, ""},
		{"compat field removed: row without successful_verifications", "GET", "/federation/sources", 200, "application/json",
			`{"sources":[` + without(t, source, "successful_verifications") + `]}`, "successful_verifications"},
		{"compat field removed: row without last_verification_result", "GET", "/federation/sources", 200, "application/json",
			`[` + without(t, source, "last_verification_result") + `]`, "last_verification_result"},
		{"last_verification_result not a string", "GET", "/federation/sources", 200, "application/json",
			`[` + strings.Replace(source, `"last_verification_result":"success"`, `"last_verification_result":true`, 1) + `]`, "last_verification_result"},
		{"verification", "POST", "/federation/verify-source", 200, "application/json", verification, ""},
		{"compat field removed: verification without success", "POST", "/federation/verify-source", 200, "application/json",
			without(t, verification, "success"), "success"},
		{"compat field removed: verification without source_id", "POST", "/federation/add-source", 201, "application/json",
			without(t, verification, "source_id"), "source_id"},
		{"compat field removed: verification without message", "POST", "/federation/verify-source", 200, "application/json",
			without(t, verification, "message"), "message"},
		{"compat field removed: update without success", "POST", "/federation/update-source", 200, "application/json",
			`{"sourceId":"a@b","source":` + source + `,"source_id":"a@b","message":"m"}`, "success"},
		{"compat field removed: unsubscribe without message", "POST", "/federation/unsubscribe", 200, "application/json",
			`{"unsubscribed":true,"sourceId":"a@b","success":true,"source_id":"a@b"}`, "message"},
		{"compat field removed: sync without success", "POST", "/federation/sync-source", 200, "application/json",
			`{"sourceId":"a@b","source_id":"a@b","message":"m","syncResult":{"sourceId":"a@b","mirroredCount":0,"totalPlugins":0,"wanted":0,"alreadyMirrored":0,"mirroredBytes":0,"pruned":0,"rejected":null}}`, "success"},
		{"source without status", "GET", "/federation/sources", 200, "application/json",
			`{"sources":[` + strings.Replace(source, `"status":"verified",`, "", 1) + `]}`, "status"},
		{"source with a text plugin_count", "GET", "/federation/sources", 200, "application/json",
			`{"sources":[` + strings.Replace(source, `"plugin_count":0`, `"plugin_count":"0"`, 1) + `]}`, "plugin_count"},
		{"sources without the envelope's key", "GET", "/federation/sources", 200, "application/json", `{"rows":[]}`, "sources"},
		{"error body", "GET", "/federation/sources", 401, "application/json", `{"error":"no key"}`, ""},
		{"error body with field", "POST", "/federation/add-source", 400, "application/json", `{"error":"username is required","field":"username"}`, ""},
		{"error body without error", "GET", "/federation/sources", 401, "application/json", `{"message":"no key"}`, "error"},
		{"ambiguous id with its candidates", "POST", "/federation/subscribe", 409, "application/json",
			`{"error":"a@b names 2 sources: a@b:1, a@b:2","field":"sourceId","candidates":["a@b:1","a@b:2"]}`, ""},
		{"candidates not a list", "POST", "/federation/subscribe", 409, "application/json",
			`{"error":"ambiguous","candidates":"a@b:1"}`, "candidates"},
		{"undocumented status", "GET", "/healthz", 418, "application/json", `{"error":"teapot"}`, "418"},
		{"created in milliseconds (PFN_API_COMPAT=original)", "POST", "/federation/create-admin-key", 201, "application/json",
			`{"key":"k","id":"i","role":"admin","description":"","created":1764547200000}`, ""},
		{"created as a time", "POST", "/federation/create-admin-key", 201, "application/json",
			`{"key":"k","id":"i","role":"admin","description":"","created":"2026-12-01T16:00:00Z"}`, ""},
		{"created as something else", "POST", "/federation/create-admin-key", 201, "application/json",
			`{"key":"k","id":"i","role":"admin","description":"","created":"yesterday"}`, "created"},
		{"activity bare array (PFN_API_COMPAT=original)", "GET", "/federation/activity", 200, "application/json", `[` + originalActivity + `]`, ""},
		{"compat field removed: original entry without old_version", "GET", "/federation/activity", 200, "application/json",
			`[` + without(t, originalActivity, "old_version") + `]`, "old_version"},
		{"activity envelope", "GET", "/federation/activity", 200, "application/json",
			`{"entries":[` + activityEntry + `],"activities":[` + activityEntry + `]}`, ""},
		{"compat field removed: envelope without activities", "GET", "/federation/activity", 200, "application/json",
			`{"entries":[` + activityEntry + `]}`, "activities"},
		{"compat field removed: entry without plugin_id", "GET", "/federation/activity", 200, "application/json",
			`{"entries":[` + without(t, activityEntry, "plugin_id") + `],"activities":[]}`, "plugin_id"},
		{"download is not read", "GET", "/federation/download?source=a@b&plugin=p", 200, "application/zip", "PK\x03\x04", ""},
		{"download refused as damaged", "GET", "/federation/download?source=a@b&plugin=p", 503, "application/json", `{"error":"damaged"}`, ""},
		{"head without a body", "HEAD", "/federation/download?source=a@b&plugin=p", 404, "", "", ""},
		{"unknown route answered 404", "GET", "/federation/nothing", 404, "application/json", `{"error":"Not Found"}`, ""},
		{"unknown route answered 404 without error", "GET", "/federation/nothing", 404, "application/json", `{"message":"Not Found"}`, "error"},
		{"unknown route answered 404 in text", "GET", "/federation/nothing", 404, "text/plain; charset=utf-8", "404 page not found", "content-type"},
		{"unknown route answered 404 to HEAD", "HEAD", "/federation/nothing", 404, "", "", ""},
		{"unknown route answered 200", "GET", "/federation/nothing", 200, "application/json", `{}`, "not found"},
		{"undocumented method answered 405", "DELETE", "/federation/sources", 405, "application/json", `{"error":"Method Not Allowed"}`, ""},
		{"undocumented method answered 405 with an empty body", "DELETE", "/federation/sources", 405, "application/json", ``, "error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tc.method, "http://node.example"+tc.path, nil)
			rec := httptest.NewRecorder()
			if tc.contentType != "" {
				rec.Header().Set("Content-Type", tc.contentType)
			}
			rec.WriteHeader(tc.status)
			_, _ = io.WriteString(rec, tc.body)
			resp := rec.Result()
			err := apicontract.Check(req, resp)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("want the answer accepted, got:%v", err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("want the answer refused (%s), it was accepted", tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.wantErr)):
				t.Fatalf("want the failure to name %q, got:%v", tc.wantErr, err)
			}
			// The caller still reads the whole body.
			if got, _ := io.ReadAll(resp.Body); string(got) != tc.body {
				t.Fatalf("body after the check = %q, want %q", got, tc.body)
			}
		})
	}
}

// TestTransportFailsTheTest: the wiring the end-to-end tests use reports a
// broken answer on the test it was given.
func TestTransportFailsTheTest(t *testing.T) {
	t.Parallel()
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"version":"1.0.0","features":[],"node":"n","public_key":"k"}`) // no key_id
	}))
	defer node.Close()
	rec := &recordingTB{TB: t}
	client := &http.Client{Transport: apicontract.Transport(rec, nil)}
	resp, err := client.Get(node.URL + "/federation-info")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"node":"n"`) {
		t.Fatalf("body passed on = %q", body)
	}
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "key_id") {
		t.Fatalf("want one failure naming key_id, got %q", rec.errors)
	}
}

type recordingTB struct {
	testing.TB
	errors []string
}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
