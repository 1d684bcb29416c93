package follow

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pfn-network/pfn/internal/fsdir"
)

// StateFile is the name of the follower's state in its directory. It starts
// with a dot, as no source directory may (checkSegment).
const StateFile = ".pfn-follow.json"

// maxState caps the state file read back (it grows by one line per version).
const maxState = 256 << 20

// State is what the follower keeps across restarts.
type State struct {
	Node   string          `json:"node"`   // the base URL it follows: one directory follows one node
	Cursor string          `json:"cursor"` // the last change applied
	Pins   Pins            `json:"pins"`
	Files  map[string]File `json:"files"` // by fileKey
}

// File is a version the directory holds, verified.
type File struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// fileKey names a version in State.Files and, with ".zip", its file under
// the directory: source/plugin/version.
func fileKey(source, plugin, version string) string {
	return source + "/" + plugin + "/" + version
}

// LoadState reads dir's state; a directory without one starts at the
// beginning with nothing pinned.
func LoadState(dir string) (State, error) {
	path := filepath.Join(dir, StateFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return State{Files: map[string]File{}}, nil
	}
	if err != nil {
		return State{}, err
	}
	defer f.Close()
	var s State
	dec := json.NewDecoder(io.LimitReader(f, maxState))
	if err := dec.Decode(&s); err != nil {
		return State{}, fmt.Errorf("read %s: %w", path, err)
	}
	if s.Files == nil {
		s.Files = map[string]File{}
	}
	if s.Cursor != "" {
		if _, err := ParseCursor(s.Cursor); err != nil {
			return State{}, fmt.Errorf("read %s: %w", path, err)
		}
	}
	return s, nil
}

// Save writes the state atomically: a temporary file, fsynced, renamed over
// the old one, and the directory fsynced; a crash leaves the old state or
// the new one.
func (s State) Save(dir string) error {
	raw, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	return fsdir.WriteAtomic(dir, StateFile, func(f *os.File) error {
		_, err := f.Write(append(raw, '\n'))
		return err
	})
}
