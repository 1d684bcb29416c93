package tlogtiles

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// MaxCheckpoint bounds a signed checkpoint read from another node: the
// body is three short lines and each signature line under 200 bytes.
const MaxCheckpoint = 16 << 10

// Checkpoint is the body of a C2SP tlog-checkpoint: the log's origin, its
// size and the root hash of the tree of that size.
type Checkpoint struct {
	Origin string
	tlog.Tree
}

// Format is the checkpoint's body: "<origin>\n<size>\n<base64 root>\n".
// tlog.FormatTree writes Go's checksum-database origin, so it is not used.
func (c Checkpoint) Format() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\n", c.Origin, c.N, c.Hash)
}

// MaxOrigin bounds a log's origin: a name such as "example.com/log" or
// "pfn/0123456789abcdef", read from other nodes.
const MaxOrigin = 256

// ValidOrigin checks what C2SP and sumdb/note ask of an origin, which is
// also the name of the key that signs the checkpoint: not empty, UTF-8, no
// spaces and no '+'; and at most MaxOrigin bytes.
func ValidOrigin(origin string) error {
	if origin == "" || len(origin) > MaxOrigin || !utf8.ValidString(origin) ||
		strings.ContainsFunc(origin, func(r rune) bool { return unicode.IsSpace(r) || r == '+' }) {
		return fmt.Errorf("log origin %q: want a name of 1 to %d bytes without spaces or '+' (such as example.com/log)", short(origin), MaxOrigin)
	}
	return nil
}

// ParseSignedCheckpoint reads the body of a signed checkpoint WITHOUT
// checking its signatures: for a checkpoint already verified when it was
// stored (a trusted one kept in a state file or an event) or one whose
// signature is judged apart. The body ends where note.Open ends it, at the
// last blank line.
func ParseSignedCheckpoint(signed []byte) (Checkpoint, error) {
	i := bytes.LastIndex(signed, []byte("\n\n"))
	if i < 0 {
		return Checkpoint{}, fmt.Errorf("checkpoint: no blank line before its signatures")
	}
	return ParseCheckpoint(signed[:i+1])
}

// ParseCheckpoint reads a checkpoint body (a note's text). Extension lines
// after the root are allowed and ignored, as C2SP allows.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	lines := strings.SplitAfter(string(text), "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return Checkpoint{}, fmt.Errorf("checkpoint: want origin, size and root hash lines, each ending in a newline")
	}
	origin := strings.TrimSuffix(lines[0], "\n")
	if err := ValidOrigin(origin); err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	size := strings.TrimSuffix(lines[1], "\n")
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != size {
		return Checkpoint{}, fmt.Errorf("checkpoint: tree size %q is not a decimal number", short(size))
	}
	h, err := tlog.ParseHash(strings.TrimSuffix(lines[2], "\n"))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: root hash is not base64 of 32 bytes")
	}
	return Checkpoint{Origin: origin, Tree: tlog.Tree{N: n, Hash: h}}, nil
}

// OpenCheckpoint checks a signed checkpoint with the verifiers (sumdb/note)
// and reads its body, which must name origin.
func OpenCheckpoint(signed []byte, origin string, verifiers note.Verifiers) (Checkpoint, error) {
	if len(signed) > MaxCheckpoint {
		return Checkpoint{}, fmt.Errorf("checkpoint: %d bytes, at most %d", len(signed), MaxCheckpoint)
	}
	n, err := note.Open(signed, verifiers)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != origin {
		return Checkpoint{}, fmt.Errorf("checkpoint: origin %q, want %q", short(c.Origin), short(origin))
	}
	return c, nil
}

// SameTree says whether two signed checkpoints state the same tree (their
// signatures may differ: a rotated key signs the same tree anew).
func SameTree(a, b Checkpoint) bool {
	return a.Origin == b.Origin && a.N == b.N && bytes.Equal(a.Hash[:], b.Hash[:])
}
