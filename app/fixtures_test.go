package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

var (
	t0       = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	admin    = app.Principal{KeyID: "key_admin", Role: domain.RoleAdmin}
	master   = app.Principal{KeyID: "master", Role: domain.RoleAdmin, Master: true}
	consumer = app.Principal{KeyID: "key_consumer", Role: domain.RoleConsumer}
)

func now() time.Time { return t0 }

const instance = "https://plugins.example.com"

// goodInfo is what a well-behaved publisher at instance says about itself.
var goodInfo = domain.PublisherInfo{ProtocolVersion: "1.0", AssetDomain: "https://cdn.example.com", NamingScheme: "flat"}

// fakePublisher is a publisher that answers /federation-info with info (or
// infoErr) and signs challenges with signer (or fails with proveErr). Like
// the reference publisher it signs well-formed challenges only, so every
// proof in these tests shows the node sends the documented format.
type fakePublisher struct {
	mu       sync.Mutex
	info     domain.PublisherInfo
	infoErr  error
	signer   ed25519.PrivateKey
	proveErr error
	calls    int // federation-info reads
	proofs   int // challenges sent
}

func (p *fakePublisher) FederationInfo(context.Context, string) (domain.PublisherInfo, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	return p.info, p.infoErr
}

func (p *fakePublisher) ProveOwnership(_ context.Context, _, _, challenge string) (string, error) {
	p.mu.Lock()
	p.proofs++
	p.mu.Unlock()
	if p.proveErr != nil {
		return "", p.proveErr
	}
	if _, err := domain.ParseChallenge(challenge); err != nil {
		return "", fmt.Errorf("fake publisher refuses %q: %w", challenge, err)
	}
	return base64.StdEncoding.EncodeToString(ed25519.Sign(p.signer, []byte(challenge))), nil
}

// newKey is a fresh publisher key pair, the public half in base64.
func newKey(t *testing.T) (string, ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(pub), priv
}

// honest is a publisher that proves ownership of the key it returns.
func honest(t *testing.T) (*fakePublisher, string) {
	pub, priv := newKey(t)
	return &fakePublisher{info: goodInfo, signer: priv}, pub
}

// addedSource registers a source at instance in sources and proves its
// ownership with pub, leaving it verified.
func addedSource(t *testing.T, sources *app.MemorySources, pub *fakePublisher, key string) domain.SourceID {
	t.Helper()
	add := app.AddSource{Sources: sources, Now: now,
		Verify: app.VerifySource{Sources: sources, Publisher: pub, Random: rand.Reader, Now: now}}
	res, err := add.Handle(context.Background(), admin, app.AddSourceRequest{InstanceURL: instance, Username: "author", PublicKey: key})
	if err != nil || !res.Verified {
		t.Fatalf("add source: verified %v (%s), %v", res.Verified, res.Reason, err)
	}
	return res.Source.ID
}

// wantErr fails the test unless err is want (nil for none).
func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
		t.Fatalf("error %v, want %v", err, want)
	}
}

// wantField fails the test unless err is invalid input about field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var fe *domain.FieldError
	if !errors.As(err, &fe) || fe.Field != field || !errors.Is(err, domain.ErrInvalidInput) {
		t.Fatalf("error %v, want invalid input in field %q", err, field)
	}
}

// eventTypes are the types of events, in order.
func eventTypes(events []domain.SourceEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.EventType())
	}
	return out
}
