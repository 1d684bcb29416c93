package app

import (
	"context"
	"encoding/base64"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// SourceHistory rebuilds a source from its own events.
type SourceHistory interface {
	// LoadUntil rebuilds the source from the events recorded at or before
	// at; domain.ErrNotFound when it was not registered yet.
	LoadUntil(ctx context.Context, id domain.SourceID, at time.Time) (*domain.Source, error)
}

// SourceStatusAt is a source as the node believed it at a moment.
type SourceStatusAt struct {
	SourceView
	AsOf time.Time
	// StreamVersion counts the source's events up to AsOf.
	StreamVersion int64
}

// GetSourceStatusAt answers GET /federation/source-status?at= and
// pfn events state: what did we believe about this publisher then?
type GetSourceStatusAt struct{ History SourceHistory }

// Authorize: only admins read a source's past.
func (h GetSourceStatusAt) Authorize(by Principal) error { return requireAdmin(by) }

func (h GetSourceStatusAt) Handle(ctx context.Context, by Principal, id domain.SourceID, at time.Time) (SourceStatusAt, error) {
	if err := h.Authorize(by); err != nil {
		return SourceStatusAt{}, err
	}
	s, err := h.History.LoadUntil(ctx, id, at)
	if err != nil {
		return SourceStatusAt{}, err
	}
	return SourceStatusAt{SourceView: viewOfState(s.State()), AsOf: at, StreamVersion: s.Version()}, nil
}

// viewOfState shows a rebuilt source in the shape of the sources read model,
// field by field as SourceProjection fills it, so the two can be compared.
func viewOfState(st domain.SourceState) SourceView {
	v := SourceView{
		ID:                string(st.ID),
		InstanceURL:       st.InstanceURL,
		Username:          st.Username,
		PublicKey:         base64.StdEncoding.EncodeToString(st.PublicKey),
		Status:            st.Status.String(),
		StatusReason:      st.LastChangeReason,
		TrustScore:        st.Trust.Score,
		TrustComponents:   st.Trust,
		CreatedAt:         st.CreatedAt.Unix(),
		LastFailure:       st.LastFailure,
		ProtocolVersion:   st.Info.ProtocolVersion,
		Features:          st.Info.Features,
		AssetDomain:       st.Info.AssetDomain,
		AssetNamingScheme: st.Info.NamingScheme,
		PluginCount:       st.PluginCount,
		SubscriberCount:   st.TrustInputs.Subscribers,
		AddedBy:           st.AddedBy,
		RefusedEntries:    st.TrustInputs.RefusedEntries,
		LastRefusal:       st.LastRefusal,
		// As the projection's columns: see SourceView.
		SuccessfulVerifications: st.TrustInputs.Verifications,
		LastVerificationResult:  lastVerificationResult(st),
		KeyHistory:              keyPeriodViews(st.KeyPeriods()),
	}
	if sp := st.Suspension; st.Status == domain.StatusSuspended {
		v.Suspension = &SuspensionView{Reason: sp.Reason, Quarantine: sp.Quarantine, By: sp.By, At: sp.At}
	}
	v.Incarnation = st.Incarnation
	if rm := st.Removal; st.Status == domain.StatusRemoved {
		v.Removal = &RemovalView{Reason: rm.Reason, By: rm.By, At: rm.At, FilesPending: len(rm.PendingFiles)}
	}
	var fault *LogFaultView
	if f := st.LogFault; f != nil {
		fault = &LogFaultView{Kind: f.Kind, Reason: f.Reason, Offered: f.Offered, At: f.At}
	}
	v.UpstreamLog = NewUpstreamLogView(st.Info.LogOrigin, st.UpstreamLog, fault)
	if !st.LastRefusalAt.IsZero() {
		at := st.LastRefusalAt
		v.LastRefusalAt = &at
	}
	if v.Features == nil {
		v.Features = []string{}
	}
	if !st.LastSyncAt.IsZero() {
		sync := st.LastSyncAt.Unix()
		v.LastSync = &sync
	}
	if !st.LastVerifiedAt.IsZero() {
		verified := st.LastVerifiedAt
		v.LastVerification = &verified
	}
	if st.TrustInputs.ResponseMSAvg != 0 {
		avg := st.TrustInputs.ResponseMSAvg
		v.AvgResponseMS = &avg
	}
	return v
}

// lastVerificationResult is SourceView.LastVerificationResult of a
// rebuilt source, the text SourceProjection writes.
func lastVerificationResult(st domain.SourceState) string {
	switch {
	case st.LastVerifiedAt.IsZero():
		return ""
	case st.TrustInputs.LastProofOK:
		return "success"
	}
	return "failed: " + st.LastProofFailure
}
