package fsdir_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pfn-network/pfn/internal/fsdir"
)

func TestSync(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := fsdir.Sync(dir); err != nil {
		t.Errorf("Sync(%q) = %v", dir, err)
	}
	if err := fsdir.Sync(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("Sync of a missing directory = %v, want a not-exist error", err)
	}
}
