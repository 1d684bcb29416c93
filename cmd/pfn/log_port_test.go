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

// logPort checks a node's log over HTTP through the publisher client: a
// log that grows passes and its entries read back; one that shrank is an
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

	first, err := port.CheckLog(ctx, s.URL, "pfn/test", verifiers, nil, 0)
	if err != nil || first.Checkpoint.N != 300 || !bytes.Equal(first.Signed, s.Checkpoint()) {
		t.Fatalf("first check: size %d, %v", first.Checkpoint.N, err)
	}
	if e, err := first.Entry(ctx, 257); err != nil || !bytes.Equal(e, entries[257]) {
		t.Fatalf("entry 257: %q, %v", e, err)
	}

	s.Serve(l, 400)
	grown, err := port.CheckLog(ctx, s.URL, "pfn/test", verifiers, &first.Checkpoint, first.Checkpoint.N)
	if err != nil || grown.Checkpoint.N != 400 {
		t.Fatalf("grown: size %d, %v", grown.Checkpoint.N, err)
	}

	// An entry bundle edited under the same hashes: the version's check
	// reads it as an inconsistency of kind entry.
	const path = "tile/entries/001.p/144"
	bundle, ok := s.File(path)
	if !ok {
		t.Fatalf("no %s", path)
	}
	split, err := tlogtiles.SplitEntries(bundle, 144)
	if err != nil {
		t.Fatal(err)
	}
	var edited []byte
	for i, e := range split {
		if i == 1 {
			e = []byte("another statement")
		}
		if edited, err = tlogtiles.AppendEntry(edited, e); err != nil {
			t.Fatal(err)
		}
	}
	s.SetFile(path, edited)
	if _, err := grown.Entry(ctx, 257); !isInconsistency(err, domain.LogFaultEntry) {
		t.Fatalf("an edited entry: %v", err)
	}
	if e, err := grown.Entry(ctx, 258); err != nil || !bytes.Equal(e, entries[258]) {
		t.Fatalf("entry 258 beside the edited one: %q, %v", e, err)
	}

	s.Serve(l, 200)
	_, err = port.CheckLog(ctx, s.URL, "pfn/test", verifiers, &grown.Checkpoint, grown.Checkpoint.N)
	bad, ok := errors.AsType[*app.LogInconsistency](err)
	if !ok || bad.Kind != domain.LogFaultShrunk || !bytes.Equal(bad.Offered, s.Checkpoint()) {
		t.Fatalf("shrunk: %v", err)
	}

	s.SetFile("checkpoint", []byte("not a note"))
	_, err = port.CheckLog(ctx, s.URL, "pfn/test", verifiers, &grown.Checkpoint, grown.Checkpoint.N)
	if _, ok := errors.AsType[*app.LogInconsistency](err); ok || !errors.Is(err, domain.ErrPublisher) {
		t.Fatalf("an unreadable checkpoint: %v", err)
	}
}

func isInconsistency(err error, kind string) bool {
	bad, ok := errors.AsType[*app.LogInconsistency](err)
	return ok && bad.Kind == kind
}
