package httpapi

import (
	"fmt"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
)

// upstreamLogView is how the upstream node's transparency log is watched
// (issue #16): the signed checkpoint the last sync verified ("" none), its
// size, and the inconsistency that stops the syncs (null when none). The
// source's row omits it for a source that announces no log.
type upstreamLogView struct {
	Checkpoint string        `json:"checkpoint"`
	Size       int64         `json:"size"`
	Fault      *logFaultView `json:"fault"`
}

type logFaultView struct {
	Kind    string    `json:"kind"`
	Reason  string    `json:"reason"`
	Offered string    `json:"offered"`
	At      time.Time `json:"at"`
}

func viewUpstreamLog(l *app.UpstreamLogView) *upstreamLogView {
	if l == nil {
		return nil
	}
	v := &upstreamLogView{Checkpoint: l.Checkpoint, Size: l.Size}
	if f := l.Fault; f != nil {
		v.Fault = &logFaultView{Kind: f.Kind, Reason: f.Reason, Offered: f.Offered, At: f.At}
	}
	return v
}

type acceptUpstreamLogRequest struct {
	SourceID string `json:"sourceId"`
	Reason   string `json:"reason"`
}

// acceptUpstreamLog is POST /federation/accept-upstream-log: an admin
// trusts the upstream's log again after a fault (409 when there is none).
func acceptUpstreamLog(h app.AcceptUpstreamLog, read app.SourceReader, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req acceptUpstreamLogRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		id, err := resolveSourceID(c, resolve, "sourceId", req.SourceID)
		if err != nil {
			return err
		}
		if _, err := h.Handle(c.Request().Context(), principal(c), app.AcceptUpstreamLogRequest{ID: id, Reason: req.Reason}); err != nil {
			return err
		}
		return answerSource(c, read, id, fmt.Sprintf("The upstream's transparency log of %s is accepted: the next sync trusts the checkpoint it serves then.", id))
	}
}
