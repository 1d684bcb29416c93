package main

import (
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"golang.org/x/mod/sumdb/note"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/logbundle"
)

const verifySynopsis = "pfn verify -bundle BUNDLE FILE [-node-key KEY]..."

const verifyWhat = `Check a file against its bundle (what GET /federation/bundle answered for
it), with no network at all: the bundle's values decode; its statement is the
node's v2 statement about that source, plugin and version, byte for byte as
the node signs and logs it; FILE has the statement's sha256 and size; the
publisher's signature (v1, and v2 when the bundle has one) verifies under the
publisher key the statement names; the node's signature over the statement
verifies under the node key whose id it names; the checkpoint's signature
verifies (sumdb/note); and the inclusion proof puts the statement at its log
index in the checkpoint's tree. One line per check: "ok", "FAIL" or
"UNPINNED", the check, and what was found.

The node's signature and the checkpoint's prove who signed only under keys
you pin: give the node's key(s), obtained another way (its /federation-info
"public_key" or "node_keys", or its "log" "verifier_key"), with -node-key.
The statement's key and the checkpoint's key must each be one of them (a
node that rotated its key signs checkpoints with its current key, older
statements with a retired one: pin both). Without -node-key the two are
checked under the keys the bundle names itself and print UNPINNED with
those keys: anyone can make a bundle that verifies that far.
KEY is base64 of the raw 32-byte Ed25519 key, a file holding a PEM public
key, or a note verifier key.

Exit status: 0 when every check holds under pinned keys; 1 when a check
fails; 2 on a usage error (a missing argument, a key or file that cannot be
read); 3 when every check holds but no -node-key was given (UNPINNED).`

// exitStatus ends pfn with a status other than 1 (main.go).
type exitStatus struct {
	code int
	err  error
}

func (e exitStatus) Error() string { return e.err.Error() }
func (e exitStatus) Unwrap() error { return e.err }

// exitCode is the process's status for what run returned.
func exitCode(err error) int {
	var e exitStatus
	if errors.As(err, &e) {
		return e.code
	}
	return 1
}

func usageError(format string, a ...any) error {
	return exitStatus{2, fmt.Errorf("verify: "+format, a...)}
}

// keyList is a repeatable -node-key.
type keyList []string

func (k *keyList) String() string     { return strings.Join(*k, ", ") }
func (k *keyList) Set(v string) error { *k = append(*k, v); return nil }

// verifyCommand runs pfn verify. It reads two local files and no PFN_
// variable, and opens no connection.
func verifyCommand(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	fs.Usage = usageWithoutEnvNote(fs, verifySynopsis, verifyWhat)
	bundlePath := fs.String("bundle", "", "the bundle file (JSON, as GET /federation/bundle answers it)")
	var keys keyList
	fs.Var(&keys, "node-key", "a node key to pin (repeatable): base64 of the raw key, a PEM public key file, or a note verifier key")
	file, err := parseVerifyArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return exitStatus{2, err}
	}
	if *bundlePath == "" {
		fs.Usage()
		return usageError("-bundle BUNDLE is required")
	}
	var pins []ed25519.PublicKey
	for _, k := range keys {
		pub, err := parseNodeKey(k)
		if err != nil {
			return usageError("-node-key %q: %v", clipArg(k), err)
		}
		pins = append(pins, pub)
	}
	bf, err := os.Open(*bundlePath)
	if err != nil {
		return usageError("-bundle: %v", err)
	}
	defer bf.Close()
	f, err := os.Open(file)
	if err != nil {
		return usageError("%v", err)
	}
	defer f.Close()

	b, err := logbundle.Read(bf)
	if err != nil {
		fmt.Fprintf(stdout, "FAIL  %s: %s\n", logbundle.CheckBundle, printable(err.Error()))
		return fmt.Errorf("verify: %s cannot be read as a bundle", *bundlePath)
	}
	verdicts := logbundle.Verify(b, f, pins)
	failed, unpinned := 0, 0
	for _, v := range verdicts {
		mark := "ok  "
		switch {
		case v.Failed():
			mark = "FAIL"
			failed++
		case v.Unpinned:
			mark = "UNPINNED"
			unpinned++
		}
		fmt.Fprintf(stdout, "%s  %s: %s\n", mark, v.Check, printable(v.Detail))
	}
	if len(pins) == 0 {
		// A verifier key's name is an origin, at most 256 bytes.
		fmt.Fprintf(stdout, "UNPINNED: no -node-key given: the signatures were checked under the bundle's own keys"+
			" (node key %s, verifier key %s), and anyone can make a bundle that verifies so.\n"+
			"  Pin the node's key, obtained another way (its /federation-info public_key, or its log verifier_key): -node-key KEY\n",
			printable(clipTo(b.NodeKey, 100)), printable(clipTo(b.VerifierKey, 400)))
	}
	switch {
	case failed > 0:
		return fmt.Errorf("verify: %d of %d checks failed", failed, len(verdicts))
	case unpinned > 0:
		return exitStatus{3, fmt.Errorf("verify: every check holds, but %d only under the bundle's own keys (UNPINNED): pass the node's key with -node-key", unpinned)}
	}
	return nil
}

// parseVerifyArgs reads the flags on either side of FILE (the synopsis puts
// -node-key after it; Go's flag package stops at it) and returns FILE.
func parseVerifyArgs(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return "", errors.New("verify: want the FILE the bundle is about")
	}
	file := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("verify: unexpected arguments %q", fs.Args())
	}
	return file, nil
}

// maxKeyFile bounds a -node-key file; a PEM public key is about 113 bytes.
const maxKeyFile = 16 << 10

// parseNodeKey reads a -node-key: a note verifier key, a file holding a
// key, or the key's text (base64, raw or SPKI, or PEM).
func parseNodeKey(arg string) (ed25519.PublicKey, error) {
	if pub, ok, err := verifierKeyOf(arg); ok {
		return pub, err
	}
	if st, err := os.Stat(arg); err == nil && st.Mode().IsRegular() {
		f, err := os.Open(arg)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
		if err != nil {
			return nil, err
		}
		if len(data) > maxKeyFile {
			return nil, fmt.Errorf("the file is over %d bytes, a public key is far shorter", maxKeyFile)
		}
		text := strings.TrimSpace(string(data))
		if pub, ok, err := verifierKeyOf(text); ok {
			return pub, err
		}
		return domain.ParsePublicKey(text)
	}
	return domain.ParsePublicKey(arg)
}

// verifierKeyOf reads a note verifier key ("name+hash+base64(0x01 key)");
// ok is false when vkey is not one, so the caller tries other forms.
func verifierKeyOf(vkey string) (ed25519.PublicKey, bool, error) {
	if _, err := note.NewVerifier(vkey); err != nil {
		return nil, false, nil
	}
	pub, err := logbundle.VerifierPublicKey(vkey)
	return pub, true, err
}

// printable escapes what a hostile bundle could put in a detail to move a
// terminal's cursor or colour it.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return '?'
		}
		return r
	}, s)
}

func clipArg(s string) string { return clipTo(s, 60) }

func clipTo(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}
