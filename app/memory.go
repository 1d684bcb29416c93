package app

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"sync"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// The in-memory ports below let any test run the use cases without
// PostgreSQL. They keep each stream's events, as the event store does, and
// save with the same optimistic concurrency: a save at a version the
// stream has moved past is domain.ErrConflict. They are safe for
// concurrent use; read models show a change as soon as it is saved.

var (
	_ SourceRepository       = (*MemorySources)(nil)
	_ SourceHistory          = (*MemorySources)(nil)
	_ SubscriptionRepository = (*MemorySubscriptions)(nil)
	_ SubscriptionReader     = (*MemorySubscriptions)(nil)
	_ HealthRepository       = (*MemoryHealth)(nil)
	_ KeyStore               = (*MemoryKeys)(nil)
	_ KeyRevocations         = (*MemoryKeys)(nil)
	_ SourcesByKey           = (*MemorySources)(nil)
)

// conflict is the error of a save at a version the stream has moved past.
func conflict(stream string, expected, actual int) error {
	return fmt.Errorf("stream %s is at version %d, not %d: %w", stream, actual, expected, domain.ErrConflict)
}

// MemorySources is a SourceRepository keeping each source's events.
type MemorySources struct {
	mu      sync.Mutex
	streams map[domain.SourceID][]domain.SourceEvent
}

// Events is a copy of a source's stored stream.
func (m *MemorySources) Events(id domain.SourceID) []domain.SourceEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]domain.SourceEvent(nil), m.streams[id]...)
}

func (m *MemorySources) Load(_ context.Context, id domain.SourceID) (*domain.Source, error) {
	events := m.Events(id)
	if len(events) == 0 {
		return nil, fmt.Errorf("source %s: %w", id, domain.ErrNotFound)
	}
	return domain.LoadSource(events)
}

func (m *MemorySources) Save(_ context.Context, s *domain.Source) error {
	id := s.State().ID
	m.mu.Lock()
	defer m.mu.Unlock()
	stream := m.streams[id]
	if int(s.Version()) != len(stream) {
		return conflict(string(id), int(s.Version()), len(stream))
	}
	if m.streams == nil {
		m.streams = map[domain.SourceID][]domain.SourceEvent{}
	}
	m.streams[id] = append(stream, s.Changes()...)
	s.MarkSaved()
	return nil
}

// SourcesWithKey lists the sources whose key is or was key.
func (m *MemorySources) SourcesWithKey(_ context.Context, key ed25519.PublicKey) ([]SourceView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []SourceView
	for _, events := range m.streams {
		s, err := domain.LoadSource(events)
		if err != nil {
			return nil, err
		}
		st := s.State()
		if _, had := st.HadKey(key); had {
			out = append(out, SourceView{ID: string(st.ID), InstanceURL: st.InstanceURL, Username: st.Username,
				PublicKey: base64.StdEncoding.EncodeToString(st.PublicKey)})
		}
	}
	return out, nil
}

// LoadUntil rebuilds the source from its events that occurred at or
// before at.
func (m *MemorySources) LoadUntil(_ context.Context, id domain.SourceID, at time.Time) (*domain.Source, error) {
	var until []domain.SourceEvent
	for _, e := range m.Events(id) {
		if !e.OccurredAt().After(at) {
			until = append(until, e)
		}
	}
	if len(until) == 0 {
		return nil, fmt.Errorf("source %s at %s: %w", id, at.Format(time.RFC3339), domain.ErrNotFound)
	}
	return domain.LoadSource(until)
}

func (m *MemorySources) Update(ctx context.Context, id domain.SourceID, change func(*domain.Source) error) error {
	return UpdateAggregate(ctx, func(ctx context.Context) (*domain.Source, error) { return m.Load(ctx, id) }, m.Save, change)
}

type subscriptionKey struct {
	source     domain.SourceID
	subscriber string
}

// MemorySubscriptions is a SubscriptionRepository and the
// SubscriptionReader of what it stores.
type MemorySubscriptions struct {
	mu      sync.Mutex
	streams map[subscriptionKey][]domain.SubscriptionEvent
	order   []subscriptionKey // first save first, as ids are given
}

