package fsdir_test

import (
	"errors"
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

func TestWriteAtomic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	put := func(s string) func(*os.File) error {
		return func(f *os.File) error { _, err := f.WriteString(s); return err }
	}
	for _, s := range []string{"first", "second"} {
		if err := fsdir.WriteAtomic(dir, "state.json", put(s)); err != nil {
			t.Fatal(err)
		}
		if got, err := os.ReadFile(filepath.Join(dir, "state.json")); err != nil || string(got) != s {
			t.Fatalf("after writing %q the file holds %q, %v", s, got, err)
		}
	}
	refused := errors.New("refused")
	err := fsdir.WriteAtomic(dir, "state.json", func(f *os.File) error { _, _ = f.WriteString("part"); return refused })
	if err != refused {
		t.Errorf("WriteAtomic = %v, want the writer's own error", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "state.json")); string(got) != "second" {
		t.Errorf("a failed write left %q, want the old file", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}
}
