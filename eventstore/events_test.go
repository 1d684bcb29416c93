package eventstore_test

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// sampleEvents holds one value of every registered event type, every field
// set, grouped by the stream interface it must decode as.
func sampleEvents() map[string][]any {
	at := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	const src = domain.SourceID("a@h.example")
	f := domain.Filters{Tags: []string{"seo"}, Slugs: []string{"a-b"}, ExcludeTags: []string{"old"}}
	return map[string][]any{
		"source": {
			domain.SourceRegistered{SourceID: src, InstanceURL: "https://h.example", Username: "a", PublicKey: "k", AddedBy: "key_1", At: at},
			domain.PublisherInfoRefreshed{ProtocolVersion: "1", Features: []string{"x"}, AssetDomain: "cdn.h.example", NamingScheme: "n", LogOrigin: "pfn/abc", At: at},
			domain.OwnershipVerified{At: at},
			domain.OwnershipVerificationFailed{Reason: "r", At: at},
			domain.SourceHealthChecked{Up: true, ResponseMS: 12, Error: "e", At: at},
			domain.SourceTrustAdjusted{Old: 0.5, New: 0.75, Components: domain.TrustScore{Score: 0.75, Verification: 1, Uptime: 0.5,
				Latency: 0.25, Signatures: 1, Age: 0.125, Subscribers: 0.5}, Reason: "r", At: at},
			domain.SourceStatusChanged{From: domain.StatusPending, To: domain.StatusVerified, Reason: "r", At: at},
			domain.SourceSignatureChecked{Valid: true, At: at},
			domain.SourceSubscriberCountChanged{Count: 3, At: at},
			domain.SourceSynced{Mirrored: 1, Rejected: 2, PluginCount: 3, ValidSignatures: 4, InvalidSignatures: 5, RefusalsNotRecorded: 6,
				Revalidation: domain.Revalidation{Revalidated: 7, NoValidator: 8, Through: "p@1.0.0"},
				Feed:         &domain.FeedMark{Cursor: 9, Filters: "f", Unchanged: true}, LogCheckpoint: "o\n1\nh\n\n— o sig\n", At: at},
			domain.SourceHealthSummarized{Checks: 7, UptimeAvg: 0.5, ResponseMSAvg: 12.5, Up: true, At: at},
			domain.SourceFailureRecorded{Kind: domain.FailureSync, Reason: "r", At: at},
			domain.SourceAssetHostsAllowed{Hosts: []string{"cdn.example"}, At: at},
			domain.SourceListingRefused{Plugin: "p", Version: "v", Reason: "r", At: at},
			domain.SourceSuspended{Reason: "r", Quarantine: true, By: "key_1", From: domain.StatusVerified, At: at},
			domain.SourceResumed{Reason: "r", By: "key_1", To: domain.StatusVerified, At: at},
			domain.SourceRemoved{Reason: "r", By: "key_1", Incarnation: 1, BlobKeys: []string{"b"}, At: at},
			domain.SourceFilesDeleted{Count: 1, At: at},
			domain.SourceKeyRotated{OldKey: "o", OldKeyID: "oid", NewKey: "n", NewKeyID: "nid", By: domain.KeyByAdmin, Actor: "key_1", Reason: "r", At: at},
			domain.SourceKeyRotationRefused{KeyID: "kid", Reason: "r", At: at},
			domain.SourceUpstreamStatusChanged{Status: "quarantined", Reason: "r", At: at},
			domain.SourceLogInconsistent{Kind: domain.LogFaultForked, Reason: "r", Trusted: "t", Offered: "o", At: at},
			domain.SourceLogAccepted{Reason: "r", By: "key_1", At: at},
		},
		"plugin": {
			domain.PluginMirrored{SourceID: src, Plugin: "p", Name: "P", Version: "1.0.0", Description: "d", Tags: []string{"t"}, SHA256: "s",
				Size: 9, BlobKey: "b", PublisherSignature: "ps", FederationSignature: "fs", NodeKeyID: "n", At: at,
				PublisherSignatureV2: "ps2", BytesAttestedBy: domain.AttestedByPublisher},
			domain.PluginRejected{SourceID: src, Plugin: "p", Version: "1.0.0", Reason: "r", At: at},
			domain.PluginTampered{SourceID: src, Plugin: "p", Version: "1.0.0", Detail: "d", At: at},
			domain.PluginRolledBack{SourceID: src, Plugin: "p", Listed: "0.9.0", Latest: "1.0.0", At: at},
			domain.PluginVersionUpdated{SourceID: src, Plugin: "p", From: "1.0.0", To: "1.1.0", At: at},
			domain.PluginPruned{SourceID: src, Plugin: "p", Version: "1.0.0", BlobKey: "b", Reason: "r", At: at},
			domain.PluginStoredCopyDamaged{SourceID: src, Plugin: "p", Version: "1.0.0", Missing: true, SHA256: "s", Size: 1,
				RecordedSHA256: "rs", RecordedSize: 2, At: at},
			domain.PluginStoredCopyRestored{SourceID: src, Plugin: "p", Version: "1.0.0", SHA256: "s", Size: 1, At: at},
			domain.PluginYanked{SourceID: src, Plugin: "p", Version: "1.0.0", Reason: "r", Actor: "k", At: at},
			domain.PluginUnyanked{SourceID: src, Plugin: "p", Version: "1.0.0", Reason: "r", Actor: "k", At: at},
			domain.PluginSourceRemoved{SourceID: src, Plugin: "p", Reason: "r", Incarnation: 1, At: at},
		},
		"subscription": {
			domain.Subscribed{SourceID: src, Subscriber: "k", Filters: f, At: at},
			domain.SubscriptionFiltersChanged{SourceID: src, Subscriber: "k", Filters: f, At: at},
			domain.Unsubscribed{SourceID: src, Subscriber: "k", Reason: domain.UnsubscribedKeyRevoked, At: at},
		},
		"health": {
			domain.HealthChecked{Up: true, ResponseMS: 5, Error: "e", At: at, Checks: 2, UptimeAvg: 0.5, ResponseMSAvg: 5.5},
		},
		"apikey": {
			domain.APIKeyIssued{KeyID: "k", Role: domain.RoleAdmin, Description: "d", Hash: "h", IssuedBy: "master", At: at},
			domain.APIKeyRevoked{KeyID: "k", RevokedBy: "master", At: at},
		},
	}
}

