package logbundle_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/pfn-network/pfn/internal/logbundle"
	"github.com/pfn-network/pfn/internal/logbundle/bundletest"
)

var allChecks = []string{logbundle.CheckBundle, logbundle.CheckStatement, logbundle.CheckFile, logbundle.CheckPublisher,
	logbundle.CheckNode, logbundle.CheckCheckpoint, logbundle.CheckInclusion}

// failed names the checks that failed, after checking every check was
// answered once, in order, and that an unpinned verdict is not OK.
func failed(t *testing.T, vs []logbundle.Verdict) []string {
	t.Helper()
	var names, bad []string
	for _, v := range vs {
		names = append(names, v.Check)
		if v.Detail == "" {
			t.Errorf("%s: no detail", v.Check)
		}
		if v.OK && v.Unpinned {
			t.Errorf("%s: both OK and unpinned", v.Check)
		}
		if v.Failed() {
			bad = append(bad, v.Check)
		}
	}
	if !slices.Equal(names, allChecks) {
		t.Fatalf("checks %q, want %q", names, allChecks)
	}
	return bad
}

// checkPins checks the verdicts of the checks that take a key: without
// pins each that did not fail is unpinned, with pins none is; and OK holds
// only when nothing failed and keys were pinned.
func checkPins(t *testing.T, vs []logbundle.Verdict, pinned bool, failed []string) {
	t.Helper()
	for _, v := range vs {
		keyed := v.Check == logbundle.CheckNode || v.Check == logbundle.CheckCheckpoint
		want := keyed && !pinned && !slices.Contains(failed, v.Check)
		if v.Unpinned != want {
			t.Errorf("%s: unpinned %v, want %v (%s)", v.Check, v.Unpinned, want, v.Detail)
		}
	}
	if logbundle.OK(vs) != (len(failed) == 0 && pinned) {
		t.Errorf("OK = %v with %d failures, pinned %v", logbundle.OK(vs), len(failed), pinned)
	}
}

// flip changes one byte of s.
func flip(s []byte, i int) []byte {
	out := bytes.Clone(s)
	out[i] ^= 0x01
	return out
}

// flipB64 flips one byte of a base64 value's bytes.
func flipB64(t *testing.T, s string, i func([]byte) int) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(flip(raw, i(raw)))
}

// inValue is the index of the first byte of a statement member's value.
func inValue(member string) func([]byte) int {
	return func(raw []byte) int { return bytes.Index(raw, []byte(`"`+member+`":"`)) + len(member) + 4 }
}

