package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/internal/logwatch/logtest"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// pfn log watch -once, round after round against a node's log that grows,
// then lies, then carries on: each verdict printed, the key pinned at first
// use, the last good checkpoint kept through a failure.
func TestLogWatchOnce(t *testing.T) {
	t.Parallel()
	const origin = "pfn/watched-node"
	entries := logtest.Entries("a", 600)
	a := logtest.NewLog(entries...)
	forkedEntries := append([][]byte(nil), entries...)
	forkedEntries[7] = []byte("forged")
	forked := logtest.NewLog(forkedEntries...)
	s := logtest.NewServer(t, origin)
	other := logtest.NewServer(t, origin) // the same origin, another key
	state := filepath.Join(t.TempDir(), "watch", "state.json")

	watch := func(extra ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		args := append([]string{"log", "watch", s.URL + "/", "-once", "-state", state}, extra...)
		err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
		return stdout.String(), err
	}
	kept := func() logWatchState {
		t.Helper()
		raw, err := os.ReadFile(state)
		if err != nil {
			t.Fatal(err)
		}
		var st logWatchState
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	root := func(l *logtest.Log, n int64) string { return l.Tree(n).Hash.String() }
	steps := []struct {
		name    string
		serve   func()
		extra   []string
		wantOut string // a regexp over stdout
		wantErr string // "" succeeds
		keptN   int64  // the size of the checkpoint the state keeps after it
	}{
		{name: "first use", serve: func() { s.Serve(a, 300) },
			wantOut: `^pinned verifier key ` + regexp.QuoteMeta(s.VerifierKey) + `\nconsistent: size 0 -> 300, root ` + regexp.QuoteMeta(root(a, 300)) + `, entries 0\.\.299 checked\n$`,
			keptN:   300},
		{name: "growth", serve: func() { s.Serve(a, 450) },
			wantOut: `^consistent: size 300 -> 450, root ` + regexp.QuoteMeta(root(a, 450)) + `, entries 300\.\.449 checked\n$`, keptN: 450},
		{name: "no growth", serve: func() {},
			wantOut: `^consistent: size 450 -> 450, root .*, no new entries\n$`, keptN: 450},
		{name: "forked", serve: func() { s.Serve(forked, 450) },
			wantOut: `^FAIL forked: `, wantErr: "forked at 450", keptN: 450},
		{name: "rewritten", serve: func() { s.Serve(forked, 500) },
			wantOut: `^FAIL rewritten: `, wantErr: "rewritten at 450", keptN: 450},
		{name: "shrunk", serve: func() { s.Serve(a, 449) },
			wantOut: `^FAIL shrunk: `, wantErr: "shrunk at 449", keptN: 450},
		{name: "an entry edited, its hash kept", serve: func() {
			s.Serve(a, 500)
			edited := append([][]byte(nil), entries[:500]...)
			edited[460] = []byte("forged")
			b, _ := logtest.NewLog(edited...).Tile(500, "tile/entries/001.p/244")
			s.SetFile("tile/entries/001.p/244", b)
		}, wantOut: `^FAIL entry: entry 460 `, wantErr: "entry at 460", keptN: 450},
		{name: "the log carries on", serve: func() { s.Serve(a, 600) },
			wantOut: `^consistent: size 450 -> 600, root ` + regexp.QuoteMeta(root(a, 600)) + `, entries 450\.\.599 checked\n$`, keptN: 600},
		{name: "another key signs", serve: func() {
			s.SetCheckpoint(logtest.Sign(t, tlogtiles.Checkpoint{Origin: origin, Tree: a.Tree(600)}, other.Signer))
		}, wantOut: `^$`, wantErr: "pass it with -key", keptN: 600},
		{name: "the other key pinned with -key", extra: []string{"-key", other.VerifierKey}, serve: func() {},
			wantOut: `^pinned verifier key ` + regexp.QuoteMeta(other.VerifierKey) + ` in place of ` + regexp.QuoteMeta(s.VerifierKey) + `\nconsistent: size 600 -> 600, root .*, no new entries\n$`, keptN: 600},
		{name: "garbage", serve: func() { s.SetCheckpoint([]byte("<html>maintenance</html>")) },
			wantOut: `^$`, wantErr: "checkpoint signature", keptN: 600},
	}
	for _, step := range steps {
		step.serve()
		out, err := watch(step.extra...)
		switch {
		case step.wantErr == "" && err != nil:
			t.Fatalf("%s: %v\n%s", step.name, err, out)
		case step.wantErr != "" && (err == nil || !strings.Contains(err.Error(), step.wantErr)):
			t.Fatalf("%s: err = %v, want one saying %q\n%s", step.name, err, step.wantErr, out)
		}
		if !regexp.MustCompile(step.wantOut).MatchString(out) {
			t.Errorf("%s: printed %q, want %q", step.name, out, step.wantOut)
		}
		st := kept()
		if trusted, err := st.trusted(); err != nil || trusted == nil || trusted.N != step.keptN || st.URL != s.URL || st.Origin != origin {
			t.Errorf("%s: state %+v (%v), want the checkpoint of size %d", step.name, st, err, step.keptN)
		}
	}
	if st := kept(); st.VerifierKey != other.VerifierKey {
		t.Errorf("pinned %s, want the key -key gave", st.VerifierKey)
	}
	// One state file watches one node.
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"log", "watch", "-once", "-state", state, other.URL}, func(string) string { return "" }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "use another -state") {
		t.Errorf("watching another node with the same state = %v", err)
	}
}

