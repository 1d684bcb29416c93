package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

type createKeyRequest struct {
	Description string `json:"description"`
	Role        string `json:"role"`
}

// createKeyResponse: Created is RFC 3339 text in PFN's shape and epoch
// milliseconds in the original's (compat.go).
type createKeyResponse struct {
	Key         string `json:"key"`
	ID          string `json:"id"`
	Role        string `json:"role"`
	Description string `json:"description"`
	Created     any    `json:"created"`
}

func createKey(h app.CreateKey, compat Compat) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req createKeyRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		role, err := domain.ParseRole(req.Role)
		if err != nil {
			return domain.InField("role", err)
		}
		k, err := h.Handle(c.Request().Context(), principal(c), role, req.Description)
		if err != nil {
			return err
		}
		var created any = k.Created.Format(time.RFC3339)
		if compat.original() {
			created = k.Created.UnixMilli()
		}
		return c.JSON(http.StatusCreated, createKeyResponse{Key: k.Key, ID: k.ID, Role: k.Role.String(),
			Description: k.Description, Created: created})
	}
}

type revokeKeyRequest struct {
	Key string `json:"key"`
	ID  string `json:"id"`
}

func revokeKey(h app.RevokeKey) echo.HandlerFunc {
	return func(c echo.Context) error {
		var req revokeKeyRequest
		if err := bindJSON(c, &req); err != nil {
			return err
		}
		target := req.ID
		if target == "" {
			target = req.Key
		}
		if target == "" {
			return domain.InField("key", fmt.Errorf("key (or id) is required: %w", domain.ErrInvalidInput))
		}
		rec, err := h.Handle(c.Request().Context(), principal(c), target)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, map[string]any{"revoked": true, "id": rec.ID})
	}
}
