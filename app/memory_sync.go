package app

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"sync"

	"github.com/pfn-network/pfn/domain"
)

var (
	_ SourceLocks    = (*MemoryLocks)(nil)
	_ JobRequests    = (*MemoryJobRequests)(nil)
	_ MirrorSigner   = MemorySigner{}
	_ MirrorVerifier = MemorySigner{}
)

// MemoryLocks is SourceLocks in memory: one holder per source, as the
// database's advisory locks across processes.
type MemoryLocks struct {
	mu   sync.Mutex
	held map[domain.SourceID]bool
}

func (m *MemoryLocks) TryLock(_ context.Context, id domain.SourceID) (func(), bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held[id] {
		return nil, false, nil
	}
	if m.held == nil {
		m.held = map[domain.SourceID]bool{}
	}
	m.held[id] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			delete(m.held, id)
		})
	}, true, nil
}

// MemoryJobRequests records the jobs asked to run out of turn.
type MemoryJobRequests struct {
	mu       sync.Mutex
	requests []Job
}

func (m *MemoryJobRequests) RequestNow(_ context.Context, kind JobKind, source domain.SourceID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests = append(m.requests, Job{Kind: kind, Source: source})
	return nil
}

// Requests are the jobs asked for, in order.
func (m *MemoryJobRequests) Requests() []Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Job(nil), m.requests...)
}

// MemorySigner signs the node's statements with a key derived from ID
// (the zero value's from "memory-node"), and verifies them: a statement
// about other bytes, another version or another publisher signature does
// not verify. Its key id is derived from the key as nodekey derives it, so
// a statement naming another node's id does not verify under this key.
type MemorySigner struct{ ID string }

func (s MemorySigner) KeyID() string { return domain.KeyID(s.PublicKey()) }

func (s MemorySigner) key() ed25519.PrivateKey {
	name := s.ID
	if name == "" {
		name = "memory-node"
	}
	seed := sha256.Sum256([]byte(name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func mirrorStatement(node string, source domain.SourceID, plugin, version, sha256 string, size int64, publisherSignature string) []byte {
	return fmt.Appendf(nil, "%q %q %q %q %q %d %q", node, source, plugin, version, sha256, size, publisherSignature)
}

func (s MemorySigner) SignMirror(source domain.SourceID, plugin, version, sha256 string, size int64, publisherSignature string) (string, error) {
	msg := mirrorStatement(s.KeyID(), source, plugin, version, sha256, size, publisherSignature)
	return base64.StdEncoding.EncodeToString(ed25519.Sign(s.key(), msg)), nil
}

func mirrorStatementV2(st StatementV2) []byte {
	return fmt.Appendf(nil, "v2 %q %q %q %q %q %d %q %q %q", st.Node, st.Source, st.Plugin, st.Version, st.SHA256, st.Size,
		st.PublisherSignature, st.PublisherKey, st.Upstream)
}

func (s MemorySigner) SignMirrorV2(st StatementV2) (string, error) {
	st.Node = s.KeyID()
	return base64.StdEncoding.EncodeToString(ed25519.Sign(s.key(), mirrorStatementV2(st))), nil
}

// PublicKey is the key MemorySigner signs with.
func (s MemorySigner) PublicKey() ed25519.PublicKey { return s.key().Public().(ed25519.PublicKey) }

func (s MemorySigner) VerifyStatementV2(nodeKey ed25519.PublicKey, st StatementV2, signature string) error {
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || len(nodeKey) != ed25519.PublicKeySize || !ed25519.Verify(nodeKey, mirrorStatementV2(st), sig) {
		return fmt.Errorf("v2 statement about %s %s: %w", st.Plugin, st.Version, domain.ErrBadSignature)
	}
	// As nodekey.VerifyV2: the node field only means "this key" when it is
	// the key's id.
	if id := domain.KeyID(nodeKey); st.Node != id {
		return fmt.Errorf("v2 statement about %s %s names node %q, the key's id is %q: %w", st.Plugin, st.Version, st.Node, id, domain.ErrBadSignature)
	}
	return nil
}

// SignMarker signs a yank or source-status marker, as nodekey does.
func (s MemorySigner) SignMarker(message string) (string, error) {
	if !domain.IsMarker(message) {
		return "", fmt.Errorf("not a marker: %w", domain.ErrInvalidInput)
	}
	return base64.StdEncoding.EncodeToString(ed25519.Sign(s.key(), []byte(message))), nil
}

func (s MemorySigner) OwnsKey(keyID string) bool { return keyID == s.KeyID() }

// StatementBytesV2 is what MemorySigner signs of a v2 statement.
func (MemorySigner) StatementBytesV2(st StatementV2) ([]byte, error) {
	return mirrorStatementV2(st), nil
}

func (s MemorySigner) VerifyMirrorV2(p PluginView) error {
	if p.NodeKeyID != s.KeyID() {
		return fmt.Errorf("v2 statement about %s %s: %w", p.Plugin, p.Version, domain.ErrBadSignature)
	}
	return s.VerifyStatementV2(s.PublicKey(), p.StatementV2(), p.FederationSignatureV2)
}

func (s MemorySigner) VerifyMirror(p PluginView) error {
	sig, err := base64.StdEncoding.DecodeString(p.FederationSignature)
	msg := mirrorStatement(p.NodeKeyID, domain.SourceID(p.SourceID), p.Plugin, p.Version, p.SHA256, p.Size, p.PublisherSignature)
	if err != nil || p.NodeKeyID != s.KeyID() || !ed25519.Verify(s.key().Public().(ed25519.PublicKey), msg, sig) {
		return fmt.Errorf("the node's statement about %s %s: %w", p.Plugin, p.Version, domain.ErrBadSignature)
	}
	return nil
}
