package httpapi

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

type addSourceRequest struct {
	InstanceURL string `json:"instance_url"`
	Username    string `json:"username"`
	PublicKey   string `json:"public_key"`
	// Hosts the publisher's assetInfo.domain may be on besides its own
	// registrable domain.
	AllowedAssetHosts []string `json:"allowed_asset_hosts"`
	AllowSharedKey    bool     `json:"allow_shared_key"`
}

type sourceIDRequest struct {
	SourceID string `json:"sourceId"`
}

// verificationResponse says plainly whether ownership was proven; it never
// reports success for a proof that failed. Success, SourceIDSnake and
// Message are what the original's clients read (success: verified).
type verificationResponse struct {
	SourceID      string     `json:"sourceId"`
	Status        string     `json:"status"`
	Verified      bool       `json:"verified"`
	Reason        string     `json:"reason,omitempty"`
	Source        sourceView `json:"source"`
	Success       bool       `json:"success"`
	SourceIDSnake string     `json:"source_id"`
	Message       string     `json:"message"`
}

func addSource(h app.AddSource, read app.SourceReader) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req addSourceRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		for field, v := range map[string]string{"instance_url": req.InstanceURL, "username": req.Username, "public_key": req.PublicKey} {
			if err := required(field, v); err != nil {
				return err
			}
		}
		res, err := h.Handle(c.Request().Context(), principal(c), app.AddSourceRequest{
			InstanceURL: req.InstanceURL, Username: req.Username, PublicKey: req.PublicKey, AllowedAssetHosts: req.AllowedAssetHosts, AllowSharedKey: req.AllowSharedKey})
		if err != nil {
			return err
		}
		return answerVerification(c, http.StatusCreated, "added", res, read)
	}
}

func verifySource(h app.VerifySource, read app.SourceReader, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := bindSourceID(c, resolve)
		if err != nil {
			return err
		}
		res, err := h.Handle(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return answerVerification(c, http.StatusOK, "checked", res, read)
	}
}

// answerVerification: done says what happened to the source before its
// proof ("added", "checked").
func answerVerification(c echo.Context, status int, done string, res app.VerifyResult, read app.SourceReader) error {
	view, err := read.GetSource(c.Request().Context(), res.Source.ID)
	if err != nil {
		return err
	}
	id := string(res.Source.ID)
	return c.JSON(status, verificationResponse{SourceID: id, Status: res.Source.Status.String(),
		Verified: res.Verified, Reason: res.Reason, Source: viewSource(view),
		Success: res.Verified, SourceIDSnake: id, Message: verificationMessage(id, done, res)})
}

func verificationMessage(id, done string, res app.VerifyResult) string {
	if res.Verified {
		return fmt.Sprintf("Source %s %s and verified: the publisher proved it holds the registered key.", id, done)
	}
	return fmt.Sprintf("Source %s %s but not verified (%s); POST /federation/verify-source tries again.", id, done, res.Reason)
}

// updateSourceRequest: allowed_asset_hosts absent (or null) leaves the
// source's allow-list as it is; [] clears it. public_key, when given,
// rotates the source's key once the publisher proves it holds it.
type updateSourceRequest struct {
	SourceID          string    `json:"sourceId"`
	AllowedAssetHosts *[]string `json:"allowed_asset_hosts"`
	PublicKey         string    `json:"public_key"`
	Reason            string    `json:"reason"`
	AllowSharedKey    bool      `json:"allow_shared_key"`
}

func updateSource(h app.UpdateSource, read app.SourceReader, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req updateSourceRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		id, err := resolveSourceID(c, resolve, "sourceId", req.SourceID)
		if err != nil {
			return err
		}
		st, err := h.Handle(c.Request().Context(), principal(c), app.UpdateSourceRequest{ID: id, AllowedAssetHosts: req.AllowedAssetHosts,
			PublicKey: req.PublicKey, Reason: req.Reason, AllowSharedKey: req.AllowSharedKey})
		if err != nil {
			return err
		}
		return answerSource(c, read, id, fmt.Sprintf("Source %s updated; it is %s.", id, st.Status))
	}
}

// bindSourceID reads a body {"sourceId": ...} and resolves the id.
func bindSourceID(c echo.Context, resolve app.SourceResolver) (domain.SourceID, error) {
	var req sourceIDRequest
	if err := bindJSON(c, &req); err != nil {
		return "", err
	}
	return resolveSourceID(c, resolve, "sourceId", req.SourceID)
}

// resolveSourceID requires a source id and resolves it (port-less ids as
// the original's clients build them included).
func resolveSourceID(c echo.Context, resolve app.SourceResolver, field, raw string) (domain.SourceID, error) {
	if err := required(field, raw); err != nil {
		return "", err
	}
	id, err := resolve.Resolve(c.Request().Context(), raw)
	return id, domain.InField(field, err)
}

// resolveSourceFilter resolves a listing's optional source filter: a
// filter naming no source lists nothing, as before (the raw id is kept);
// only an ambiguous or malformed one is an error.
func resolveSourceFilter(c echo.Context, resolve app.SourceResolver, raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	id, err := resolve.Resolve(c.Request().Context(), raw)
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return raw, nil
	case err != nil:
		return "", domain.InField("source", err)
	}
	return string(id), nil
}

// listSources: PFN answers {"sources": [...]}, the original a bare array
// (its admin page maps over the body itself).
func listSources(h app.ListSources, compat Compat) echo.HandlerFunc {
	return func(c echo.Context) error {
		includeRemoved, err := boolParam(c, "include_removed")
		if err != nil {
			return err
		}
		sources, err := h.Handle(c.Request().Context(), principal(c), includeRemoved)
		if err != nil {
			return err
		}
		rows := viewAll(sources, viewSource)
		if compat.original() {
			return c.JSON(http.StatusOK, rows)
		}
		return c.JSON(http.StatusOK, map[string]any{"sources": rows})
	}
}

func sourceStatus(h app.GetSourceStatus, atH app.GetSourceStatusAt, resolve app.SourceResolver) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw, field := c.QueryParam("sourceId"), "sourceId"
		if raw == "" && c.QueryParam("source") != "" {
			raw, field = c.QueryParam("source"), "source"
		}
		id, err := resolveSourceID(c, resolve, field, raw)
		if err != nil {
			return err
		}
		if c.QueryParam("at") != "" {
			return sourceStatusAt(c, atH, id)
		}
		view, err := h.Handle(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, viewSource(view))
	}
}
