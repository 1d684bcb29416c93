package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/pfn-network/pfn/adapters/blob"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/testservers"
)

// contract is what every blob store must do; it runs against the
// filesystem and against a real S3-protocol server.
func contract(t *testing.T, newStore func(t *testing.T) blob.Store) {
	ctx := context.Background()
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	read := func(t *testing.T, s blob.Store, key string) []byte {
		t.Helper()
		rc, info, err := s.Open(ctx, key)
		if err != nil {
			t.Fatalf("open %s: %v", key, err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil || int64(len(b)) != info.Size {
			t.Fatalf("read %s: %d bytes (info says %d), %v", key, len(b), info.Size, err)
		}
		return b
	}

	t.Run("put then open gives the bytes, size and sha256", func(t *testing.T) {
		s := newStore(t)
		content := bytes.Repeat([]byte("plugin-bytes "), 1000)
		info, err := s.Put(ctx, "src/plugin/1.0.0.zip", bytes.NewReader(content), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if info.Size != int64(len(content)) || info.SHA256 != sum(content) {
			t.Fatalf("info %+v", info)
		}
		if got := read(t, s, "src/plugin/1.0.0.zip"); !bytes.Equal(got, content) {
			t.Fatal("content differs")
		}
		if st, err := s.Stat(ctx, "src/plugin/1.0.0.zip"); err != nil || st.Size != int64(len(content)) {
			t.Fatalf("stat %+v, %v", st, err)
		}
	})

	t.Run("a batch of unsynced puts, then one sync", func(t *testing.T) {
		s := newStore(t)
		var keys []string
		for i := range 5 {
			key := fmt.Sprintf("src/p%d/1.0.%d.zip", i, i)
			content := bytes.Repeat([]byte{byte(i)}, 1000+i)
			info, err := s.PutUnsynced(ctx, key, bytes.NewReader(content), 1<<20)
			if err != nil || info.SHA256 != sum(content) {
				t.Fatalf("put %s: %+v %v", key, info, err)
			}
			keys = append(keys, key)
		}
		if err := s.Sync(ctx, keys); err != nil {
			t.Fatal(err)
		}
		for i, key := range keys {
			if got := read(t, s, key); len(got) != 1000+i {
				t.Fatalf("%s: %d bytes", key, len(got))
			}
		}
		if err := s.Sync(ctx, []string{"../escape"}); !errors.Is(err, domain.ErrInvalidInput) {
			t.Fatalf("sync of an unsafe key: %v", err)
		}
	})

	t.Run("a large object streams through (multipart on S3)", func(t *testing.T) {
		s := newStore(t)
		content := make([]byte, 20<<20)
		for i := range content {
			content[i] = byte(i * 7)
		}
		info, err := s.Put(ctx, "big/object", io.MultiReader(bytes.NewReader(content)), 32<<20)
		if err != nil || info.SHA256 != sum(content) || info.Size != int64(len(content)) {
			t.Fatalf("put: %+v, %v", info, err)
		}
		if !bytes.Equal(read(t, s, "big/object"), content) {
			t.Fatal("content differs")
		}
	})

	t.Run("over the cap: ErrTooLarge and the key keeps what it had", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Put(ctx, "k/v", bytes.NewReader([]byte("old")), 100); err != nil {
			t.Fatal(err)
		}
		_, err := s.Put(ctx, "k/v", bytes.NewReader(make([]byte, 101)), 100)
		if !errors.Is(err, blob.ErrTooLarge) {
			t.Fatalf("put over cap: %v", err)
		}
		if got := read(t, s, "k/v"); string(got) != "old" {
			t.Fatalf("key holds %q after a refused put", got)
		}
		_, err = s.Put(ctx, "k/new", bytes.NewReader(make([]byte, 20<<20)), 10<<20)
		if !errors.Is(err, blob.ErrTooLarge) {
			t.Fatalf("big put over cap: %v", err)
		}
		if _, err := s.Stat(ctx, "k/new"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("refused key exists: %v", err)
		}
	})

	t.Run("a failing reader leaves nothing", func(t *testing.T) {
		s := newStore(t)
		broken := io.MultiReader(bytes.NewReader([]byte("partial")), errReader{})
		if _, err := s.Put(ctx, "broken/obj", broken, 1<<20); err == nil {
			t.Fatal("put from a failing reader succeeded")
		}
		if _, err := s.Stat(ctx, "broken/obj"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("partial object exists: %v", err)
		}
	})

	t.Run("missing objects", func(t *testing.T) {
		s := newStore(t)
		if _, _, err := s.Open(ctx, "no/such"); !errors.Is(err, blob.ErrNotFound) || !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("open: %v", err)
		}
		if _, err := s.Stat(ctx, "no/such"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("stat: %v", err)
		}
		if err := s.Delete(ctx, "no/such"); err != nil {
			t.Fatalf("delete: %v", err)
		}
	})

	t.Run("delete removes", func(t *testing.T) {
		s := newStore(t)
		_, _ = s.Put(ctx, "d/x", bytes.NewReader([]byte("x")), 10)
		if err := s.Delete(ctx, "d/x"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, "d/x"); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("stat after delete: %v", err)
		}
	})

	t.Run("unsafe keys are refused", func(t *testing.T) {
		s := newStore(t)
		for _, key := range []string{"", "../escape", "a/../../b", "/abs", "a//b", "a/./b", "back\\slash", "nul\x00"} {
			if _, err := s.Put(ctx, key, bytes.NewReader([]byte("x")), 10); !errors.Is(err, domain.ErrInvalidInput) {
				t.Errorf("put %q: %v", key, err)
			}
		}
	})

	t.Run("concurrent writers of different keys", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Put(ctx, fmt.Sprintf("c/%d", i), bytes.NewReader(bytes.Repeat([]byte{byte(i)}, 1000)), 2000)
			}()
		}
		wg.Wait()
		for i := range 8 {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			if got := read(t, s, fmt.Sprintf("c/%d", i)); !bytes.Equal(got, bytes.Repeat([]byte{byte(i)}, 1000)) {
				t.Fatalf("object %d holds another writer's bytes", i)
			}
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset by publisher") }

func TestFileStore(t *testing.T) {
	contract(t, func(t *testing.T) blob.Store {
		s, err := blob.NewFileStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestS3Store(t *testing.T) {
	srv := testservers.StartVersityGW(t)
	n := 0
	contract(t, func(t *testing.T) blob.Store {
		n++
		return newBucketStore(t, srv, fmt.Sprintf("contract-%d", n))
	})
}

func TestOpenSpec(t *testing.T) {
	dir := t.TempDir()
	for _, spec := range []string{dir, "file://" + dir} {
		s, err := blob.Open(context.Background(), spec)
		if _, ok := s.(*blob.FileStore); err != nil || !ok {
			t.Errorf("Open(%q) = %T, %v", spec, s, err)
		}
	}
	s, err := blob.Open(context.Background(), "s3://bucket?endpoint=http://127.0.0.1:1&region=eu-west-1")
	if _, ok := s.(*blob.S3Store); err != nil || !ok {
		t.Errorf("Open(s3) = %T, %v", s, err)
	}
	if _, err := blob.Open(context.Background(), "ftp://x"); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("Open(ftp) = %v", err)
	}
}
