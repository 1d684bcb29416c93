package app_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

const logOrigin = "pfn/test-log"

// countingSigner is a note signer made by note itself, counting its
// signatures.
type countingSigner struct {
	note.Signer
	vkey  string
	signs *atomic.Int32
}

func (s countingSigner) VerifierKey() string { return s.vkey }

func (s countingSigner) Sign(msg []byte) ([]byte, error) {
	s.signs.Add(1)
	return s.Signer.Sign(msg)
}

func newCheckpointSigner(t *testing.T) countingSigner {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, logOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return countingSigner{Signer: s, vkey: vkey, signs: new(atomic.Int32)}
}

// statement is a log entry's bytes for entry i: what the node signs is JSON
// of about this size.
func statement(i int) []byte {
	return fmt.Appendf(nil, `{"node":"0123456789abcdef","source":"a@p.example","plugin":"p%d","version":"1.0.0"}`, i)
}

// filledLog is a memory log of n entries, plugin p<i> version 1.0.0 each.
func filledLog(t *testing.T, n int) *app.MemoryLog {
	t.Helper()
	l := &app.MemoryLog{}
	for i := range n {
		if _, err := l.Append(app.LogEntry{Source: "a@p.example", Plugin: fmt.Sprint("p", i), Version: "1.0.0",
			Statement: statement(i), Signature: "sig", NodeKeyID: "0123456789abcdef"}); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func openCheckpoint(t *testing.T, cp app.SignedCheckpoint) tlogtiles.Checkpoint {
	t.Helper()
	v, err := note.NewVerifier(cp.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tlogtiles.OpenCheckpoint(cp.Signed, logOrigin, note.VerifierList(v))
	if err != nil {
		t.Fatalf("checkpoint %q: %v", cp.Signed, err)
	}
	if !tlogtiles.SameTree(c, cp.Checkpoint) {
		t.Fatalf("signed %+v, answered %+v", c, cp.Checkpoint)
	}
	return c
}

// The checkpoint is the current tree, signed so that note opens it, and
// signed again only when the tree or the key changes.
func TestGetLogCheckpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := &app.MemoryLog{}
	signer := newCheckpointSigner(t)
	h := &app.GetLogCheckpoint{Log: log, Signer: signer}

	empty, err := h.Handle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// RFC 6962's root of no leaves: SHA-256 of nothing.
	if c := openCheckpoint(t, empty); c.N != 0 || c.Hash != tlog.Hash(sha256.Sum256(nil)) {
		t.Fatalf("empty log's checkpoint %+v", c)
	}
	for i := range 5 {
		if _, err := log.Append(app.LogEntry{Source: "a@p.example", Plugin: "p", Version: fmt.Sprint(i), Statement: statement(i)}); err != nil {
			t.Fatal(err)
		}
	}
	signsBefore := signer.signs.Load()
	first, err := h.Handle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again, err := h.Handle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := openCheckpoint(t, first)
	if c.N != 5 || c.Hash != mustTreeHash(t, 5, log) || !bytes.Equal(first.Signed, again.Signed) {
		t.Fatalf("checkpoint %+v, again %q", c, again.Signed)
	}
	if got := signer.signs.Load() - signsBefore; got != 1 {
		t.Fatalf("two checkpoints of one tree made %d signatures, want 1", got)
	}
	// Every entry is in the tree the checkpoint states.
	for i := range int64(5) {
		proof, err := tlog.ProveRecord(c.N, i, tlog.HashReaderFunc(func(x []int64) ([]tlog.Hash, error) { return log.ReadLogHashes(ctx, x) }))
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckRecord(proof, c.N, c.Hash, i, tlog.RecordHash(statement(int(i)))); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	// Another key (a restart after a rotation) signs the same tree anew.
	other := newCheckpointSigner(t)
	h.Signer = other
	rotated, err := h.Handle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c2 := openCheckpoint(t, rotated); !tlogtiles.SameTree(c, c2) || other.signs.Load() != 1 || rotated.VerifierKey != other.vkey {
		t.Fatalf("after the key changed: %+v, %d signatures", c2, other.signs.Load())
	}
}

func mustTreeHash(t *testing.T, n int64, log *app.MemoryLog) tlog.Hash {
	t.Helper()
	h, err := tlog.TreeHash(n, tlog.HashReaderFunc(func(x []int64) ([]tlog.Hash, error) { return log.ReadLogHashes(context.Background(), x) }))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// tileServer is a tlog.TileReader over ReadLogTile, as a client reading
// the served tiles sees them.
type tileServer struct {
	h   app.ReadLogTile
	ctx context.Context
}

func (s tileServer) Height() int { return tlogtiles.Height }

func (s tileServer) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := s.h.Handle(s.ctx, t)
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (tileServer) SaveTiles([]tlog.Tile, [][]byte) {}

func tile(t *testing.T, path string) tlog.Tile {
	t.Helper()
	tl, err := tlogtiles.ParsePath(path)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// Tiles are what a tlog client proves against the checkpoint: its proofs
// through the tiles equal those over the stored hashes. Tiles the tree
// does not hold yet are not found; other tiles are bad input.
func TestReadLogTile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const n = 600 // level 0: two full tiles and 88; level 1: two hashes
	log := filledLog(t, n)
	h := app.ReadLogTile{Log: log}
	cp, err := (&app.GetLogCheckpoint{Log: log, Signer: newCheckpointSigner(t)}).Handle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tiles := tlog.TileHashReader(cp.Tree, tileServer{h, ctx})
	direct := tlog.HashReaderFunc(func(x []int64) ([]tlog.Hash, error) { return log.ReadLogHashes(ctx, x) })
	for _, i := range []int64{0, 1, 255, 256, 511, 512, 599} {
		viaTiles, err := tlog.ProveRecord(n, i, tiles)
		if err != nil {
			t.Fatalf("entry %d through the tiles: %v", i, err)
		}
		want, _ := tlog.ProveRecord(n, i, direct)
		if fmt.Sprint(viaTiles) != fmt.Sprint(want) || tlog.CheckRecord(viaTiles, n, cp.Hash, i, tlog.RecordHash(statement(int(i)))) != nil {
			t.Fatalf("entry %d: proof through the tiles %v, over the hashes %v", i, viaTiles, want)
		}
	}

	for _, c := range []struct {
		path    string
		entries int   // an entry bundle of this many entries
		size    int   // a hash tile of this many bytes
		err     error // or this error
	}{
		{path: "tile/0/000", size: 256 * 32},
		{path: "tile/0/001", size: 256 * 32},
		{path: "tile/0/002.p/88", size: 88 * 32},
		{path: "tile/0/002.p/5", size: 5 * 32},
		{path: "tile/0/000.p/7", size: 7 * 32},
		{path: "tile/1/000.p/2", size: 2 * 32},
		{path: "tile/1/000.p/1", size: 32},
		{path: "tile/entries/000", entries: 256},
		{path: "tile/entries/002.p/88", entries: 88},
		{path: "tile/entries/001.p/3", entries: 3},
		{path: "tile/0/002.p/89", err: domain.ErrNotFound},
		{path: "tile/0/002", err: domain.ErrNotFound},
		{path: "tile/0/003.p/1", err: domain.ErrNotFound},
		{path: "tile/1/000.p/3", err: domain.ErrNotFound},
		{path: "tile/1/000", err: domain.ErrNotFound},
		{path: "tile/2/000.p/1", err: domain.ErrNotFound},
		{path: "tile/7/000.p/1", err: domain.ErrNotFound},
		{path: "tile/entries/002.p/89", err: domain.ErrNotFound},
		// N<<8 is 2⁶³ here: no overflow lets these through.
		{path: tlogtiles.Path(tlog.Tile{H: 8, L: -1, N: 1 << 55, W: 256}), err: domain.ErrNotFound},
		{path: tlogtiles.Path(tlog.Tile{H: 8, L: 0, N: 1<<55 - 1, W: 255}), err: domain.ErrNotFound},
		{path: tlogtiles.Path(tlog.Tile{H: 8, L: 0, N: 1<<62 + 7, W: 255}), err: domain.ErrNotFound},
	} {
		data, err := h.Handle(ctx, tile(t, c.path))
		switch {
		case c.err != nil:
			wantErr(t, err, c.err)
		case err != nil:
			t.Errorf("%s: %v", c.path, err)
		case c.entries > 0:
			tl := tile(t, c.path)
			entries, err := tlogtiles.SplitEntries(data, c.entries)
			if err != nil {
				t.Fatalf("%s: %v", c.path, err)
			}
			for i, e := range entries {
				if want := statement(int(tl.N)*256 + i); !bytes.Equal(e, want) {
					t.Fatalf("%s entry %d = %q, want %q", c.path, i, e, want)
				}
			}
		case len(data) != c.size:
			t.Errorf("%s: %d bytes, want %d", c.path, len(data), c.size)
		}
	}
	for _, bad := range []tlog.Tile{{H: 4, L: 0, N: 0, W: 16}, {H: 8, L: 0, N: 0, W: 0}, {H: 8, L: 0, N: 0, W: 257}, {H: 8, L: -2, N: 0, W: 1}, {H: 8, L: 0, N: -1, W: 1}, {H: 8, L: 64, N: 0, W: 1}} {
		_, err := h.Handle(ctx, bad)
		if bad.L == 64 {
			wantErr(t, err, domain.ErrNotFound) // a level no tree of int64 entries reaches
			continue
		}
		wantErr(t, err, domain.ErrInvalidInput)
	}
	if _, err := (app.ReadLogTile{Log: &app.MemoryLog{}}).Handle(ctx, tile(t, "tile/0/000.p/1")); err == nil {
		t.Error("the empty log served a tile")
	}
}

type nodeKeys map[string]ed25519.PublicKey

func (k nodeKeys) PublicKeyOf(id string) (ed25519.PublicKey, bool) {
	pub, ok := k[id]
	return pub, ok
}

// A bundle proves the version's latest entry in the checkpoint it carries,
// with the key the entry names; what /federation/verify refuses, it
// refuses, and a version not logged is not found.
func TestGetLogBundle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := filledLog(t, 3)
	// 1.0.1 of p1 is logged twice (mirrored again): the latest one counts.
	for _, v := range []string{"first", "second"} {
		if _, err := log.Append(app.LogEntry{Source: "a@p.example", Plugin: "p1", Version: "1.0.1", Statement: []byte(v), NodeKeyID: "old"}); err != nil {
			t.Fatal(err)
		}
	}
	oldKey, _, _ := ed25519.GenerateKey(rand.Reader)
	curKey, _, _ := ed25519.GenerateKey(rand.Reader)
	views := app.PluginViews{
		{ID: 1, SourceID: "a@p.example", Plugin: "p0", Name: "P0", Version: "1.0.0", Description: "zero"},
		{ID: 2, SourceID: "a@p.example", Plugin: "p1", Name: "P1", Version: "1.0.1", Description: "one"},
		{ID: 3, SourceID: "a@p.example", Plugin: "p2", Version: "1.0.0", Yanked: "malware"},
		{ID: 4, SourceID: "a@p.example", Plugin: "unlogged", Version: "1.0.0"},
		{ID: 5, SourceID: "a@p.example", Plugin: "p9", Version: "1.0.0"}, // its entry names a key the node lacks
	}
	if _, err := log.Append(app.LogEntry{Source: "a@p.example", Plugin: "p9", Version: "1.0.0", Statement: []byte("x"), NodeKeyID: "never"}); err != nil {
		t.Fatal(err)
	}
	h := app.GetLogBundle{Find: app.FindPlugin{Plugins: views}, Log: log,
		Checkpoints: &app.GetLogCheckpoint{Log: log, Signer: newCheckpointSigner(t)},
		Keys:        nodeKeys{"0123456789abcdef": curKey, "old": oldKey}}

	for _, c := range []struct {
		plugin, version string
		index           int64
		statement       []byte
		key             ed25519.PublicKey
		err             error
	}{
		{plugin: "p0", version: "1.0.0", index: 0, statement: statement(0), key: curKey},
		{plugin: "p0", version: "", index: 0, statement: statement(0), key: curKey}, // the latest version
		{plugin: "p1", version: "1.0.1", index: 4, statement: []byte("second"), key: oldKey},
		{plugin: "p2", version: "1.0.0", err: domain.ErrGone},
		{plugin: "unlogged", version: "1.0.0", err: domain.ErrNotFound},
		{plugin: "nothing", version: "1.0.0", err: domain.ErrNotFound},
	} {
		b, err := h.Handle(ctx, "a@p.example", c.plugin, c.version)
		if c.err != nil {
			wantErr(t, err, c.err)
			continue
		}
		if err != nil {
			t.Fatalf("%s %s: %v", c.plugin, c.version, err)
		}
		cp := openCheckpoint(t, b.Checkpoint)
		if b.Entry.Index != c.index || !bytes.Equal(b.Entry.Statement, c.statement) || !b.NodeKey.Equal(c.key) || b.Plugin.Plugin != c.plugin || cp.N != 6 {
			t.Fatalf("%s %s: bundle %+v", c.plugin, c.version, b)
		}
		if err := tlog.CheckRecord(b.Proof, cp.N, cp.Hash, b.Entry.Index, tlog.RecordHash(c.statement)); err != nil {
			t.Fatalf("%s %s: the proof does not check: %v", c.plugin, c.version, err)
		}
	}
	_, err := h.Handle(ctx, "a@p.example", "p9", "1.0.0")
	if !errors.Is(err, domain.ErrConflict) || !strings.Contains(err.Error(), `names node key "never"`) {
		t.Fatalf("an entry naming a key the node lacks: %v, want a conflict naming the key", err)
	}
}
