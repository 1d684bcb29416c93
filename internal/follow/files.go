package follow

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/pfn-network/pfn/internal/fsdir"
)

// A version's file is DIR/<source id>/<plugin>/<version>.zip: every segment
// was checked by ParsePage to be one safe directory entry.
func filePath(dir, key string) string {
	return filepath.Join(dir, filepath.FromSlash(key)+".zip")
}

// hashFile is the sha256 and size of a file, reading at most limit+1 bytes
// (more is another file than the one wanted anyway); ok is false when there
// is no such file.
func hashFile(path string, limit int64) (sum string, size int64, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, limit+1))
	if err != nil {
		return "", 0, false, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, true, nil
}

// sizeOf is a file's size, -1 when it is missing.
func sizeOf(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return st.Size()
}

// removeFile deletes a version's file, and its plugin and source
// directories once empty; a missing file is not an error.
func removeFile(dir, key string) error {
	path := filePath(dir, key)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for d := filepath.Dir(path); strings.HasPrefix(d, dir+string(filepath.Separator)); d = filepath.Dir(d) {
		if os.Remove(d) != nil { // not empty (or gone): stop
			break
		}
	}
	return fsdir.Sync(dir)
}
