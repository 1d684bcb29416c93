package logwatch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/internal/logwatch/logtest"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

const origin = "pfn/test-node"

// edited is l's entries with those at the indexes replaced.
func edited(entries [][]byte, at ...int) [][]byte {
	out := append([][]byte(nil), entries...)
	for _, i := range at {
		out[i] = append([]byte("forged "), out[i]...)
	}
	return out
}

func verifiers(t *testing.T, vkey string) note.Verifiers {
	t.Helper()
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return note.VerifierList(v)
}

func checkpointOf(l *logtest.Log, n int64) *tlogtiles.Checkpoint {
	return &tlogtiles.Checkpoint{Origin: origin, Tree: l.Tree(n)}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	entries := logtest.Entries("a", 700)
	a := logtest.NewLog(entries...)
	forked := logtest.NewLog(edited(entries, 5)...)
	big := logtest.NewLog(logtest.Entries("big", 1<<16+300)...) // three tile levels
	// a's entries served with one changed: the hashes stay a's.
	editedBundle := func(at int, n int64) (string, []byte) {
		t := entryTile(n, int64(at))
		path := tlogtiles.Path(t)
		b, ok := logtest.NewLog(edited(entries, at)...).Tile(n, path)
		if !ok {
			panic(path)
		}
		return path, b
	}
	tests := []struct {
		name      string
		log       *logtest.Log
		size      int64
		trusted   *tlogtiles.Checkpoint
		from      int64
		max       int64
		none      bool // Audit.None
		serve     func(s *logtest.Server)
		wantKind  string // "" consistent
		wantIndex int64
		audited   *Range // when consistent; nil: [from, size)
	}{
		{name: "first use", log: a, size: 300},
		{name: "first use of an empty log", log: a, size: 0},
		{name: "first use of one entry", log: a, size: 1},
		{name: "growth", log: a, size: 700, trusted: checkpointOf(a, 300), from: 300},
		{name: "growth by one", log: a, size: 301, trusted: checkpointOf(a, 300), from: 300},
		{name: "growth from a full tile", log: a, size: 513, trusted: checkpointOf(a, 256), from: 256},
		{name: "growth from empty", log: a, size: 10, trusted: checkpointOf(a, 0), from: 0},
		{name: "no growth", log: a, size: 300, trusted: checkpointOf(a, 300), from: 300},
		{name: "growth over three levels", log: big, size: 1<<16 + 300, trusted: checkpointOf(big, 1000), from: 1000},

		{name: "shrunk", log: a, size: 200, trusted: checkpointOf(a, 300), from: 300, wantKind: Shrunk, wantIndex: 200},
		{name: "shrunk to nothing", log: a, size: 0, trusted: checkpointOf(a, 1), from: 1, wantKind: Shrunk, wantIndex: 0},
		{name: "forked", log: forked, size: 300, trusted: checkpointOf(a, 300), from: 300, wantKind: Forked, wantIndex: 300},
		{name: "rewritten", log: forked, size: 400, trusted: checkpointOf(a, 300), from: 300, wantKind: Rewritten, wantIndex: 300},
		{name: "rewritten after a full tile", log: forked, size: 600, trusted: checkpointOf(a, 256), from: 256, wantKind: Rewritten, wantIndex: 256},
		{name: "rewritten, one entry trusted", log: forked, size: 7, trusted: checkpointOf(a, 6), from: 6, wantKind: Rewritten, wantIndex: 6},
		{name: "entry edited, hashes kept", log: a, size: 400, trusted: checkpointOf(a, 300), from: 300,
			serve: func(s *logtest.Server) { s.SetFile(editedBundle(350, 400)) }, wantKind: EntryKind, wantIndex: 350},
		{name: "entry edited before from, in a bundle read", log: a, size: 400, trusted: checkpointOf(a, 300), from: 300,
			serve: func(s *logtest.Server) { s.SetFile(editedBundle(260, 400)) }, wantKind: EntryKind, wantIndex: 260},
		{name: "entry edited at first use", log: a, size: 3, serve: func(s *logtest.Server) { s.SetFile(editedBundle(0, 3)) }, wantKind: EntryKind, wantIndex: 0},

		// A bounded audit reads the bundles of the newest entries only;
		// the consistency proof is whole.
		{name: "bounded first use", log: a, size: 700, max: 100, audited: &Range{600, 700}},
		{name: "bounded growth", log: a, size: 700, trusted: checkpointOf(a, 300), from: 300, max: 100, audited: &Range{600, 700}},
		{name: "bound above the growth", log: a, size: 700, trusted: checkpointOf(a, 300), from: 300, max: 500},
		{name: "bound of the growth exactly", log: a, size: 700, trusted: checkpointOf(a, 300), from: 300, max: 400},
		{name: "bounded growth over three levels", log: big, size: 1<<16 + 300, trusted: checkpointOf(big, 1000), from: 1000, max: 256,
			audited: &Range{1<<16 + 44, 1<<16 + 300}},
		{name: "entry edited before the bound, unread", log: a, size: 700, max: 100, audited: &Range{600, 700},
			serve: func(s *logtest.Server) { s.SetFile(editedBundle(300, 700)) }},
		{name: "entry edited within the bound", log: a, size: 700, max: 100,
			serve: func(s *logtest.Server) { s.SetFile(editedBundle(650, 700)) }, wantKind: EntryKind, wantIndex: 650},
		{name: "entry edited before the bound, in a bundle read", log: a, size: 700, max: 100,
			serve: func(s *logtest.Server) { s.SetFile(editedBundle(520, 700)) }, wantKind: EntryKind, wantIndex: 520},
		{name: "rewritten, bounded audit", log: forked, size: 700, trusted: checkpointOf(a, 300), from: 300, max: 10, wantKind: Rewritten, wantIndex: 300},
		{name: "forked, bounded audit", log: forked, size: 300, trusted: checkpointOf(a, 300), from: 300, max: 1, wantKind: Forked, wantIndex: 300},

		// No audit: only the checkpoint, and the proof that it extends
		// the trusted one.
		{name: "first use, no audit", log: a, size: 700, none: true, audited: &Range{700, 700},
			serve: func(s *logtest.Server) { s.SetFile(editedBundle(650, 700)) }},
		{name: "rewritten, no audit", log: forked, size: 700, trusted: checkpointOf(a, 300), from: 300, none: true, wantKind: Rewritten, wantIndex: 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := logtest.NewServer(t, origin)
			s.Serve(tt.log, tt.size)
			if tt.serve != nil {
				tt.serve(s)
			}
			f := NewHTTPFetcher(s.URL, &http.Client{}, 10*time.Second)
			got, err := Check(context.Background(), f, origin, verifiers(t, s.VerifierKey), tt.trusted, Audit{From: tt.from, Max: tt.max, None: tt.none})
			if tt.wantKind == "" {
				if err != nil {
					t.Fatalf("Check = %v, want consistent", err)
				}
				want := Range{tt.from, tt.size}
				if tt.audited != nil {
					want = *tt.audited
				}
				if got.Audited != want {
					t.Errorf("audited %v, want %v", got.Audited, want)
				}
				if got.Tree != tt.log.Tree(tt.size) || got.Origin != origin || !bytes.Equal(got.Signed, s.Checkpoint()) {
					t.Errorf("Check = %+v, want the served tree %+v", got.Checkpoint, tt.log.Tree(tt.size))
				}
				return
			}
			inc, ok := errors.AsType[*Inconsistency](err)
			if !ok {
				t.Fatalf("Check = %v, want a %s inconsistency", err, tt.wantKind)
			}
			if inc.Kind != tt.wantKind || inc.Index != tt.wantIndex || !bytes.Equal(inc.Offered, s.Checkpoint()) || inc.Detail == "" {
				t.Errorf("inconsistency = %s %d (%q, offered %q), want %s at %d with the served checkpoint",
					inc.Kind, inc.Index, inc.Detail, inc.Offered, tt.wantKind, tt.wantIndex)
			}
		})
	}
}

