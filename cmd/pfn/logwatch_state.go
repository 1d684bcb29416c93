package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/mod/sumdb/note"

	"github.com/pfn-network/pfn/internal/fsdir"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// maxLogWatchState caps the state file read back: four short strings.
const maxLogWatchState = 1 << 20

// logWatchState is what pfn log watch keeps between rounds and runs.
type logWatchState struct {
	URL         string `json:"url"`          // the node watched: one state file watches one log
	Origin      string `json:"origin"`       // the log's origin, the name of its key
	VerifierKey string `json:"verifier_key"` // pinned at first use, or by -key
	Checkpoint  string `json:"checkpoint"`   // the signed checkpoint last verified; "" before the first
}

// loadLogWatchState reads the state; no file is a first run.
func loadLogWatchState(path string) (logWatchState, error) {
	var st logWatchState
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	defer f.Close()
	if err := json.NewDecoder(io.LimitReader(f, maxLogWatchState)).Decode(&st); err != nil {
		return st, fmt.Errorf("read %s: %w", path, err)
	}
	if st.VerifierKey != "" {
		if _, err := st.verifier(); err != nil {
			return st, fmt.Errorf("read %s: %w", path, err)
		}
	}
	if _, err := st.trusted(); err != nil {
		return st, fmt.Errorf("read %s: %w", path, err)
	}
	return st, nil
}

// save writes the state atomically beside where it is read from.
func (st logWatchState) save(path string) error {
	raw, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	return fsdir.WriteAtomic(filepath.Dir(path), filepath.Base(path), func(f *os.File) error {
		_, err := f.Write(append(raw, '\n'))
		return err
	})
}

// verifier is the pinned key, which must be named after the log's origin.
func (st logWatchState) verifier() (note.Verifier, error) {
	v, err := note.NewVerifier(st.VerifierKey)
	if err != nil {
		return nil, fmt.Errorf("verifier key %q: %w", st.VerifierKey, err)
	}
	if v.Name() != st.Origin {
		return nil, fmt.Errorf("verifier key %q is named %q, the log's origin is %q", st.VerifierKey, v.Name(), st.Origin)
	}
	return v, nil
}

// trusted is the checkpoint last verified (nil: none yet). Its signature
// was checked when it was taken and is not again: a key pinned anew with
// -key does not verify what the old key signed, and the file is the
// watcher's own.
func (st logWatchState) trusted() (*tlogtiles.Checkpoint, error) {
	if st.Checkpoint == "" {
		return nil, nil
	}
	c, err := tlogtiles.ParseSignedCheckpoint([]byte(st.Checkpoint))
	if err != nil {
		return nil, fmt.Errorf("the checkpoint kept: %w", err)
	}
	if c.Origin != st.Origin {
		return nil, fmt.Errorf("the checkpoint kept is of log %q, not %q", c.Origin, st.Origin)
	}
	return &c, nil
}