// decodeAsStream decodes through the stream interface the group's events
// must satisfy.
var decodeAsStream = map[string]func(eventstore.Event) (any, error){
	"source":       func(e eventstore.Event) (any, error) { return eventstore.DecodeAs[domain.SourceEvent](e) },
	"plugin":       func(e eventstore.Event) (any, error) { return eventstore.DecodeAs[domain.PluginEvent](e) },
	"subscription": func(e eventstore.Event) (any, error) { return eventstore.DecodeAs[domain.SubscriptionEvent](e) },
	"health":       func(e eventstore.Event) (any, error) { return eventstore.DecodeAs[domain.HealthChecked](e) },
	"apikey":       func(e eventstore.Event) (any, error) { return eventstore.Events.Decode(e) },
}

// Every registered event is stored under its name and current version and
// decodes back to itself, through its stream's interface; the samples
// cover every registered type.
func TestEveryRegisteredEventRoundTrips(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for stream, samples := range sampleEvents() {
		for _, sample := range samples {
			enc, err := eventstore.Events.Encode(sample)
			if err != nil {
				t.Fatalf("encode %T: %v", sample, err)
			}
			t.Run(enc.Type, func(t *testing.T) {
				covered[enc.Type] = true
				if typed, ok := sample.(interface{ EventType() string }); ok && typed.EventType() != enc.Type {
					t.Fatalf("%T stored as %q, but its EventType is %q", sample, enc.Type, typed.EventType())
				}
				if want := eventstore.CurrentSchemaVersion(enc.Type); enc.SchemaVersion != want {
					t.Fatalf("stamped v%d, current is v%d", enc.SchemaVersion, want)
				}
				stored := eventstore.Event{Type: enc.Type, SchemaVersion: enc.SchemaVersion, Payload: enc.Payload, StreamID: stream + "-x"}
				got, err := decodeAsStream[stream](stored)
				if err != nil || !reflect.DeepEqual(got, sample) {
					t.Fatalf("decoded %#v, %v; want %#v", got, err, sample)
				}
			})
		}
	}
	for _, name := range eventstore.Events.Names() {
		if !covered[name] {
			t.Errorf("registered type %q has no sample here", name)
		}
	}
}

