package httpapi

import (
	"encoding/json"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// Every field of every result the API shows, set (full) or left at its
// zero value (empty): the golden shapes of views_internal_test.go are
// taken from both.
var (
	viewAt   = time.Date(2026, 11, 24, 9, 30, 0, 123000000, time.UTC)
	viewStr  = func(s string) *string { return &s }
	viewInt  = func(n int64) *int64 { return &n }
	viewF    = func(f float64) *float64 { return &f }
	viewTime = func(t time.Time) *time.Time { return &t }
)

func fullSource() app.SourceView {
	return app.SourceView{ID: "alice@a.example", InstanceURL: "https://a.example", Username: "alice", PublicKey: "cGs=",
		Status: "verified", StatusReason: "proved", TrustScore: 0.75,
		TrustComponents: domain.TrustScore{Score: 0.75, Verification: 1, Uptime: 0.5, Latency: 0.25, Signatures: 1, Age: 0.1, Subscribers: 0.2},
		CreatedAt:       1700000000, LastSync: viewInt(1700000100), LastVerification: viewTime(viewAt), LastFailure: "down",
		AvgResponseMS: viewF(12.5), ProtocolVersion: "1.0", Features: []string{"ownership"}, AssetDomain: "a.example",
		AssetNamingScheme: "slug-version", PluginCount: 3, SubscriberCount: 2, AddedBy: "k1", HealthChecks: 9,
		Uptime: viewF(0.9), LastHealthAt: viewTime(viewAt), LastSyncError: "timeout", RefusedEntries: 1,
		LastRefusal: "bad slug", LastRefusalAt: viewTime(viewAt), LastVerificationResult: "success", SuccessfulVerifications: 4,
		KeyHistory: []app.KeyPeriodView{
			{KeyID: "k0", PublicKey: "b2xk", ValidFrom: viewAt, ValidUntil: viewTime(viewAt), RotatedBy: "registration"},
			{KeyID: "k1", PublicKey: "cGs=", ValidFrom: viewAt, RotatedBy: "publisher"}}}
}

func fullPlugin() app.PluginView {
	return app.PluginView{ID: 7, Plugin: "tool", SourceID: "alice@a.example", Name: "Tool", Version: "1.0.0",
		Description: "a tool", Tags: []string{"x"}, SHA256: "aa", Size: 10, MirrorDate: 1700000200,
		PublisherSignature: "ps", FederationSignature: "fs", NodeKeyID: "nk", BlobKey: "blob", Pruned: "old",
		StoredCopy:           app.StoredCopy{OK: false, Damage: "missing: gone", FoundAt: viewTime(viewAt)},
		PublisherSignatureV2: "ps2", BytesAttestedBy: "publisher", LogIndex: viewIndex(12)}
}

func viewIndex(i int64) *int64 { return &i }

func fullActivity() app.ActivityEntry {
	return app.ActivityEntry{ID: "ev1", Position: 5, At: viewAt, Kind: "version_updated", SourceID: "alice@a.example",
		Plugin: "tool", Summary: "tool 1.1.0", Seq: 9,
		OriginalActivity: app.OriginalActivity{Type: "version_update", PluginID: viewStr("tool"), PluginName: viewStr("Tool"),
			SourceID: "alice@a.example", SourceUsername: "alice", OldVersion: viewStr("1.0.0"), NewVersion: viewStr("1.1.0"),
			Timestamp: 1700000300}}
}

func fullEvent() app.AuditEvent {
	return app.AuditEvent{Position: 5, ID: "ev1", Stream: "source-alice@a.example", StreamVersion: 2, Type: "source.verified",
		SchemaVersion: 1, RecordedAt: viewAt, Data: json.RawMessage(`{"a":1}`), Cursor: "c5",
		Metadata: app.AuditMetadata{Actor: "k1", CorrelationID: "co", CausationID: "ca", RequestID: "rq"}}
}

func fullSync() app.SyncResult {
	return app.SyncResult{SourceID: "alice@a.example", MirroredCount: 1, TotalPlugins: 3, Wanted: 2, AlreadyMirrored: 1,
		MirroredBytes: 100, Pruned: 1, Rejected: []app.Rejection{{Plugin: "bad", Version: "0.1", Reason: "unsigned"}},
		Revalidation: app.RevalidationResult{Revalidated: 4, NoValidator: 5, Downloaded: 6, Tampered: 7, Failed: 8, Deferred: 9}}
}

func fullSubscription() app.SubscriptionView {
	return app.SubscriptionView{ID: 3, SourceID: "alice@a.example", Subscriber: "k2",
		Filters: domain.Filters{Tags: []string{"x"}, Slugs: []string{"tool"}, ExcludeTags: []string{"y"}}, CreatedAt: 1700000400}
}

func fullReport() app.VerifyReport {
	return app.VerifyReport{Plugin: fullPlugin(), PublisherSignature: app.Check{OK: true},
		FederationSignature: app.Check{Detail: "no"}, StoredBytes: app.Check{Detail: "damaged", FoundAt: viewTime(viewAt)}, Valid: false,
		PublisherKey:         &app.PublisherKeyUsed{KeyID: "k0", Current: false},
		PublisherSignatureV2: &app.Check{Detail: "v2 no"}, BytesAttestedBy: "node"}
}
