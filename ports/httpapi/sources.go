package httpapi

import (
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
}

type sourceIDRequest struct {
	SourceID string `json:"sourceId"`
}

// verificationResponse says plainly whether ownership was proven; it never
// reports success for a proof that failed.
type verificationResponse struct {
	SourceID string         `json:"sourceId"`
	Status   string         `json:"status"`
	Verified bool           `json:"verified"`
	Reason   string         `json:"reason,omitempty"`
	Source   app.SourceView `json:"source"`
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
			InstanceURL: req.InstanceURL, Username: req.Username, PublicKey: req.PublicKey, AllowedAssetHosts: req.AllowedAssetHosts})
		if err != nil {
			return err
		}
		return answerVerification(c, http.StatusCreated, res, read)
	}
}

func verifySource(h app.VerifySource, read app.SourceReader) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := bindSourceID(c)
		if err != nil {
			return err
		}
		res, err := h.Handle(c.Request().Context(), principal(c), id)
		if err != nil {
			return err
		}
		return answerVerification(c, http.StatusOK, res, read)
	}
}

func answerVerification(c echo.Context, status int, res app.VerifyResult, read app.SourceReader) error {
	view, err := read.GetSource(c.Request().Context(), res.Source.ID)
	if err != nil {
		return err
	}
	return c.JSON(status, verificationResponse{SourceID: string(res.Source.ID), Status: res.Source.Status.String(),
		Verified: res.Verified, Reason: res.Reason, Source: view})
}

// updateSourceRequest: allowed_asset_hosts absent (or null) leaves the
// source's allow-list as it is; [] clears it.
type updateSourceRequest struct {
	SourceID          string    `json:"sourceId"`
	AllowedAssetHosts *[]string `json:"allowed_asset_hosts"`
}

func updateSource(h app.UpdateSource, read app.SourceReader) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req updateSourceRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		id, err := sourceIDIn("sourceId", req.SourceID)
		if err != nil {
			return err
		}
		if _, err := h.Handle(c.Request().Context(), principal(c), app.UpdateSourceRequest{ID: id, AllowedAssetHosts: req.AllowedAssetHosts}); err != nil {
			return err
		}
		view, err := read.GetSource(c.Request().Context(), id)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"sourceId": id, "source": view})
	}
}

func bindSourceID(c echo.Context) (domain.SourceID, error) {
	var req sourceIDRequest
	if err := bindJSON(c, &req); err != nil {
		return "", err
	}
	return sourceIDIn("sourceId", req.SourceID)
}

func listSources(h app.ListSources) echo.HandlerFunc {
	return func(c echo.Context) error {
		sources, err := h.Handle(c.Request().Context(), principal(c))
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"sources": sources})
	}
}

func sourceStatus(h app.GetSourceStatus, atH app.GetSourceStatusAt) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := sourceIDIn("sourceId", c.QueryParam("sourceId"))
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
		return c.JSON(http.StatusOK, view)
	}
}
