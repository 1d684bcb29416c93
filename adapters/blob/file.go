package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/pfn-network/pfn/internal/fsdir"
)

// FileStore keeps objects as files under a root directory.
type FileStore struct {
	root string
}

// NewFileStore creates root if needed.
func NewFileStore(root string) (*FileStore, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("blob root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("create blob root: %w", err)
	}
	return &FileStore{root: abs}, nil
}

func (s *FileStore) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

// Put writes to a temporary file in the target directory, fsyncs it, then
// renames it over the key and fsyncs the directory: a crash leaves either
// the old object, the new one, or a stray temporary file, never a torn one.
func (s *FileStore) Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (Info, error) {
	return s.put(ctx, key, r, maxBytes, true)
}

// PutUnsynced stores like Put, its content fsynced, but leaves the
// directory entry to a later Sync of the key: fifty files then cost fifty
// file flushes (overlapping the downloads, as any careful copy does) and one
// round of directory flushes, instead of a hundred flushes in turn. Until
// Sync returns, a power loss may leave the key missing; callers record
// nothing that points at it before then.
func (s *FileStore) PutUnsynced(ctx context.Context, key string, r io.Reader, maxBytes int64) (Info, error) {
	return s.put(ctx, key, r, maxBytes, false)
}

func (s *FileStore) put(ctx context.Context, key string, r io.Reader, maxBytes int64, syncDirectory bool) (Info, error) {
	if err := checkKey(key); err != nil {
		return Info{}, err
	}
	dst := s.path(key)
	dir := filepath.Dir(dst)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(dir, ".put-*")
	if err != nil {
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	m := newMeter(contextReader{ctx, r}, maxBytes)
	// A larger buffer than io.Copy's 32 KiB: fewer write calls per file.
	buf := copyBuffers.Get().(*[]byte)
	_, err = io.CopyBuffer(tmp, m, *buf)
	copyBuffers.Put(buf)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err == nil && syncDirectory {
		err = fsdir.Sync(dir)
	}
	if err != nil {
		return Info{}, fmt.Errorf("put %s: %w", key, err)
	}
	return m.info(key), nil
}

// Sync makes the names of objects stored with PutUnsynced durable: it
// flushes every directory between them and the root (MkdirAll may have
// created some), each once, a few at a time.
func (s *FileStore) Sync(ctx context.Context, keys []string) error {
	dirs := map[string]bool{}
	for _, key := range keys {
		if err := checkKey(key); err != nil {
			return err
		}
		for d := filepath.Dir(s.path(key)); len(d) >= len(s.root) && !dirs[d]; d = filepath.Dir(d) {
			dirs[d] = true
		}
	}
	dirList := make([]string, 0, len(dirs))
	for d := range dirs {
		dirList = append(dirList, d)
	}
	return syncAll(ctx, dirList, fsdir.Sync)
}

// syncAll runs fsync over paths four at a time: the filesystem batches
// concurrent flushes into fewer journal commits.
func syncAll(ctx context.Context, paths []string, sync func(string) error) error {
	sem := make(chan struct{}, 4)
	errs := make(chan error, len(paths))
	for _, p := range paths {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		go func() {
			defer func() { <-sem }()
			if err := sync(p); err != nil {
				errs <- fmt.Errorf("sync %s: %w", p, err)
			}
		}()
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
	close(errs)
	return <-errs // nil when none failed
}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// Open returns the object's content; the caller closes it.
func (s *FileStore) Open(_ context.Context, key string) (io.ReadCloser, Info, error) {
	if err := checkKey(key); err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("open %s: %w", key, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("open %s: %w", key, err)
	}
	return f, Info{Key: key, Size: st.Size()}, nil
}

// Stat reports the object's size.
func (s *FileStore) Stat(_ context.Context, key string) (Info, error) {
	if err := checkKey(key); err != nil {
		return Info{}, err
	}
	st, err := os.Stat(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	if err != nil {
		return Info{}, fmt.Errorf("stat %s: %w", key, err)
	}
	return Info{Key: key, Size: st.Size()}, nil
}

// Delete removes the object; deleting a missing one is not an error.
func (s *FileStore) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	err := os.Remove(s.path(key))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

// contextReader stops a copy when the context ends.
type contextReader struct {
	ctx context.Context
	r   io.Reader
}

func (c contextReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
