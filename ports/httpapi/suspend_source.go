package httpapi

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

type suspendSourceRequest struct {
	SourceID   string `json:"sourceId"`
	Reason     string `json:"reason"`
	Quarantine bool   `json:"quarantine"`
}

type resumeSourceRequest struct {
	SourceID string `json:"sourceId"`
	Reason   string `json:"reason"`
}

func suspendSource(h app.SuspendSource, read app.SourceReader, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req suspendSourceRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		id, err := resolveSourceID(c, resolve, "sourceId", req.SourceID)
		if err != nil {
			return err
		}
		if _, err := h.Handle(c.Request().Context(), principal(c),
			app.SuspendSourceRequest{ID: id, Reason: req.Reason, Quarantine: req.Quarantine}); err != nil {
			return err
		}
		what := "suspended"
		if req.Quarantine {
			what = "suspended and quarantined"
		}
		return answerSource(c, read, id, fmt.Sprintf("Source %s %s: %s.", id, what, req.Reason))
	}
}

func resumeSource(h app.ResumeSource, read app.SourceReader, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req resumeSourceRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		id, err := resolveSourceID(c, resolve, "sourceId", req.SourceID)
		if err != nil {
			return err
		}
		st, err := h.Handle(c.Request().Context(), principal(c), app.ResumeSourceRequest{ID: id, Reason: req.Reason})
		if err != nil {
			return err
		}
		return answerSource(c, read, id, fmt.Sprintf("Source %s resumed; it is %s.", id, st.Status))
	}
}

type removeSourceRequest struct {
	SourceID string `json:"sourceId"`
	Reason   string `json:"reason"`
}

func removeSource(h app.RemoveSource, read app.SourceReader, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req removeSourceRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		id, err := resolveSourceID(c, resolve, "sourceId", req.SourceID)
		if err != nil {
			return err
		}
		st, err := h.Handle(c.Request().Context(), principal(c), app.RemoveSourceRequest{ID: id, Reason: req.Reason})
		if err != nil {
			return err
		}
		msg := fmt.Sprintf("Source %s removed (incarnation %d): %s.", id, st.Incarnation, st.Removal.Reason)
		if n := len(st.Removal.PendingFiles); n > 0 {
			msg += fmt.Sprintf(" %d of its files could not be deleted yet; the node's removal sweep deletes them later.", n)
		}
		return answerSource(c, read, id, msg)
	}
}

// answerSource answers an admin's action on a source with the source as
// the sources read model now shows it.
func answerSource(c echo.Context, read app.SourceReader, id domain.SourceID, message string) error {
	view, err := read.GetSource(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"sourceId": id, "source": viewSource(view),
		"success": true, "source_id": id, "message": message})
}