// A first use with -key pins that key, and a node that signs with another
// fails the round without pinning what it announces.
func TestLogWatchKeyAtFirstUse(t *testing.T) {
	t.Parallel()
	const origin = "pfn/watched-node"
	s := logtest.NewServer(t, origin)
	s.Serve(logtest.NewLog(logtest.Entries("a", 3)...), 3)
	other := logtest.NewServer(t, origin)
	state := filepath.Join(t.TempDir(), "state.json")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"log", "watch", "-once", "-state", state, "-key", other.VerifierKey, s.URL}, func(string) string { return "" }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "checkpoint signature") {
		t.Fatalf("watch with a key the node does not sign with = %v\n%s", err, stdout.String())
	}
	st, err := loadLogWatchState(state)
	if err != nil || st.VerifierKey != other.VerifierKey || st.Checkpoint != "" {
		t.Errorf("state = %+v, %v; want the -key pinned and no checkpoint", st, err)
	}
	if err := run(context.Background(), []string{"log", "watch", "-once", "-key", "not a key", s.URL}, func(string) string { return "" }, &stdout, &stderr); err == nil {
		t.Error("a -key that is no verifier key was taken")
	}
}

// Without -once the watcher goes on round after round, retries a log it
// cannot read, and stops at the first inconsistency.
func TestLogWatchRounds(t *testing.T) {
	t.Parallel()
	const origin = "pfn/watched-node"
	a := logtest.NewLog(logtest.Entries("a", 20)...)
	s := logtest.NewServer(t, origin)
	state := filepath.Join(t.TempDir(), "state.json")
	watch := func(ctx context.Context) (string, string, error) {
		var stdout, stderr bytes.Buffer
		err := run(ctx, []string{"log", "watch", "-interval", "10ms", "-state", state, s.URL}, func(string) string { return "" }, &stdout, &stderr)
		return stdout.String(), stderr.String(), err
	}

	s.Serve(a, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	out, _, err := watch(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || strings.Count(out, "consistent: size 10 -> 10") < 1 || !strings.Contains(out, "consistent: size 0 -> 10") {
		t.Fatalf("watching a quiet log = %v, printed %q; want rounds until the end", err, out)
	}

	s.SetCheckpoint([]byte("garbage"))
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	_, logged, err := watch(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(logged, "will retry") {
		t.Fatalf("watching an unreadable log = %v, logged %q; want retries until the end", err, logged)
	}

	s.Serve(logtest.NewLog(logtest.Entries("b", 20)...), 10)
	out, _, err = watch(context.Background())
	if err == nil || !strings.Contains(err.Error(), "forked at 10") || !strings.HasPrefix(out, "FAIL forked: ") {
		t.Fatalf("watching a forked log = %v, printed %q; want it to stop at once", err, out)
	}
}

// -max-audit reads only the newest entries of each round: an edited entry
// before the bound goes unread (and the line says which were not read),
// one within it is caught; without the flag every new entry is read.
func TestLogWatchMaxAudit(t *testing.T) {
	t.Parallel()
	const origin = "pfn/watched-node"
	entries := logtest.Entries("a", 700)
	a := logtest.NewLog(entries...)
	s := logtest.NewServer(t, origin)
	edited := append([][]byte(nil), entries...)
	edited[100] = []byte("forged")
	forgedBundle, _ := logtest.NewLog(edited...).Tile(600, "tile/entries/000")
	// serve serves a's first n entries, entry 100 forged in its bundle.
	serve := func(n int64) func() {
		return func() {
			s.Serve(a, n)
			s.SetFile("tile/entries/000", forgedBundle)
		}
	}
	dir := t.TempDir()
	tests := []struct {
		name    string
		state   string
		serve   func()
		args    []string
		wantOut string // a regexp over stdout
		wantErr string
	}{
		{name: "bounded first use", state: "bounded.json", serve: serve(600), args: []string{"-max-audit", "100"},
			wantOut: `\nconsistent: size 0 -> 600, root \S+, entries 500\.\.599 checked \(entries 0\.\.499 not read: -max-audit 100\)\n$`},
		{name: "bounded growth within the bound", state: "bounded.json", serve: serve(650), args: []string{"-max-audit", "100"},
			wantOut: `^consistent: size 600 -> 650, root \S+, entries 600\.\.649 checked\n$`},
		{name: "every entry by default", state: "full.json", serve: func() {},
			wantOut: `^pinned verifier key .*\nFAIL entry: entry 100 `, wantErr: "entry at 100"},
		{name: "a bound of 0 is every entry", state: "zero.json", serve: func() {}, args: []string{"-max-audit", "0"},
			wantOut: `\nFAIL entry: entry 100 `, wantErr: "entry at 100"},
		{name: "a negative bound", state: "negative.json", serve: func() {}, args: []string{"-max-audit", "-1"},
			wantOut: `^$`, wantErr: "-max-audit takes 0"},
	}
	for _, tt := range tests {
		tt.serve()
		var stdout, stderr bytes.Buffer
		args := append([]string{"log", "watch", "-once", "-state", filepath.Join(dir, tt.state), s.URL}, tt.args...)
		err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Fatalf("%s: %v\n%s", tt.name, err, stdout.String())
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Fatalf("%s: err = %v, want one saying %q\n%s", tt.name, err, tt.wantErr, stdout.String())
		}
		if !regexp.MustCompile(tt.wantOut).MatchString(stdout.String()) {
			t.Errorf("%s: printed %q, want %q", tt.name, stdout.String(), tt.wantOut)
		}
	}
}

// /federation-info is read with a deadline and a byte cap, and a node that
// answers it badly pins nothing.
func TestLogWatchHostileFederationInfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		answer  func(w http.ResponseWriter, r *http.Request)
		wantErr string
	}{
		{"oversized", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"log":{"origin":"` + strings.Repeat("x", maxFederationInfo) + `"}}`))
		}, "more than 1048576 bytes"},
		{"stalls", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, "deadline exceeded"},
		{"an error", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		}, "answered 503"},
		{"no log", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"features":[]}`)) }, "announces no transparency log"},
		{"not JSON", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`<html>`)) }, "not the JSON expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(tt.answer))
			t.Cleanup(srv.Close)
			state := filepath.Join(t.TempDir(), "state.json")
			// A second is enough only where the case stalls.
			timeout := "10s"
			if tt.name == "stalls" {
				timeout = "1s"
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"log", "watch", "-once", "-timeout", timeout, "-state", state, srv.URL},
				func(string) string { return "" }, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("watch = %v, want an error saying %q", err, tt.wantErr)
			}
			if _, err := os.Stat(state); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a state file was written (%v): nothing should be pinned", err)
			}
		})
	}
}