// Events is a copy of a subscription's stored stream.
func (m *MemorySubscriptions) Events(source domain.SourceID, subscriber string) []domain.SubscriptionEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]domain.SubscriptionEvent(nil), m.streams[subscriptionKey{source, subscriber}]...)
}

func (m *MemorySubscriptions) Load(_ context.Context, source domain.SourceID, subscriber string) (*domain.Subscription, error) {
	s := domain.NewSubscription(source, subscriber)
	s.Load(m.Events(source, subscriber))
	return s, nil
}

func (m *MemorySubscriptions) Save(_ context.Context, s *domain.Subscription) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := subscriptionKey{s.SourceID, s.Subscriber}
	stream := m.streams[k]
	if int(s.Version()) != len(stream) {
		return conflict(string(k.source)+"/"+k.subscriber, int(s.Version()), len(stream))
	}
	if m.streams == nil {
		m.streams = map[subscriptionKey][]domain.SubscriptionEvent{}
	}
	if _, ok := m.streams[k]; !ok && len(s.Changes()) > 0 {
		m.order = append(m.order, k)
	}
	m.streams[k] = append(stream, s.Changes()...)
	s.MarkSaved()
	return nil
}

// Record saves at once; the read model already shows the change.
func (m *MemorySubscriptions) Record(ctx context.Context, s *domain.Subscription) (func(context.Context) error, error) {
	if err := m.Save(ctx, s); err != nil {
		return nil, err
	}
	return func(context.Context) error { return nil }, nil
}

func (m *MemorySubscriptions) Update(ctx context.Context, source domain.SourceID, subscriber string, change func(*domain.Subscription) error) error {
	load := func(ctx context.Context) (*domain.Subscription, error) { return m.Load(ctx, source, subscriber) }
	return UpdateAggregate(ctx, load, m.Save, change)
}

// active is a stream's filters and whether it is active, from its events
// alone (as the read model has it).
func active(events []domain.SubscriptionEvent) (domain.Filters, bool) {
	var f domain.Filters
	on := false
	for _, e := range events {
		switch e := e.(type) {
		case domain.Subscribed:
			f, on = e.Filters, true
		case domain.SubscriptionFiltersChanged:
			f = e.Filters
		case domain.Unsubscribed:
			f, on = domain.Filters{}, false
		}
	}
	return f, on
}

func (m *MemorySubscriptions) ActiveFilters(_ context.Context, source domain.SourceID) (map[string]domain.Filters, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]domain.Filters{}
	for k, events := range m.streams {
		if f, on := active(events); on && k.source == source {
			out[k.subscriber] = f
		}
	}
	return out, nil
}

func (m *MemorySubscriptions) ListSubscriptions(_ context.Context, subscriber string) ([]SubscriptionView, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []SubscriptionView
	for i, k := range m.order {
		if f, on := active(m.streams[k]); on && (subscriber == "" || k.subscriber == subscriber) {
			out = append(out, SubscriptionView{ID: int64(i + 1), SourceID: string(k.source), Subscriber: k.subscriber, Filters: f})
		}
	}
	return out, nil
}

func (m *MemorySubscriptions) CountSubscribers(ctx context.Context, source domain.SourceID) (int, error) {
	f, err := m.ActiveFilters(ctx, source)
	return len(f), err
}

// CatchUp returns at once: the read model is never behind.
func (m *MemorySubscriptions) CatchUp(context.Context) error { return nil }

// MemoryHealth is a HealthRepository keeping each source's checks.
type MemoryHealth struct {
	mu      sync.Mutex
	streams map[domain.SourceID][]domain.HealthChecked
}

// Checks is a copy of a source's stored health checks.
func (m *MemoryHealth) Checks(id domain.SourceID) []domain.HealthChecked {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]domain.HealthChecked(nil), m.streams[id]...)
}

