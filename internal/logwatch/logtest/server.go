package logtest

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// Server is an httptest.Server answering as a node with a transparency
// log: GET /federation-info, /federation/log/checkpoint and the tiles.
type Server struct {
	*httptest.Server
	Origin      string
	Signer      note.Signer
	VerifierKey string

	mu         sync.Mutex
	log        *Log
	size       int64
	checkpoint []byte            // served instead of signing the tree, when set
	files      map[string][]byte // served instead of the log's, by path below /federation/log/
	stalls     map[string]stall
}

type stall struct {
	d       time.Duration
	trickle bool // answer 200 and a first byte, then stall
}

// NewServer serves an empty log under origin, signed with a new key.
func NewServer(t testing.TB, origin string) *Server {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Origin: origin, Signer: signer, VerifierKey: vkey, log: NewLog(),
		files: map[string][]byte{}, stalls: map[string]stall{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.Close)
	return s
}

// Serve makes the server answer with the tree of l's first n entries: a
// checkpoint it signs, and that tree's tiles. Overrides are dropped.
func (s *Server) Serve(l *Log, n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log, s.size = l, n
	s.checkpoint = nil
	s.files = map[string][]byte{}
	s.stalls = map[string]stall{}
}

// Sign signs a checkpoint with signer.
func Sign(t testing.TB, c tlogtiles.Checkpoint, signer note.Signer) []byte {
	t.Helper()
	signed, err := note.Sign(&note.Note{Text: string(c.Format())}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// SetCheckpoint serves these bytes as the checkpoint.
func (s *Server) SetCheckpoint(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkpoint = b
}

// SetFile serves body at path (below /federation/log/), whatever the log holds.
func (s *Server) SetFile(path string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[path] = body
}

// File is what the server would answer at path for the tree it serves.
func (s *Server) File(path string) ([]byte, bool) {
	s.mu.Lock()
	l, n := s.log, s.size
	s.mu.Unlock()
	return l.Tile(n, path)
}

// Stall makes the answer at path wait d before anything is sent; with
// trickle it sends 200 and one byte first, then waits (a peer that sends
// slowly). A client that gives up ends the wait.
func (s *Server) Stall(path string, d time.Duration, trickle bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stalls[path] = stall{d: d, trickle: trickle}
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/federation-info" {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"features": []string{"transparency-log"},
			"log": map[string]string{"origin": s.Origin, "verifier_key": s.VerifierKey,
				"checkpoint": "http://" + r.Host + "/federation/log/checkpoint"},
		})
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/federation/log/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	body, override := s.files[path]
	st := s.stalls[path]
	cp := s.checkpoint
	s.mu.Unlock()
	switch {
	case override:
	case path == "checkpoint" && cp != nil:
		body = cp
	case path == "checkpoint":
		body = s.Checkpoint()
	default:
		if body, ok = s.File(path); !ok {
			http.Error(w, `{"error":"no such tile in the current tree"}`, http.StatusNotFound)
			return
		}
	}
	if st.d > 0 && !st.trickle {
		wait(r, st.d)
	}
	w.WriteHeader(http.StatusOK)
	if st.d > 0 && st.trickle && len(body) > 0 {
		_, _ = w.Write(body[:1])
		w.(http.Flusher).Flush()
		body = body[1:]
		wait(r, st.d)
	}
	_, _ = w.Write(body)
}

// Checkpoint is the signed checkpoint of the tree being served.
func (s *Server) Checkpoint() []byte {
	s.mu.Lock()
	l, n := s.log, s.size
	s.mu.Unlock()
	signed, err := note.Sign(&note.Note{Text: string(tlogtiles.Checkpoint{Origin: s.Origin, Tree: l.Tree(n)}.Format())}, s.Signer)
	if err != nil {
		panic(err) // a key from note.GenerateKey signs any checkpoint body
	}
	return signed
}

func wait(r *http.Request, d time.Duration) {
	select {
	case <-r.Context().Done():
	case <-time.After(d):
	}
}
