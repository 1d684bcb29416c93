package logwatch

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/pfn-network/pfn/internal/logwatch/logtest"
)

// memFetcher serves a log's tree from memory, one file replaced.
type memFetcher struct {
	log        *logtest.Log
	n          int64
	checkpoint []byte
	path       string
	data       []byte
}

func (m memFetcher) Fetch(_ context.Context, path string, max int64) ([]byte, error) {
	b, ok := m.log.Tile(m.n, path)
	switch {
	case path == m.path:
		b = m.data
	case path == "checkpoint":
		b = m.checkpoint
	case !ok:
		return nil, fmt.Errorf("%s: not found", path)
	}
	if int64(len(b)) > max {
		return nil, errTooLarge
	}
	return b, nil
}

// Whatever bytes a log serves in place of one of its files, Check does not
// panic, and it returns the tree only when what it read proves it: the
// same tile, the same bundle, the same checkpoint (give or take signature
// lines of keys it does not know).
func FuzzCheckServedFile(f *testing.F) {
	a := logtest.NewLog(logtest.Entries("a", 300)...)
	s := logtest.NewServer(f, origin)
	s.Serve(a, 300)
	paths := []string{"checkpoint", "tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1", "tile/entries/000", "tile/entries/001.p/44"}
	for i, p := range paths {
		real, _ := s.File(p)
		if p == "checkpoint" {
			real = s.Checkpoint()
		}
		f.Add(uint8(i), real)
		f.Add(uint8(i), append(real[:len(real)/2:len(real)/2], 0))
	}
	vk, err := note.NewVerifier(s.VerifierKey)
	if err != nil {
		f.Fatal(err)
	}
	v := note.VerifierList(vk)
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		path := paths[int(which)%len(paths)]
		m := memFetcher{log: a, n: 300, checkpoint: s.Checkpoint(), path: path, data: data}
		got, err := Check(context.Background(), m, origin, v, nil, Audit{})
		if err != nil {
			return
		}
		if got.Tree != a.Tree(300) {
			t.Fatalf("Check took tree %+v from a forged %s", got.Tree, path)
		}
		if real, _ := s.File(path); path != "checkpoint" && !bytes.Equal(real, data) {
			t.Fatalf("Check took a forged %s: %q", path, data)
		}
	})
}
