package eventstore

import "context"

// Metadata travels with every event. It never holds secrets: Actor is an API
// key's id or a system component's name, never the key.
type Metadata struct {
	Actor         string `json:"actor,omitempty"`
	CorrelationID string `json:"correlation_id,omitempty"`
	CausationID   string `json:"causation_id,omitempty"`
	RequestID     string `json:"request_id,omitempty"`
}

type metadataKey struct{}

// WithMetadata returns a context whose appends carry md by default. Request
// handlers set it once, so use cases need not pass it down by hand.
func WithMetadata(ctx context.Context, md Metadata) context.Context {
	return context.WithValue(ctx, metadataKey{}, md)
}

// MetadataFrom returns the metadata set by WithMetadata, if any.
func MetadataFrom(ctx context.Context) Metadata {
	md, _ := ctx.Value(metadataKey{}).(Metadata)
	return md
}

// merge fills m's empty fields from def.
func (m Metadata) merge(def Metadata) Metadata {
	if m.Actor == "" {
		m.Actor = def.Actor
	}
	if m.CorrelationID == "" {
		m.CorrelationID = def.CorrelationID
	}
	if m.CausationID == "" {
		m.CausationID = def.CausationID
	}
	if m.RequestID == "" {
		m.RequestID = def.RequestID
	}
	return m
}