// A log that cannot be read, or not trusted, fails with an ordinary error:
// nothing it served is proof that the log lies.
func TestCheckHostilePeers(t *testing.T) {
	t.Parallel()
	entries := logtest.Entries("a", 400)
	a := logtest.NewLog(entries...)
	other := logtest.NewServer(t, origin) // its key signs too, unpinned
	type hostile struct {
		name   string
		serve  func(s *logtest.Server)
		want   func(err error) bool
		stalls bool
	}
	tests := []hostile{
		{"checkpoint stalls", func(s *logtest.Server) { s.Stall("checkpoint", 2*time.Second, false) }, isDeadline, true},
		{"hash tile trickles", func(s *logtest.Server) { s.Stall("tile/0/001.p/144", 2*time.Second, true) }, isDeadline, true},
		{"entry bundle stalls", func(s *logtest.Server) { s.Stall("tile/entries/001.p/144", 2*time.Second, false) }, isDeadline, true},
		{"oversized hash tile", func(s *logtest.Server) { s.SetFile("tile/0/001.p/144", make([]byte, 144*32+1)) }, isTooLarge, false},
		{"endless hash tile", func(s *logtest.Server) { s.SetFile("tile/1/000.p/1", make([]byte, 10<<20)) }, isTooLarge, false},
		{"oversized entry bundle", func(s *logtest.Server) { s.SetFile("tile/entries/001.p/144", make([]byte, MaxEntryBundle+1)) }, isTooLarge, false},
		{"oversized checkpoint", func(s *logtest.Server) { s.SetFile("checkpoint", make([]byte, tlogtiles.MaxCheckpoint+1)) }, isTooLarge, false},
		{"short hash tile", func(s *logtest.Server) { s.SetFile("tile/0/001.p/144", make([]byte, 144*32-1)) }, says("bytes, want 4608"), false},
		{"hash tile not of the root", func(s *logtest.Server) { s.SetFile("tile/0/001.p/144", make([]byte, 144*32)) }, says("inconsistent tile"), false},
		{"entry bundle one entry short", func(s *logtest.Server) {
			b, _ := a.Tile(399, "tile/entries/001.p/143")
			s.SetFile("tile/entries/001.p/144", b)
		}, says("entries, want 144"), false},
		{"tiles missing", func(s *logtest.Server) {
			s.Serve(logtest.NewLog(entries[:300]...), 300)
			s.SetCheckpoint(logtest.Sign(t, tlogtiles.Checkpoint{Origin: origin, Tree: a.Tree(400)}, s.Signer))
		}, says("answered 404"), false},
		{"garbage checkpoint", func(s *logtest.Server) { s.SetCheckpoint([]byte("pfn/test-node\n400\nnot a hash\n")) }, says("checkpoint signature"), false},
		{"checkpoint signed by another key", func(s *logtest.Server) {
			s.SetCheckpoint(logtest.Sign(t, tlogtiles.Checkpoint{Origin: origin, Tree: a.Tree(400)}, other.Signer))
		}, says("checkpoint signature"), false},
		{"checkpoint of another origin", func(s *logtest.Server) {
			s.SetCheckpoint(logtest.Sign(t, tlogtiles.Checkpoint{Origin: "pfn/elsewhere", Tree: a.Tree(400)}, s.Signer))
		}, says(`origin "pfn/elsewhere"`), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := logtest.NewServer(t, origin)
			s.Serve(a, 400)
			tt.serve(s)
			// A second is enough for a call only where the case
			// stalls it: the others must not fail for a busy machine.
			timeout := 10 * time.Second
			if tt.stalls {
				timeout = time.Second
			}
			f := NewHTTPFetcher(s.URL, &http.Client{}, timeout)
			_, err := Check(context.Background(), f, origin, verifiers(t, s.VerifierKey), checkpointOf(a, 300), Audit{From: 300})
			if _, ok := errors.AsType[*Inconsistency](err); ok || err == nil || !tt.want(err) {
				t.Errorf("Check = %v; want an ordinary error of the kind the case names", err)
			}
		})
	}
}