func TestVerify(t *testing.T) {
	t.Parallel()
	m := bundletest.Make(t, bundletest.Options{})
	stranger, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		alter  func(b *logbundle.Bundle, file *[]byte, pins *[]ed25519.PublicKey)
		failed []string
	}{
		{"as built, unpinned", func(*logbundle.Bundle, *[]byte, *[]ed25519.PublicKey) {}, nil},
		{"pinned to the node key", func(_ *logbundle.Bundle, _ *[]byte, pins *[]ed25519.PublicKey) {
			*pins = []ed25519.PublicKey{stranger, m.NodeKey}
		}, nil},
		{"one flipped byte of the file", func(_ *logbundle.Bundle, file *[]byte, _ *[]ed25519.PublicKey) {
			*file = flip(*file, len(*file)/2)
		}, []string{logbundle.CheckFile}},
		{"one byte more in the file", func(_ *logbundle.Bundle, file *[]byte, _ *[]ed25519.PublicKey) {
			*file = append(bytes.Clone(*file), 0)
		}, []string{logbundle.CheckFile}},
		// The upstream's signature is signed and logged, and nothing else
		// reads it: the node signature and the proof catch the change.
		{"one flipped byte of the statement", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.Statement = flipB64(t, b.Statement, inValue("upstream"))
		}, []string{logbundle.CheckNode, logbundle.CheckInclusion}},
		{"one flipped byte of the statement's sha256", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.Statement = flipB64(t, b.Statement, inValue("sha256"))
		}, []string{logbundle.CheckFile, logbundle.CheckPublisher, logbundle.CheckNode, logbundle.CheckInclusion}},
		{"one flipped byte of the statement's JSON", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.Statement = flipB64(t, b.Statement, func([]byte) int { return 0 }) // '{' becomes 'z'
		}, []string{logbundle.CheckStatement, logbundle.CheckFile, logbundle.CheckPublisher, logbundle.CheckNode, logbundle.CheckInclusion}},
		{"one flipped byte of a proof hash", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.InclusionProof = slices.Clone(b.InclusionProof)
			b.InclusionProof[1] = flipB64(t, b.InclusionProof[1], func([]byte) int { return 7 })
		}, []string{logbundle.CheckInclusion}},
		{"a proof hash left out", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.InclusionProof = b.InclusionProof[1:]
		}, []string{logbundle.CheckInclusion}},
		{"another log index", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.LogIndex = 2
		}, []string{logbundle.CheckInclusion}},
		{"one flipped byte of the checkpoint's root", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			lines := strings.SplitAfter(b.Checkpoint, "\n")
			lines[2] = string(flip([]byte(lines[2]), 5))
			b.Checkpoint = strings.Join(lines, "")
		}, []string{logbundle.CheckCheckpoint, logbundle.CheckInclusion}},
		{"one flipped byte of the checkpoint's signature", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.Checkpoint = string(flip([]byte(b.Checkpoint), len(b.Checkpoint)-10))
		}, []string{logbundle.CheckCheckpoint}},
		{"a wrong pin", func(_ *logbundle.Bundle, _ *[]byte, pins *[]ed25519.PublicKey) {
			*pins = []ed25519.PublicKey{stranger}
		}, []string{logbundle.CheckNode, logbundle.CheckCheckpoint}},
		{"another verifier key, of the same name", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			vkey, err := note.NewEd25519VerifierKey(m.Origin, stranger)
			if err != nil {
				t.Fatal(err)
			}
			b.VerifierKey = vkey
		}, []string{logbundle.CheckCheckpoint}},
		{"another publisher claim", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.PublisherClaim.Description += "!"
		}, []string{logbundle.CheckPublisher}},
		{"another publisher_signature_v2", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.PublisherSignatureV2 = flipB64(t, b.PublisherSignatureV2, func([]byte) int { return 0 })
		}, []string{logbundle.CheckPublisher}},
		{"a bundle about another version", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.Version = "1.2.4"
		}, []string{logbundle.CheckStatement}},
		{"another node key", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.NodeKey = base64.StdEncoding.EncodeToString(stranger)
		}, []string{logbundle.CheckNode}},
		{"another format", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.Format = "pfn-log-bundle/v2"
		}, []string{logbundle.CheckBundle}},
		{"a statement that is not base64", func(b *logbundle.Bundle, _ *[]byte, _ *[]ed25519.PublicKey) {
			b.Statement = "not base64!"
		}, []string{logbundle.CheckBundle, logbundle.CheckStatement, logbundle.CheckFile, logbundle.CheckPublisher,
			logbundle.CheckNode, logbundle.CheckInclusion}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, file := m.Bundle, m.File
			b.InclusionProof = slices.Clone(b.InclusionProof)
			var pins []ed25519.PublicKey
			tt.alter(&b, &file, &pins)
			vs := logbundle.Verify(b, bytes.NewReader(file), pins)
			if got := failed(t, vs); !slices.Equal(got, tt.failed) {
				t.Errorf("failed %q, want %q\n%v", got, tt.failed, vs)
			}
			checkPins(t, vs, len(pins) > 0, tt.failed)
		})
	}
}

// A node that rotated its key signs checkpoints with the new key while
// older statements stay signed by the old one: pinning both verifies,
// pinning only the new one does not vouch for the statement.
func TestVerifyRetiredStatementKey(t *testing.T) {
	t.Parallel()
	m := bundletest.Make(t, bundletest.Options{Retired: true, NoV2: true})
	if bytes.Equal(m.NodeKey, m.StatementKey) {
		t.Fatal("the statement and the checkpoint share a key")
	}
	for _, tt := range []struct {
		name   string
		pins   []ed25519.PublicKey
		failed []string
	}{
		{"unpinned", nil, nil},
		{"both keys pinned", []ed25519.PublicKey{m.NodeKey, m.StatementKey}, nil},
		{"only the current key", []ed25519.PublicKey{m.NodeKey}, []string{logbundle.CheckNode}},
		{"only the old key", []ed25519.PublicKey{m.StatementKey}, []string{logbundle.CheckCheckpoint}},
	} {
		vs := logbundle.Verify(m.Bundle, bytes.NewReader(m.File), tt.pins)
		if got := failed(t, vs); !slices.Equal(got, tt.failed) {
			t.Errorf("%s: failed %q, want %q\n%v", tt.name, got, tt.failed, vs)
		}
		checkPins(t, vs, len(tt.pins) > 0, tt.failed)
	}
	if d := logbundle.Verify(m.Bundle, bytes.NewReader(m.File), nil)[3].Detail; !strings.Contains(d, "no v2") {
		t.Errorf("publisher verdict without v2: %q", d)
	}
}

