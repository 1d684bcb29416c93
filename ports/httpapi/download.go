package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pfn-network/pfn/app"
)

// errDamaged: the stored copy is not the file the node recorded.
var errDamaged = errors.New("stored copy does not match what was recorded when it was stored")

// refuseDamaged answers the download of a copy the recheck job found
// missing or other bytes before anything is sent: 503 (the copy may be
// restored, and a later recheck then serves it again) with a JSON body
// naming what was found. It is written here, not returned as an error,
// because the error handler answers every 5xx without its message.
func refuseDamaged(c echo.Context, p app.PluginView) error {
	found := ""
	if p.StoredCopy.FoundAt != nil {
		found = " at " + p.StoredCopy.FoundAt.UTC().Format(time.RFC3339)
	}
	msg := fmt.Sprintf("the node's stored copy of %s %s is damaged: %s (found by the recheck%s); it is served again once restored",
		p.Plugin, p.Version, p.StoredCopy.Damage, found)
	if c.Request().Method == http.MethodHead {
		return c.NoContent(http.StatusServiceUnavailable)
	}
	return c.JSON(http.StatusServiceUnavailable, errorBody{Error: msg})
}

// sendVerified streams a stored file and checks it on the way against the
// sha256 and size recorded when it was stored. Its last byte is held back
// until the hash is known: a damaged copy ends in a cut connection, so the
// client never holds a complete-looking file that is not the one the node
// signed. (GET /federation/verify never reads the file; a copy the recheck
// job found damaged is refused before streaming, and downloads notice the
// damage done since the last recheck.)
func sendVerified(c echo.Context, rc io.Reader, p app.PluginView, log *slog.Logger) error {
	sum := sha256.New()
	body := io.TeeReader(rc, sum)
	res := c.Response()
	if p.Size > 1 {
		if _, err := io.CopyN(res, body, p.Size-1); err != nil {
			return abortTransfer(c, log, p, fmt.Errorf("send stored file: %w", err))
		}
	}
	last, err := io.ReadAll(io.LimitReader(body, 2))
	if err != nil {
		return abortTransfer(c, log, p, fmt.Errorf("read stored file: %w", err))
	}
	if len(last) != min(1, int(p.Size)) {
		return abortTransfer(c, log, p, fmt.Errorf("%w: it has another size than the recorded %d bytes", errDamaged, p.Size))
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != p.SHA256 {
		return abortTransfer(c, log, p, fmt.Errorf("%w: sha256 %s, recorded %s", errDamaged, got, p.SHA256))
	}
	_, err = res.Write(last)
	return err
}

// abortTransfer ends a download whose status is sent: the connection is cut
// so that the client's read fails instead of seeing a short file end
// normally.
func abortTransfer(c echo.Context, log *slog.Logger, p app.PluginView, err error) error {
	if log != nil && errors.Is(err, errDamaged) {
		log.ErrorContext(c.Request().Context(), "download of a damaged stored copy refused", "source", p.SourceID,
			"plugin", p.Plugin, "version", p.Version, "err", err, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	}
	panic(http.ErrAbortHandler)
}

// digestHeader is the RFC 3230 Digest value of a sha256 in hex: a download's
// header, so the API's concern rather than the use case's.
func digestHeader(sha256Hex string) string {
	b, err := hex.DecodeString(sha256Hex)
	if err != nil {
		return ""
	}
	return "sha-256=" + base64.StdEncoding.EncodeToString(b)
}
