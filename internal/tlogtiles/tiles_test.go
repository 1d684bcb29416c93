package tlogtiles

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func TestPaths(t *testing.T) {
	for _, c := range []struct {
		tile tlog.Tile
		path string
	}{
		{tlog.Tile{H: 8, L: 0, N: 0, W: 256}, "tile/0/000"},
		{tlog.Tile{H: 8, L: 0, N: 1234067, W: 256}, "tile/0/x001/x234/067"},
		{tlog.Tile{H: 8, L: 2, N: 5, W: 3}, "tile/2/005.p/3"},
		{tlog.Tile{H: 8, L: -1, N: 1000, W: 256}, "tile/entries/x001/000"},
		{tlog.Tile{H: 8, L: -1, N: 0, W: 17}, "tile/entries/000.p/17"},
	} {
		if got := Path(c.tile); got != c.path {
			t.Errorf("Path(%+v) = %q, want %q", c.tile, got, c.path)
		}
		got, err := ParsePath(c.path)
		if err != nil || got != c.tile {
			t.Errorf("ParsePath(%q) = %+v, %v; want %+v", c.path, got, err, c.tile)
		}
	}
}

func TestParsePathRefuses(t *testing.T) {
	for _, p := range []string{
		"", "tile", "tile/0", "tile/0/7", "tile/0/x000/001", "tile/0/000.p/0", "tile/0/000.p/256",
		"tile/8/0/000", "tile/data/000", "tile/entries/000.p/-1", "tile/-1/000", "tile/0/000/", "tile/0/1000",
		"tiles/0/000", "tile/entries/", "tile/0/000.p/3/4",
	} {
		if tl, err := ParsePath(p); err == nil {
			t.Errorf("ParsePath(%q) = %+v, want an error", p, tl)
		}
	}
}

func TestEntryBundles(t *testing.T) {
	var b []byte
	entries := [][]byte{[]byte("one"), {}, bytes.Repeat([]byte{'x'}, MaxEntry)}
	for _, e := range entries {
		var err error
		if b, err = AppendEntry(b, e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := AppendEntry(nil, make([]byte, MaxEntry+1)); err == nil {
		t.Error("an entry over 65535 bytes was taken")
	}
	got, err := SplitEntries(b, 3)
	if err != nil || len(got) != 3 || string(got[0]) != "one" || len(got[1]) != 0 || len(got[2]) != MaxEntry {
		t.Fatalf("SplitEntries = %d entries, %v", len(got), err)
	}
	for name, c := range map[string]struct {
		b    []byte
		want int
	}{
		"too few": {b, 4}, "too many": {b, 2}, "cut length": {b[:len(b)-MaxEntry-1], 3},
		"cut entry": {b[:len(b)-1], 3}, "one byte": {[]byte{0}, 1},
	} {
		if _, err := SplitEntries(c.b, c.want); err == nil {
			t.Errorf("%s: SplitEntries took it", name)
		}
	}
}

func TestCheckpoints(t *testing.T) {
	h := tlog.RecordHash([]byte("leaf"))
	c := Checkpoint{Origin: "example.com/log", Tree: tlog.Tree{N: 12, Hash: h}}
	body := c.Format()
	if want := "example.com/log\n12\n" + h.String() + "\n"; string(body) != want {
		t.Fatalf("Format = %q, want %q", body, want)
	}
	got, err := ParseCheckpoint(append(body, "extension line\n"...))
	if err != nil || !SameTree(got, c) {
		t.Fatalf("ParseCheckpoint = %+v, %v", got, err)
	}
	for _, bad := range []string{
		"", "example.com/log\n12\n", "example.com/log\n12\n" + h.String(), "a b\n1\n" + h.String() + "\n",
		"a+b\n1\n" + h.String() + "\n", "log\n012\n" + h.String() + "\n", "log\n-1\n" + h.String() + "\n",
		"log\n1\nAAAA\n", "\n1\n" + h.String() + "\n",
	} {
		if got, err := ParseCheckpoint([]byte(bad)); err == nil {
			t.Errorf("ParseCheckpoint(%q) = %+v, want an error", bad, got)
		}
	}
}

func TestOpenCheckpoint(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "example.com/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	verifier, _ := note.NewVerifier(vkey)
	c := Checkpoint{Origin: "example.com/log", Tree: tlog.Tree{N: 3, Hash: tlog.RecordHash([]byte("x"))}}
	signed, err := note.Sign(&note.Note{Text: string(c.Format())}, signer)
	if err != nil {
		t.Fatal(err)
	}
	if body, err := ParseSignedCheckpoint(signed); err != nil || !SameTree(body, c) {
		t.Errorf("ParseSignedCheckpoint = %+v, %v", body, err)
	}
	if _, err := ParseSignedCheckpoint(c.Format()); err == nil {
		t.Error("ParseSignedCheckpoint took a body without signatures")
	}
	if err := ValidOrigin(strings.Repeat("a", MaxOrigin+1)); err == nil {
		t.Error("an origin over MaxOrigin bytes was taken")
	}
	got, err := OpenCheckpoint(signed, "example.com/log", note.VerifierList(verifier))
	if err != nil || !SameTree(got, c) {
		t.Fatalf("OpenCheckpoint = %+v, %v", got, err)
	}
	if _, err := OpenCheckpoint(signed, "other.example/log", note.VerifierList(verifier)); err == nil {
		t.Error("a checkpoint of another origin was taken")
	}
	flipped := bytes.Replace(signed, []byte("\n3\n"), []byte("\n4\n"), 1)
	if _, err := OpenCheckpoint(flipped, "example.com/log", note.VerifierList(verifier)); err == nil {
		t.Error("a checkpoint whose size was changed was taken")
	}
	_, otherV, _ := note.GenerateKey(rand.Reader, "example.com/log")
	v2, _ := note.NewVerifier(otherV)
	if _, err := OpenCheckpoint(signed, "example.com/log", note.VerifierList(v2)); err == nil {
		t.Error("a checkpoint signed by another key was taken")
	}
}

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "tile/entries/x001/234.p/7", "tile/3/x000/001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tl, err := ParsePath(p)
		if err != nil {
			return
		}
		if Path(tl) != p || tl.H != Height || tl.W < 1 || tl.W > Width {
			t.Fatalf("ParsePath(%q) = %+v, which spells %q", p, tl, Path(tl))
		}
	})
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("example.com/log\n12\n" + tlog.RecordHash(nil).String() + "\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCheckpoint(b)
		if err != nil {
			return
		}
		again, err := ParseCheckpoint(c.Format())
		if err != nil || !SameTree(again, c) {
			t.Fatalf("%q parsed as %+v, which does not read back: %v", b, c, err)
		}
	})
}

func FuzzSplitEntries(f *testing.F) {
	f.Add([]byte{0, 1, 'a', 0, 0}, 2)
	f.Fuzz(func(t *testing.T, b []byte, want int) {
		entries, err := SplitEntries(b, want)
		if err != nil {
			return
		}
		var again []byte
		for _, e := range entries {
			again, _ = AppendEntry(again, e)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("%x split into %d entries that join as %x", b, len(entries), again)
		}
	})
}