func TestReadRoundTripsAndRefuses(t *testing.T) {
	t.Parallel()
	m := bundletest.Make(t, bundletest.Options{})
	data, err := json.Marshal(m.Bundle)
	if err != nil {
		t.Fatal(err)
	}
	got, err := logbundle.Read(bytes.NewReader(append(data, '\n')))
	if err != nil {
		t.Fatal(err)
	}
	if !logbundle.OK(logbundle.Verify(got, bytes.NewReader(m.File), []ed25519.PublicKey{m.NodeKey})) {
		t.Fatalf("the bundle read back does not verify")
	}
	huge := append([]byte(`{"format":"`), bytes.Repeat([]byte("x"), logbundle.MaxBundle)...)
	for _, tt := range []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "not a JSON object"},
		{"an array", []byte(`[]`), "not a JSON object"},
		{"two objects", append(bytes.Clone(data), data...), "data after"},
		{"a wrong type", []byte(`{"log_index":"3"}`), "not the JSON"},
		{"over the cap", huge, "over"},
	} {
		if _, err := logbundle.Read(bytes.NewReader(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
}

// FuzzRead: whatever a bundle file holds, Read and Verify answer without
// panicking, every check once, and never all ok for bytes the fuzzer made
// up (the file is empty; the seed's bundle is about a non-empty one).
func FuzzRead(f *testing.F) {
	m := bundletest.Make(f, bundletest.Options{})
	data, err := json.Marshal(m.Bundle)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"format":"pfn-log-bundle/v1","statement":"e30=","inclusion_proof":["AA=="],"checkpoint":"a\n\n"}`))
	f.Add([]byte(`{"log_index":-1,"checkpoint":"o\n9223372036854775807\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— o x\n"}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := logbundle.Read(bytes.NewReader(in))
		if err != nil {
			return
		}
		vs := logbundle.Verify(b, bytes.NewReader(nil), nil)
		if len(vs) != len(allChecks) {
			t.Fatalf("%d verdicts", len(vs))
		}
		if logbundle.OK(vs) {
			t.Fatalf("a made-up bundle verifies an empty file: %v", vs)
		}
	})
}

// Without pins a bundle anyone could have made verifies only as far as
// "unpinned": the two signatures name the keys they would trust, and the
// bundle is not OK.
func TestVerifyUnpinnedNamesTheKeys(t *testing.T) {
	t.Parallel()
	m := bundletest.Make(t, bundletest.Options{}) // fresh keys: as self-made as a bundle gets
	vs := logbundle.Verify(m.Bundle, bytes.NewReader(m.File), nil)
	if logbundle.OK(vs) {
		t.Fatal("an unpinned bundle is OK")
	}
	for _, tt := range []struct {
		check string
		key   string
	}{
		{logbundle.CheckNode, base64.StdEncoding.EncodeToString(m.NodeKey)},
		{logbundle.CheckCheckpoint, m.VerifierKey},
	} {
		i := slices.Index(allChecks, tt.check)
		if v := vs[i]; !v.Unpinned || v.OK || v.Failed() || !strings.Contains(v.Detail, tt.key) || !strings.Contains(v.Detail, "no -node-key pins it") {
			t.Errorf("%s = %+v, want unpinned naming %s", tt.check, v, tt.key)
		}
	}
}

func TestVerifierPublicKey(t *testing.T) {
	t.Parallel()
	m := bundletest.Make(t, bundletest.Options{})
	// A small-order point: anyone can forge signatures under it.
	weak, err := note.NewEd25519VerifierKey(m.Origin, make([]byte, ed25519.PublicKeySize))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		vkey string
		want ed25519.PublicKey // nil: refused
	}{
		{"the node's", m.VerifierKey, m.NodeKey},
		{"not a verifier key", "pfn/x+00000000+AQ", nil},
		{"a base64 key", base64.StdEncoding.EncodeToString(m.NodeKey), nil},
		{"a small-order key", weak, nil},
	} {
		got, err := logbundle.VerifierPublicKey(tt.vkey)
		if (err == nil) != (tt.want != nil) || !bytes.Equal(got, tt.want) {
			t.Errorf("%s: VerifierPublicKey = %x, %v; want %x", tt.name, got, err, tt.want)
		}
	}
	// A bundle whose verifier key is such a key fails its checkpoint check.
	b := m.Bundle
	b.VerifierKey = weak
	vs := logbundle.Verify(b, bytes.NewReader(m.File), nil)
	if got := failed(t, vs); !slices.Equal(got, []string{logbundle.CheckCheckpoint}) {
		t.Errorf("failed %q with a small-order verifier key, want the checkpoint's", got)
	}
}
