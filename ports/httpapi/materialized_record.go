package httpapi

import (
	"bytes"
	"net/http"

	"github.com/labstack/echo/v4"
)

// recorder stands in for the response writer while a handler renders an
// answer the cache keeps.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) WriteHeader(status int) { r.status = status }

// record runs next with its answer going to a recorder. A 200 is left for
// the caller to send; any other answer is sent as the handler made it. An
// error is returned untouched (the error handler answers it).
func record(c echo.Context, next echo.HandlerFunc) (*recorder, error) {
	res := c.Response()
	real := res.Writer
	rec := &recorder{header: http.Header{}}
	for k, v := range real.Header() {
		rec.header[k] = v
	}
	res.Writer = rec
	// Put back even when next panics, so that the recover middleware's
	// 500 reaches the client instead of the recorder.
	defer func() { res.Writer = real }()
	err := next(c)
	res.Writer = real
	if !res.Committed {
		// Nothing was written (the error handler writes to the real
		// writer now that it is back).
		return rec, err
	}
	if err == nil && rec.status == http.StatusOK {
		// Sent again from the entry: echo must let it write the header.
		res.Committed, res.Status, res.Size = false, 0, 0
		return rec, nil
	}
	h := real.Header()
	for k, v := range rec.header {
		h[k] = v
	}
	real.WriteHeader(rec.status)
	if _, werr := real.Write(rec.body.Bytes()); err == nil {
		err = werr
	}
	rec.status = 0 // sent: nothing for the caller to keep
	return rec, err
}