// An event of another aggregate in a stream is an error, not a guess.
func TestDecodeAsRefusesAnotherStreamsEvent(t *testing.T) {
	t.Parallel()
	enc, err := eventstore.Events.Encode(domain.Subscribed{SourceID: "a@h", Subscriber: "k"})
	if err != nil {
		t.Fatal(err)
	}
	stored := eventstore.Event{Type: enc.Type, SchemaVersion: enc.SchemaVersion, Payload: enc.Payload, StreamID: "source-a@h", StreamVersion: 4}
	if e, err := eventstore.DecodeAs[domain.SourceEvent](stored); err == nil || !strings.Contains(err.Error(), "source-a@h") {
		t.Fatalf("a subscription event in a source stream decoded as %#v, %v", e, err)
	}
	// Every event of one stream, read as another's (the interfaces are
	// sealed: a health check has what a source event has).
	for stream, samples := range sampleEvents() {
		for other, decode := range decodeAsStream {
			if other == stream || other == "apikey" {
				continue
			}
			for _, sample := range samples {
				enc, _ := eventstore.Events.Encode(sample)
				ev := eventstore.Event{Type: enc.Type, SchemaVersion: enc.SchemaVersion, Payload: enc.Payload, StreamID: other + "-x"}
				if got, err := decode(ev); err == nil {
					t.Errorf("a %s event (%s) decoded in a %s stream as %#v", stream, enc.Type, other, got)
				}
			}
		}
	}
	unknown := eventstore.Event{Type: "source.renamed", SchemaVersion: 1, Payload: json.RawMessage(`{}`), StreamID: "source-a@h"}
	if _, err := eventstore.DecodeAs[domain.SourceEvent](unknown); !errors.Is(err, eventstore.ErrUnknownEventType) ||
		!strings.Contains(err.Error(), "source.renamed") || !strings.Contains(err.Error(), "source-a@h") {
		t.Fatalf("an unknown type: %v, want ErrUnknownEventType naming the type and stream", err)
	}
}

// An early source.registered decodes upcast, through the registry alone.
func TestDecodeUpcastsAnOldVersion(t *testing.T) {
	t.Parallel()
	early := readEarlyEvent(t, "source_registered_v1.json")
	got, err := eventstore.DecodeAs[domain.SourceEvent](eventstore.Event{Type: early.EventType, SchemaVersion: early.SchemaVersion,
		Payload: early.Payload, StreamID: early.StreamID})
	reg, ok := got.(domain.SourceRegistered)
	if err != nil || !ok || reg.SourceID != "plugin-author@plugins.example.com" || !reg.At.Equal(time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)) {
		t.Fatalf("decoded %#v, %v", got, err)
	}
}

// Every event the domain declares is registered: each string constant
// named Event... is a registered type name, and each type with an
// EventType method a registered Go type. Read from domain's source, so a
// new event cannot be forgotten here.
func TestEveryDomainEventIsRegistered(t *testing.T) {
	t.Parallel()
	names, types := domainEventDeclarations(t)
	if len(names) < 28 || len(types) < 26 {
		t.Fatalf("found %d event names and %d event types in domain: the scan is broken", len(names), len(types))
	}
	registered := eventstore.Events.Names()
	for _, n := range names {
		if !slices.Contains(registered, n) {
			t.Errorf("domain declares event type %q, not registered", n)
		}
	}
	goTypes := map[string]bool{}
	for _, s := range sampleEvents() {
		for _, v := range s {
			goTypes[reflect.TypeOf(v).Name()] = true
		}
	}
	for _, typ := range types {
		if !goTypes[typ] {
			t.Errorf("domain.%s has an EventType method but no registered sample", typ)
		}
		if _, err := eventstore.Events.Encode(sampleOf(typ)); err != nil {
			t.Errorf("domain.%s: %v", typ, err)
		}
	}
}

// sampleOf finds the sample of the domain type named typ.
func sampleOf(typ string) any {
	for _, s := range sampleEvents() {
		for _, v := range s {
			if reflect.TypeOf(v).Name() == typ {
				return v
			}
		}
	}
	return nil
}

// domainEventDeclarations reads ../domain: the values of its string
// constants named Event..., and the receivers of its EventType methods.
func domainEventDeclarations(t *testing.T) (names, types []string) {
	t.Helper()
	entries, err := os.ReadDir("../domain")
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range entries {
		if !strings.HasSuffix(entry.Name(), ".go") || strings.HasSuffix(entry.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("../domain", entry.Name()), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.GenDecl:
				names = append(names, eventConstants(d)...)
			case *ast.FuncDecl:
				if d.Name.Name == "EventType" && d.Recv != nil {
					if id, ok := d.Recv.List[0].Type.(*ast.Ident); ok {
						types = append(types, id.Name)
					}
				}
			}
		}
	}
	return names, types
}

func eventConstants(d *ast.GenDecl) []string {
	var out []string
	if d.Tok != token.CONST {
		return nil
	}
	for _, spec := range d.Specs {
		vs := spec.(*ast.ValueSpec)
		for i, n := range vs.Names {
			if !strings.HasPrefix(n.Name, "Event") || i >= len(vs.Values) {
				continue
			}
			if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				v, _ := strconv.Unquote(lit.Value)
				out = append(out, v)
			}
		}
	}
	return out
}
