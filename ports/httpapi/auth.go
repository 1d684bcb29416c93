package httpapi

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// Authenticator turns a presented API key into a principal.
type Authenticator interface {
	Handle(ctx context.Context, presented string) (app.Principal, error)
}

const principalKey = "pfn.principal"

// presentedKey reads "Authorization: Bearer KEY" (the original's form) or
// "X-API-Key: KEY".
func presentedKey(c echo.Context) string {
	if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(token)
		}
		return ""
	}
	return c.Request().Header.Get("X-API-Key")
}

// requireKey admits requests with a valid key, records who it is for the
// handlers and for the metadata of every event the request appends.
// A peer whose keys failed too often is refused (429) before its key is
// even looked at, on every authenticated route.
func requireKey(auth Authenticator, obs Observer, failures *failureLimiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			peer := c.RealIP()
			if wait := failures.blocked(peer, time.Now()); wait > 0 {
				return tooManyRequests(c, wait, "too many failed authentications from this address")
			}
			p, err := auth.Handle(c.Request().Context(), presentedKey(c))
			if errors.Is(err, domain.ErrUnauthenticated) {
				failures.failed(peer, time.Now())
			}
			if err != nil {
				return err
			}
			c.Set(principalKey, p)
			obs.KeyUsed(p.KeyID)
			req := c.Request()
			ctx := eventstore.WithMetadata(req.Context(), eventstore.Metadata{
				Actor:     p.KeyID,
				RequestID: c.Response().Header().Get(echo.HeaderXRequestID),
			})
			c.SetRequest(req.WithContext(ctx))
			return next(c)
		}
	}
}

// Authorization is not decided here: the use cases decide it, for every
// port alike (app/principal.go says why). This layer authenticates (who is
// calling) and requires a key where one is needed; a use case that not
// every key may run has an Authorize method, and authorizedBy asks it
// before the handler reads the request, so a consumer key calling an admin
// route is refused with 403 whatever its body or source id (an unknown
// source is not a 404 to it). The use case's Handle asks again, which
// costs nothing and keeps it safe when called from elsewhere.

// authorizer is a use case that says who may run it.
type authorizer interface {
	Authorize(by app.Principal) error
}

// authorizedBy refuses, before the request is read, a caller the route's
// use case does not allow (domain.ErrForbidden, a 403).
func authorizedBy(uc authorizer) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := uc.Authorize(principal(c)); err != nil {
				return err
			}
			return next(c)
		}
	}
}

func principal(c echo.Context) app.Principal {
	p, _ := c.Get(principalKey).(app.Principal)
	return p
}

// keyWhenAsked requires a key on a route open to everyone (a public
// catalogue) when the request carries param: what it asks for is not for
// everyone, and the use case can only tell an admin from a key it saw.
func keyWhenAsked(auth echo.MiddlewareFunc, public bool, param string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		withKey := auth(next)
		return func(c echo.Context) error {
			if public && c.QueryParam(param) != "" {
				return withKey(c)
			}
			return next(c)
		}
	}
}