func (m *MemoryHealth) Load(_ context.Context, id domain.SourceID) (*domain.SourceHealth, error) {
	checks := m.Checks(id)
	if len(checks) == 0 {
		return domain.LoadHealth(nil, 0), nil
	}
	return domain.LoadHealth(&checks[len(checks)-1], int64(len(checks))), nil
}

func (m *MemoryHealth) Save(_ context.Context, id domain.SourceID, h *domain.SourceHealth) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	stream := m.streams[id]
	if int(h.Version()) != len(stream) {
		return conflict("health/"+string(id), int(h.Version()), len(stream))
	}
	if m.streams == nil {
		m.streams = map[domain.SourceID][]domain.HealthChecked{}
	}
	m.streams[id] = append(stream, h.Changes()...)
	h.MarkSaved()
	return nil
}

// MemoryKeys is a KeyStore and the KeyRevocations of what it stores.
type MemoryKeys struct {
	mu      sync.Mutex
	keys    map[string]KeyRecord
	revoked []domain.APIKeyRevoked
}

func (m *MemoryKeys) Issue(_ context.Context, e domain.APIKeyIssued) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[e.KeyID]; ok {
		return fmt.Errorf("key %s: %w", e.KeyID, domain.ErrConflict)
	}
	if m.keys == nil {
		m.keys = map[string]KeyRecord{}
	}
	m.keys[e.KeyID] = KeyRecord{ID: e.KeyID, Role: e.Role, Description: e.Description, Hash: e.Hash, CreatedAt: e.At}
	return nil
}

func (m *MemoryKeys) Revoke(_ context.Context, e domain.APIKeyRevoked) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.keys[e.KeyID]
	if !ok {
		return fmt.Errorf("key %s: %w", e.KeyID, domain.ErrNotFound)
	}
	rec.Revoked = true
	m.keys[e.KeyID] = rec
	m.revoked = append(m.revoked, e)
	return nil
}

// Revocations is a copy of the revocations recorded.
func (m *MemoryKeys) Revocations() []domain.APIKeyRevoked {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]domain.APIKeyRevoked(nil), m.revoked...)
}

func (m *MemoryKeys) Lookup(_ context.Context, id string) (KeyRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.keys[id]
	if !ok {
		return KeyRecord{}, fmt.Errorf("key %s: %w", id, domain.ErrNotFound)
	}
	return rec, nil
}

func (m *MemoryKeys) RevokedInLog(ctx context.Context, keyID string) (bool, error) {
	rec, err := m.Lookup(ctx, keyID)
	return err == nil && rec.Revoked, nil
}

var (
	_ SourceReader = SourceViews(nil)
	_ PluginReader = PluginViews(nil)
)

// SourceViews is a SourceReader of fixed rows.
type SourceViews []SourceView

func (v SourceViews) ListSources(context.Context) ([]SourceView, error) { return v, nil }

func (v SourceViews) GetSource(_ context.Context, id domain.SourceID) (SourceView, error) {
	for _, s := range v {
		if s.ID == string(id) {
			return s, nil
		}
	}
	return SourceView{}, fmt.Errorf("source %s: %w", id, domain.ErrNotFound)
}

// PluginViews is a PluginReader of fixed rows, in id order as the read
// model pages them. It filters by source and cursor; tag and text queries
// are the read model's own business and are not answered here.
type PluginViews []PluginView

func (v PluginViews) ListPlugins(_ context.Context, q PluginQuery) ([]PluginView, error) {
	var out []PluginView
	for _, p := range v {
		if (q.Source == "" || p.SourceID == q.Source) && p.ID > q.After && p.Pruned == "" &&
			(q.IncludeYanked || p.Yanked == "") && (q.IncludeQuarantined || !p.SourceQuarantined) && len(out) < q.Limit {
			out = append(out, p)
		}
	}
	return out, nil
}

func (v PluginViews) PluginVersions(_ context.Context, source, plugin string) ([]PluginView, error) {
	var out []PluginView
	for _, p := range v {
		if p.SourceID == source && p.Plugin == plugin {
			out = append(out, p)
		}
	}
	return out, nil
}
