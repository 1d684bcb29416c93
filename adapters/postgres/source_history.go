package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// The audit's reads of the log: a source rebuilt as of a moment, and the
// log itself, filtered and paged.

// SourceHistory rebuilds sources from their streams.
type SourceHistory struct{ Store *eventstore.Store }

// LoadUntil rebuilds the source from the events recorded at or before at.
// It stops at the first later event rather than filtering, so the history
// is always a prefix of the stream, as the aggregate requires.
func (h SourceHistory) LoadUntil(ctx context.Context, id domain.SourceID, at time.Time) (*domain.Source, error) {
	stored, err := h.Store.Load(ctx, sourceStream(id))
	if err != nil {
		return nil, err
	}
	// Stop at the first later event: the history stays a prefix.
	until := len(stored)
	for i, e := range stored {
		if e.RecordedAt.After(at) {
			until = i
			break
		}
	}
	history, err := eventstore.DecodeStream[domain.SourceEvent](stored[:until])
	if err != nil {
		return nil, err
	}
	if len(history) == 0 {
		return nil, fmt.Errorf("source %s was not registered at %s: %w", id, at.Format(time.RFC3339), domain.ErrNotFound)
	}
	return domain.LoadSource(history)
}

// EventLog is the audit's view of the whole log.
type EventLog struct{ Store *eventstore.Store }

func (l EventLog) ReadEvents(ctx context.Context, f app.EventFilter, after string, limit int) ([]app.AuditEvent, error) {
	pos, err := l.Store.ResolveCursor(ctx, after)
	if err != nil {
		return nil, fmt.Errorf("after: %w", err)
	}
	filter := eventstore.Filter{Type: f.Type, Actor: f.Actor, From: f.From, To: f.To}
	if f.Stream != "" {
		filter.Streams = []string{f.Stream}
	}
	if f.Source != "" {
		if f.Stream != "" && !belongsTo(f.Stream, f.Source) {
			return []app.AuditEvent{}, nil
		}
		if f.Stream == "" {
			filter.Streams = []string{sourceStream(f.Source)}
			// Source ids hold no '/', so these prefixes never match
			// another source whose id merely starts with this one.
			filter.StreamPrefixes = []string{pluginStreamPrefix(f.Source), subscriptionStreamPrefix(f.Source)}
		}
	}
	events, err := l.Store.Query(ctx, filter, pos, limit)
	if err != nil {
		return nil, err
	}
	out := make([]app.AuditEvent, len(events))
	for i, e := range events {
		out[i] = app.AuditEvent{
			Position: e.GlobalPosition, ID: e.ID.String(), Stream: e.StreamID, StreamVersion: e.StreamVersion,
			Type: e.Type, SchemaVersion: e.SchemaVersion, RecordedAt: e.RecordedAt.UTC(), Data: e.Payload,
			Metadata: app.AuditMetadata{Actor: e.Metadata.Actor, CorrelationID: e.Metadata.CorrelationID,
				CausationID: e.Metadata.CausationID, RequestID: e.Metadata.RequestID},
			Cursor: eventstore.Cursor(e.Position()),
		}
	}
	return out, nil
}

func pluginStreamPrefix(id domain.SourceID) string       { return pluginStream(id, "") }
func subscriptionStreamPrefix(id domain.SourceID) string { return subscriptionStream(id, "") }

func belongsTo(stream string, id domain.SourceID) bool {
	return stream == sourceStream(id) ||
		strings.HasPrefix(stream, pluginStreamPrefix(id)) || strings.HasPrefix(stream, subscriptionStreamPrefix(id))
}
