package httpapi

import (
	"encoding/json"
	"time"

	"github.com/pfn-network/pfn/app"
)

// Events family, the audit (views.go): camelCase, PFN's own. Exported:
// pfn events list and export print the same shapes as the API.

// EventPageView is one page of GET /federation/events and pfn events list.
type EventPageView struct {
	Events []AuditEventView `json:"events"`
	Next   string           `json:"next,omitempty"`
}

// AuditEventView is a stored event as the audit shows it; an export is
// one per line.
type AuditEventView struct {
	Position      int64             `json:"position"`
	ID            string            `json:"id"`
	Stream        string            `json:"stream"`
	StreamVersion int64             `json:"streamVersion"`
	Type          string            `json:"type"`
	SchemaVersion int               `json:"schemaVersion"`
	RecordedAt    time.Time         `json:"recordedAt"`
	Metadata      auditMetadataView `json:"metadata"`
	Data          json.RawMessage   `json:"data"`
}

type auditMetadataView struct {
	Actor         string `json:"actor,omitempty"`
	CorrelationID string `json:"correlationId,omitempty"`
	CausationID   string `json:"causationId,omitempty"`
	RequestID     string `json:"requestId,omitempty"`
}

// ViewEventPage shows a page of the audit; a page without events lists
// none ([]), never null.
func ViewEventPage(p app.EventPage) EventPageView {
	v := EventPageView{Events: viewAll(p.Events, ViewAuditEvent), Next: p.Next}
	if v.Events == nil {
		v.Events = []AuditEventView{}
	}
	return v
}

// ViewAuditEvent shows one event of the audit.
func ViewAuditEvent(e app.AuditEvent) AuditEventView {
	m := e.Metadata
	return AuditEventView{Position: e.Position, ID: e.ID, Stream: e.Stream, StreamVersion: e.StreamVersion,
		Type: e.Type, SchemaVersion: e.SchemaVersion, RecordedAt: e.RecordedAt, Data: e.Data,
		Metadata: auditMetadataView{Actor: m.Actor, CorrelationID: m.CorrelationID, CausationID: m.CausationID, RequestID: m.RequestID}}
}
