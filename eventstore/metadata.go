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

// WithActor returns a context whose appends are recorded as done by actor:
// a system component's name ("scheduler", "cli", "node") for work no
// request asked for. Append refuses events without an actor.
func WithActor(ctx context.Context, actor string) context.Context {
	md := MetadataFrom(ctx)
	md.Actor = actor
	return WithMetadata(ctx, md)
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
