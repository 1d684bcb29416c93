package main

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/pfn-network/pfn/adapters/publisher"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/logwatch/logtest"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// logPort checks a node's log over HTTP through the publisher client. At
// first use it trusts the checkpoint it sees and audits nothing (an entry
// edited then is caught when a version is read at its index); later checks
// audit the entries added since the trusted checkpoint. A log that shrank
// or holds an edited entry past the trusted size is an
// *app.LogInconsistency carrying the checkpoint offered; one that cannot
// be read is the publisher's failure, not an inconsistency.
func TestLogPort(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := logtest.NewServer(t, "pfn/test")
	entries := logtest.Entries("node", 400)
	l := logtest.NewLog(entries...)
	s.Serve(l, 300)
	v, err := note.NewVerifier(s.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	verifiers := note.VerifierList(v)
	port := logPort{publisher.New(publisher.Config{AllowPrivateNetworks: true})}

	// Entry 257 edited before the first check: not audited at first use,
	// caught when read.
	editEntry(t, s, "tile/entries/001.p/44", 44, 1)
	first, err := port.CheckLog(ctx, s.URL, "pfn/test", verifiers, nil)
	if err != nil || first.Checkpoint.N != 300 || !bytes.Equal(first.Signed, s.Checkpoint()) {
		t.Fatalf("first check: size %d, %v", first.Checkpoint.N, err)
	}
	if _, err := first.Entry(ctx, 257); !isInconsistency(err, domain.LogFaultEntry) {
		t.Fatalf("an entry edited before the first check, read: %v", err)
	}
	if e, err := first.Entry(ctx, 3); err != nil || !bytes.Equal(e, entries[3]) {
		t.Fatalf("entry 3: %q, %v", e, err)
	}

	s.Serve(l, 400)
	grown, err := port.CheckLog(ctx, s.URL, "pfn/test", verifiers, &first.Checkpoint)
	if err != nil || grown.Checkpoint.N != 400 {
		t.Fatalf("grown: size %d, %v", grown.Checkpoint.N, err)
	}

	// An entry bundle edited under the same hashes: the version's check
	// reads it as an inconsistency of kind entry, and so does the audit of
	// the entries past the trusted size (whole bundles: 257 with them).
	editEntry(t, s, "tile/entries/001.p/144", 144, 1)
	if _, err := grown.Entry(ctx, 257); !isInconsistency(err, domain.LogFaultEntry) {
		t.Fatalf("an edited entry: %v", err)
	}
	if e, err := grown.Entry(ctx, 258); err != nil || !bytes.Equal(e, entries[258]) {
		t.Fatalf("entry 258 beside the edited one: %q, %v", e, err)
	}
	_, err = port.CheckLog(ctx, s.URL, "pfn/test", verifiers, &first.Checkpoint)
	if bad, ok := errors.AsType[*app.LogInconsistency](err); !ok || bad.Kind != domain.LogFaultEntry || bad.Index != 257 ||
		!bytes.Equal(bad.Offered, s.Checkpoint()) {
		t.Fatalf("an edited entry after the trusted size: %v", err)
	}

	s.Serve(l, 200)
	_, err = port.CheckLog(ctx, s.URL, "pfn/test", verifiers, &grown.Checkpoint)
	bad, ok := errors.AsType[*app.LogInconsistency](err)
	if !ok || bad.Kind != domain.LogFaultShrunk || !bytes.Equal(bad.Offered, s.Checkpoint()) {
		t.Fatalf("shrunk: %v", err)
	}

	s.SetFile("checkpoint", []byte("not a note"))
	for _, trusted := range []*tlogtiles.Checkpoint{&grown.Checkpoint, nil} {
		_, err = port.CheckLog(ctx, s.URL, "pfn/test", verifiers, trusted)
		if _, ok := errors.AsType[*app.LogInconsistency](err); ok || !errors.Is(err, domain.ErrPublisher) {
			t.Fatalf("an unreadable checkpoint (trusted %v): %v", trusted != nil, err)
		}
	}
	// At first use too, the checkpoint must be signed by the node's key.
	s.Serve(l, 300)
	other := logtest.NewServer(t, "pfn/test")
	s.SetCheckpoint(logtest.Sign(t, first.Checkpoint, other.Signer))
	if _, err := port.CheckLog(ctx, s.URL, "pfn/test", verifiers, nil); err == nil || !errors.Is(err, domain.ErrPublisher) {
		t.Fatalf("a checkpoint signed by another key at first use: %v", err)
	}
}

// editEntry serves the entry bundle at path (of w entries) with entry i
// replaced: the tree's hashes no longer match it.
func editEntry(t *testing.T, s *logtest.Server, path string, w, i int) {
	t.Helper()
	bundle, ok := s.File(path)
	if !ok {
		t.Fatalf("no %s", path)
	}
	split, err := tlogtiles.SplitEntries(bundle, w)
	if err != nil {
		t.Fatal(err)
	}
	var edited []byte
	for j, e := range split {
		if j == i {
			e = []byte("another statement")
		}
		if edited, err = tlogtiles.AppendEntry(edited, e); err != nil {
			t.Fatal(err)
		}
	}
	s.SetFile(path, edited)
}

func isInconsistency(err error, kind string) bool {
	bad, ok := errors.AsType[*app.LogInconsistency](err)
	return ok && bad.Kind == kind
}