func isDeadline(err error) bool { return errors.Is(err, context.DeadlineExceeded) }
func isTooLarge(err error) bool { return errors.Is(err, errTooLarge) }
func says(s string) func(error) bool {
	return func(err error) bool { return err != nil && strings.Contains(err.Error(), s) }
}

func TestCheckRefusesCallersMistakes(t *testing.T) {
	t.Parallel()
	a := logtest.NewLog(logtest.Entries("a", 10)...)
	s := logtest.NewServer(t, origin)
	s.Serve(a, 10)
	f := NewHTTPFetcher(s.URL, &http.Client{}, 10*time.Second)
	v := verifiers(t, s.VerifierKey)
	for _, tt := range []struct {
		name    string
		trusted *tlogtiles.Checkpoint
		audit   Audit
	}{
		{"from past the tree's end", nil, Audit{From: 11}},
		{"from before the log", nil, Audit{From: -1}},
		{"a negative bound", nil, Audit{Max: -1}},
		{"a checkpoint of another log", &tlogtiles.Checkpoint{Origin: "pfn/other", Tree: a.Tree(5)}, Audit{From: 5}},
	} {
		if _, err := Check(context.Background(), f, origin, v, tt.trusted, tt.audit); err == nil {
			t.Errorf("Check %s took it", tt.name)
		}
	}
}

