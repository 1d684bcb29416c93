package fsdir

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteAtomic creates dir/name (and dir) through a temporary file in dir
// that write fills: fsynced, renamed over any old file, and dir synced, so
// a crash leaves the old file or the new one, never a part. An error of
// write's is returned as it is (a caller's verification failure stays
// one), and the temporary file is removed.
func WriteAtomic(dir, name string, write func(*os.File) error) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	err = tmp.Sync()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err == nil {
		err = Sync(dir)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}
