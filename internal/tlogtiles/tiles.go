// Package tlogtiles maps golang.org/x/mod/sumdb/tlog onto C2SP tlog-tiles
// (https://c2sp.org/tlog-tiles) and tlog-checkpoint: the paths a log is
// served under, the checkpoint body and the entry bundles. The tree
// arithmetic stays in tlog and the signatures in sumdb/note; this package
// only says how their values are spelled on the wire.
package tlogtiles

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Height is the tile height C2SP tlog-tiles fixes: 256 hashes or entries
// per full tile.
const Height = 8

// Width is the number of hashes (or entries) in a full tile.
const Width = 1 << Height

// MaxEntry is the largest entry a bundle can hold (its length is a
// big-endian uint16).
const MaxEntry = 1<<16 - 1

// Path is t's path below the log's prefix: "tile/<L>/<N>[.p/<W>]" for
// hashes, "tile/entries/<N>[.p/<W>]" for an entry bundle (t.L == -1).
// tlog spells the same tile "tile/8/<L>/…" and "tile/8/data/…".
func Path(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), fmt.Sprintf("tile/%d/", t.H))
	if rest, ok := strings.CutPrefix(p, "data/"); ok {
		return "tile/entries/" + rest
	}
	return "tile/" + p
}

// ParsePath reads a path Path writes, and nothing else: the tile must have
// this package's height and be spelled canonically (tlog.ParseTilePath
// refuses "x000/…", "007" written "7", a partial width of 0 or 256 and so on).
func ParsePath(p string) (tlog.Tile, error) {
	rest, ok := strings.CutPrefix(p, "tile/")
	if !ok {
		return tlog.Tile{}, fmt.Errorf("tile path %q: want tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]", short(p))
	}
	if r, ok := strings.CutPrefix(rest, "entries/"); ok {
		rest = "data/" + r
	} else if strings.HasPrefix(rest, "data/") {
		return tlog.Tile{}, fmt.Errorf("tile path %q: entry bundles are under tile/entries/", short(p))
	}
	t, err := tlog.ParseTilePath(fmt.Sprintf("tile/%d/%s", Height, rest))
	if err != nil || t.H != Height {
		return tlog.Tile{}, fmt.Errorf("tile path %q: want tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>], N as x001/x234/067 and 0 < W < %d", short(p), Width)
	}
	return t, nil
}

// AppendEntry appends one entry to an entry bundle: its length as a
// big-endian uint16, then its bytes.
func AppendEntry(bundle, entry []byte) ([]byte, error) {
	if len(entry) > MaxEntry {
		return bundle, fmt.Errorf("log entry of %d bytes: at most %d fit an entry bundle", len(entry), MaxEntry)
	}
	bundle = binary.BigEndian.AppendUint16(bundle, uint16(len(entry)))
	return append(bundle, entry...), nil
}

// SplitEntries reads an entry bundle that must hold exactly want entries
// and nothing after them. The entries share bundle's memory.
func SplitEntries(bundle []byte, want int) ([][]byte, error) {
	if want < 0 {
		return nil, fmt.Errorf("entry bundle: %d entries wanted", want)
	}
	out := make([][]byte, 0, min(want, Width))
	for len(bundle) > 0 {
		if len(out) == want {
			return nil, fmt.Errorf("entry bundle: %d bytes after its %d entries", len(bundle), want)
		}
		if len(bundle) < 2 {
			return nil, errors.New("entry bundle: cut inside an entry's length")
		}
		n := int(binary.BigEndian.Uint16(bundle))
		if len(bundle)-2 < n {
			return nil, fmt.Errorf("entry bundle: entry %d says %d bytes, %d are left", len(out), n, len(bundle)-2)
		}
		out = append(out, bundle[2:2+n])
		bundle = bundle[2+n:]
	}
	if len(out) != want {
		return nil, fmt.Errorf("entry bundle: %d entries, want %d", len(out), want)
	}
	return out, nil
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