func TestEntry(t *testing.T) {
	t.Parallel()
	entries := logtest.Entries("a", 400)
	a := logtest.NewLog(entries...)
	s := logtest.NewServer(t, origin)
	s.Serve(a, 400)
	f := NewHTTPFetcher(s.URL, &http.Client{}, 10*time.Second)
	tree := a.Tree(400)
	for _, i := range []int64{0, 255, 256, 350, 399} {
		got, err := Entry(context.Background(), f, tree, i)
		if err != nil || !bytes.Equal(got, entries[i]) {
			t.Errorf("Entry(%d) = %q, %v; want %q", i, got, err, entries[i])
		}
	}
	for _, i := range []int64{-1, 400} {
		if _, err := Entry(context.Background(), f, tree, i); err == nil {
			t.Errorf("Entry(%d) of a tree of 400 took it", i)
		}
	}
	path := tlogtiles.Path(entryTile(400, 350))
	b, _ := logtest.NewLog(edited(entries, 350)...).Tile(400, path)
	s.SetFile(path, b)
	_, err := Entry(context.Background(), f, tree, 350)
	if inc, ok := errors.AsType[*Inconsistency](err); !ok || inc.Kind != EntryKind || inc.Index != 350 {
		t.Errorf("Entry of an edited entry = %v, want an entry inconsistency at 350", err)
	}
	if got, err := Entry(context.Background(), f, tree, 351); err != nil || !bytes.Equal(got, entries[351]) {
		t.Errorf("Entry(351) beside the edited one = %q, %v", got, err)
	}
	// A tree the log never had: its tiles do not hash to it.
	if _, err := Entry(context.Background(), f, tlog.Tree{N: 400, Hash: tlog.RecordHash(nil)}, 1); err == nil {
		t.Error("Entry of a tree the log does not serve took it")
	}
}

// countingFetcher counts the fetches of each path.
type countingFetcher struct {
	Fetcher
	mu sync.Mutex
	n  map[string]int
}

func (c *countingFetcher) Fetch(ctx context.Context, path string, max int64) ([]byte, error) {
	c.mu.Lock()
	c.n[path]++
	c.mu.Unlock()
	return c.Fetcher.Fetch(ctx, path, max)
}

// A Reader proves many entries of one tree fetching each file once.
func TestReaderFetchesEachFileOnce(t *testing.T) {
	t.Parallel()
	entries := logtest.Entries("a", 400)
	a := logtest.NewLog(entries...)
	s := logtest.NewServer(t, origin)
	s.Serve(a, 400)
	f := &countingFetcher{Fetcher: NewHTTPFetcher(s.URL, &http.Client{}, 10*time.Second), n: map[string]int{}}
	r := NewReader(context.Background(), f, a.Tree(400))
	for i := int64(399); i >= 0; i -= 7 {
		if got, err := r.Entry(i); err != nil || !bytes.Equal(got, entries[i]) {
			t.Fatalf("Entry(%d) = %q, %v", i, got, err)
		}
	}
	for path, n := range f.n {
		if n != 1 {
			t.Errorf("%s fetched %d times, want once", path, n)
		}
	}
	if len(f.n) != 5 { // two bundles, tiles 0/000, 0/001.p/144, 1/000.p/1
		t.Errorf("fetched %v, want 2 bundles and 3 hash tiles", f.n)
	}
}
