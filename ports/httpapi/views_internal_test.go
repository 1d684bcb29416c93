package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/pfn-network/pfn/app"
)

// The views' JSON, byte for byte: these are the shapes the API answered
// when app's types still carried the JSON tags, taken from those types
// before the views replaced them. A change here is a change on the wire
// (and in openapi.json), never a refactoring.
func TestViewsKeepTheWireShapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		view any
		want string
	}{
		{"a source row", viewSource(fullSource()),
			`{"id":"alice@a.example","instance_url":"https://a.example","username":"alice","public_key":"cGs=","status":"verified","status_reason":"proved","trust_score":0.75,"trust_components":{"score":0.75,"verification":1,"uptime":0.5,"latency":0.25,"signatures":1,"age":0.1,"subscribers":0.2},"created_at":1700000000,"last_sync":1700000100,"last_verification":"2026-11-24T09:30:00.123Z","last_failure":"down","avg_response_ms":12.5,"protocol_version":"1.0","features":["ownership"],"asset_domain":"a.example","asset_naming_scheme":"slug-version","plugin_count":3,"subscriber_count":2,"added_by":"k1","health_checks":9,"uptime":0.9,"last_health_at":"2026-11-24T09:30:00.123Z","last_sync_error":"timeout","refused_entries":1,"last_refusal":"bad slug","last_refusal_at":"2026-11-24T09:30:00.123Z","last_verification_result":"success","successful_verifications":4,"incarnation":1,"key_history":[{"key_id":"k0","public_key":"b2xk","valid_from":"2026-11-24T09:30:00.123Z","valid_until":"2026-11-24T09:30:00.123Z","rotated_by":"registration"},{"key_id":"k1","public_key":"cGs=","valid_from":"2026-11-24T09:30:00.123Z","rotated_by":"publisher"}]}`},
		{"a source row with nothing set", viewSource(app.SourceView{}),
			`{"id":"","instance_url":"","username":"","public_key":"","status":"","status_reason":"","trust_score":0,"trust_components":{"score":0,"verification":0,"uptime":0,"latency":0,"signatures":0,"age":0,"subscribers":0},"created_at":0,"last_sync":null,"last_verification":null,"last_failure":"","avg_response_ms":null,"protocol_version":"","features":null,"asset_domain":"","asset_naming_scheme":"","plugin_count":0,"subscriber_count":0,"added_by":"","health_checks":0,"uptime":null,"last_health_at":null,"last_sync_error":"","refused_entries":0,"last_refusal":"","last_refusal_at":null,"last_verification_result":"","successful_verifications":0,"incarnation":1,"key_history":[]}`},
		{"a source as of a moment", ViewSourceStatusAt(app.SourceStatusAt{SourceView: fullSource(), AsOf: viewAt, StreamVersion: 4}),
			`{"id":"alice@a.example","instance_url":"https://a.example","username":"alice","public_key":"cGs=","status":"verified","status_reason":"proved","trust_score":0.75,"trust_components":{"score":0.75,"verification":1,"uptime":0.5,"latency":0.25,"signatures":1,"age":0.1,"subscribers":0.2},"created_at":1700000000,"last_sync":1700000100,"last_verification":"2026-11-24T09:30:00.123Z","last_failure":"down","avg_response_ms":12.5,"protocol_version":"1.0","features":["ownership"],"asset_domain":"a.example","asset_naming_scheme":"slug-version","plugin_count":3,"subscriber_count":2,"added_by":"k1","health_checks":9,"uptime":0.9,"last_health_at":"2026-11-24T09:30:00.123Z","last_sync_error":"timeout","refused_entries":1,"last_refusal":"bad slug","last_refusal_at":"2026-11-24T09:30:00.123Z","last_verification_result":"success","successful_verifications":4,"incarnation":1,"key_history":[{"key_id":"k0","public_key":"b2xk","valid_from":"2026-11-24T09:30:00.123Z","valid_until":"2026-11-24T09:30:00.123Z","rotated_by":"registration"},{"key_id":"k1","public_key":"cGs=","valid_from":"2026-11-24T09:30:00.123Z","rotated_by":"publisher"}],"as_of":"2026-11-24T09:30:00.123Z","stream_version":4}`},
		{"a plugin row", viewPlugin(fullPlugin()),
			`{"plugin_id":"tool","source_id":"alice@a.example","name":"Tool","version":"1.0.0","description":"a tool","tags":["x"],"sha256":"aa","size":10,"mirror_date":1700000200,"signature":"ps","federation_signature":"fs","node_key_id":"nk","stored_copy":{"ok":false,"damage":"missing: gone","found_at":"2026-11-24T09:30:00.123Z"},"bytes_attested_by":"publisher","signature_v2":"ps2","provenance":[{"role":"publisher","source":"alice@a.example"}],"federation_signature_v2":"","log_index":12}`},
		{"a plugin row with nothing set", viewPlugin(app.PluginView{}),
			`{"plugin_id":"","source_id":"","name":"","version":"","description":"","tags":null,"sha256":"","size":0,"mirror_date":0,"signature":"","federation_signature":"","node_key_id":"","stored_copy":{"ok":false},"bytes_attested_by":"node","provenance":[{"role":"publisher","source":""}],"federation_signature_v2":"","log_index":null}`},
		{"a verify report", viewVerifyReport(fullReport()),
			`{"plugin":{"plugin_id":"tool","source_id":"alice@a.example","name":"Tool","version":"1.0.0","description":"a tool","tags":["x"],"sha256":"aa","size":10,"mirror_date":1700000200,"signature":"ps","federation_signature":"fs","node_key_id":"nk","stored_copy":{"ok":false,"damage":"missing: gone","found_at":"2026-11-24T09:30:00.123Z"},"bytes_attested_by":"node","signature_v2":"ps2","provenance":[{"role":"publisher","source":"alice@a.example"}],"federation_signature_v2":"","log_index":12},"publisher_signature":{"ok":true},"federation_signature":{"ok":false,"detail":"no"},"stored_bytes":{"ok":false,"detail":"damaged","found_at":"2026-11-24T09:30:00.123Z"},"valid":false,"publisher_key_id":"k0","publisher_key_current":false,"publisher_signature_v2":{"ok":false,"detail":"v2 no"},"bytes_attested_by":"node","log_index":12}`},
		{"a verify report with nothing set", viewVerifyReport(app.VerifyReport{}),
			`{"plugin":{"plugin_id":"","source_id":"","name":"","version":"","description":"","tags":null,"sha256":"","size":0,"mirror_date":0,"signature":"","federation_signature":"","node_key_id":"","stored_copy":{"ok":false},"bytes_attested_by":"node","provenance":[{"role":"publisher","source":""}],"federation_signature_v2":"","log_index":null},"publisher_signature":{"ok":false},"federation_signature":{"ok":false},"stored_bytes":{"ok":false},"valid":false,"bytes_attested_by":"node","log_index":null}`},
		{"an activity page", viewActivityPage(app.ActivityPage{Entries: []app.ActivityEntry{fullActivity(), {}}, Activities: []app.ActivityEntry{fullActivity(), {}}, NextCursor: "9"}),
			`{"entries":[{"id":"ev1","position":5,"at":"2026-11-24T09:30:00.123Z","kind":"version_updated","sourceId":"alice@a.example","plugin":"tool","summary":"tool 1.1.0","type":"version_update","plugin_id":"tool","plugin_name":"Tool","source_id":"alice@a.example","source_username":"alice","old_version":"1.0.0","new_version":"1.1.0","timestamp":1700000300},{"id":"","position":0,"at":"0001-01-01T00:00:00Z","kind":"","sourceId":"","summary":"","type":"","plugin_id":null,"plugin_name":null,"source_id":"","source_username":"","old_version":null,"new_version":null,"timestamp":0}],"activities":[{"id":"ev1","position":5,"at":"2026-11-24T09:30:00.123Z","kind":"version_updated","sourceId":"alice@a.example","plugin":"tool","summary":"tool 1.1.0","type":"version_update","plugin_id":"tool","plugin_name":"Tool","source_id":"alice@a.example","source_username":"alice","old_version":"1.0.0","new_version":"1.1.0","timestamp":1700000300},{"id":"","position":0,"at":"0001-01-01T00:00:00Z","kind":"","sourceId":"","summary":"","type":"","plugin_id":null,"plugin_name":null,"source_id":"","source_username":"","old_version":null,"new_version":null,"timestamp":0}],"nextCursor":"9"}`},
		{"an activity page with nothing set", viewActivityPage(app.ActivityPage{}),
			`{"entries":null,"activities":null}`},
		{"an empty activity page", viewActivityPage(app.ActivityPage{Entries: []app.ActivityEntry{}, Activities: []app.ActivityEntry{}}),
			`{"entries":[],"activities":[]}`},
		{"the original's activity entries", []originalActivityView{viewOriginalActivity(fullActivity().OriginalActivity), viewOriginalActivity(app.OriginalActivity{})},
			`[{"type":"version_update","plugin_id":"tool","plugin_name":"Tool","source_id":"alice@a.example","source_username":"alice","old_version":"1.0.0","new_version":"1.1.0","timestamp":1700000300},{"type":"","plugin_id":null,"plugin_name":null,"source_id":"","source_username":"","old_version":null,"new_version":null,"timestamp":0}]`},
		{"an event page", ViewEventPage(app.EventPage{Events: []app.AuditEvent{fullEvent(), {}}, Next: "c5"}),
			`{"events":[{"position":5,"id":"ev1","stream":"source-alice@a.example","streamVersion":2,"type":"source.verified","schemaVersion":1,"recordedAt":"2026-11-24T09:30:00.123Z","metadata":{"actor":"k1","correlationId":"co","causationId":"ca","requestId":"rq"},"data":{"a":1}},{"position":0,"id":"","stream":"","streamVersion":0,"type":"","schemaVersion":0,"recordedAt":"0001-01-01T00:00:00Z","metadata":{},"data":null}],"next":"c5"}`},
		{"an event page without events", ViewEventPage(app.EventPage{}),
			`{"events":[]}`},
		{"an exported event", ViewAuditEvent(fullEvent()),
			`{"position":5,"id":"ev1","stream":"source-alice@a.example","streamVersion":2,"type":"source.verified","schemaVersion":1,"recordedAt":"2026-11-24T09:30:00.123Z","metadata":{"actor":"k1","correlationId":"co","causationId":"ca","requestId":"rq"},"data":{"a":1}}`},
		{"a sync result", viewSyncResult(fullSync()),
			`{"sourceId":"alice@a.example","mirroredCount":1,"totalPlugins":3,"wanted":2,"alreadyMirrored":1,"mirroredBytes":100,"pruned":1,"rejected":[{"plugin":"bad","version":"0.1","reason":"unsigned"}],"revalidation":{"revalidated":4,"noValidator":5,"downloaded":6,"tampered":7,"failed":8,"deferred":9}}`},
		{"a sync result with nothing set", viewSyncResult(app.SyncResult{}),
			`{"sourceId":"","mirroredCount":0,"totalPlugins":0,"wanted":0,"alreadyMirrored":0,"mirroredBytes":0,"pruned":0,"rejected":null,"revalidation":{"revalidated":0,"noValidator":0,"downloaded":0,"tampered":0,"failed":0,"deferred":0}}`},
		{"a sync result that refused nothing", viewSyncResult(app.SyncResult{Rejected: []app.Rejection{}}),
			`{"sourceId":"","mirroredCount":0,"totalPlugins":0,"wanted":0,"alreadyMirrored":0,"mirroredBytes":0,"pruned":0,"rejected":[],"revalidation":{"revalidated":0,"noValidator":0,"downloaded":0,"tampered":0,"failed":0,"deferred":0}}`},
		{"a subscribe result", viewSubscribeResult(app.SubscribeResult{SyncResult: fullSync(), Success: true, Scheduled: true, Message: "m"}),
			`{"sourceId":"alice@a.example","mirroredCount":1,"totalPlugins":3,"wanted":2,"alreadyMirrored":1,"mirroredBytes":100,"pruned":1,"rejected":[{"plugin":"bad","version":"0.1","reason":"unsigned"}],"revalidation":{"revalidated":4,"noValidator":5,"downloaded":6,"tampered":7,"failed":8,"deferred":9},"success":true,"scheduled":true}`},
		{"a subscription row", viewSubscription(fullSubscription()),
			`{"id":3,"source_id":"alice@a.example","subscriber":"k2","filters":{"tags":["x"],"slugs":["tool"],"exclude_tags":["y"]},"created_at":1700000400}`},
		{"a subscription row with nothing set", viewSubscription(app.SubscriptionView{}),
			`{"id":0,"source_id":"","subscriber":"","filters":{},"created_at":0}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := json.Marshal(tc.view)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestDigestHeader(t *testing.T) {
	t.Parallel()
	for sha, want := range map[string]string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855": "sha-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
		"not hex": "",
	} {
		if got := digestHeader(sha); got != want {
			t.Errorf("digestHeader(%q) = %q, want %q", sha, got, want)
		}
	}
}
