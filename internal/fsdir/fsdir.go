// Package fsdir holds what the node's file writers share: making a rename
// or a new file in a directory durable.
package fsdir

import "os"

// Sync flushes dir's entries to disk: a file renamed or created in it is
// there after a crash only once its directory is synced too.
func Sync(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
