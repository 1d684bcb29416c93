package main

import (
	"net/http"
	"sync/atomic"
)

// fileCounts counts the requests for plugin files by method, for a test
// to tell a node that asked about a file it holds (HEAD) from one that
// downloaded it again (GET).
type fileCounts struct {
	gets, heads atomic.Int64
	conditional atomic.Int64 // requests with If-None-Match, whatever their method
}

func (c *fileCounts) count(r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		c.gets.Add(1)
	case http.MethodHead:
		c.heads.Add(1)
	}
	if r.Header.Get("If-None-Match") != "" {
		c.conditional.Add(1)
	}
}

func (c *fileCounts) snapshot() map[string]int64 {
	return map[string]int64{"gets": c.gets.Load(), "heads": c.heads.Load(), "conditional": c.conditional.Load()}
}
