package main

import (
	"net/http"
	"strconv"
	"time"
)

// maxTrickleBPS keeps POST /_admin/trickle to rates where trickling means
// something; faster than this, a plain download is the same test.
const maxTrickleBPS = 1 << 30

// setTrickle is POST /_admin/trickle?bps=N: every file download after it
// sends its body at N bytes a second (0 is full speed again), the way a
// hostile or overloaded publisher holds a node's download open. It stacks
// with /_admin/slow, which delays the start.
func (p *Publisher) setTrickle(w http.ResponseWriter, r *http.Request) {
	bps, err := strconv.ParseInt(r.URL.Query().Get("bps"), 10, 64)
	if err != nil || bps < 0 || bps > maxTrickleBPS {
		writeError(w, http.StatusBadRequest, "bps: want a number of bytes a second, 0 for full speed")
		return
	}
	p.trickleBPS.Store(bps)
	writeJSON(w, http.StatusOK, map[string]int64{"trickle_bps": bps})
}

// trickle answers 200 with content in ten pieces a second, each flushed,
// so that the client sees bps bytes a second (Range and conditional
// requests are not answered: a hostile publisher would not either).
func trickle(w http.ResponseWriter, r *http.Request, content []byte, bps int64) {
	w.Header().Set("Content-Length", strconv.Itoa(len(content)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	rc := http.NewResponseController(w)
	piece := max(1, int(bps/10))
	pause := time.Duration(int64(piece) * int64(time.Second) / bps)
	for rest := content; len(rest) > 0; {
		n := min(piece, len(rest))
		if _, err := w.Write(rest[:n]); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		rest = rest[n:]
		if len(rest) == 0 {
			return
		}
		select {
		case <-time.After(pause):
		case <-r.Context().Done():
			return
		}
	}
}
