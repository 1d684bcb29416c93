package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pfn-network/pfn/adapters/blob"
	"github.com/pfn-network/pfn/adapters/publisher"
)

// These tests run a sync's downloads (fetchAll) against a real HTTP
// publisher (httptest) through the real publisher client into a real file
// blob store, with the order of the publisher's answers under the test's
// control.

type clientCatalog struct{ c *publisher.Client }

func (clientCatalog) AuthorData(context.Context, string, string) ([]ListedPlugin, error) {
	return nil, errors.New("not used by these tests")
}

func (k clientCatalog) Download(ctx context.Context, url string) (io.ReadCloser, error) {
	return k.c.Download(ctx, url)
}

// fileBlobs stores in a FileStore and tells onRead how many bytes of each
// key it has read so far, and the read's error (io.EOF at the end).
type fileBlobs struct {
	s      *blob.FileStore
	onRead func(key string, total int64, err error)
}

func (b fileBlobs) Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (StoredBlob, error) {
	info, err := b.s.PutUnsynced(ctx, key, &watchedReader{r: r, key: key, onRead: b.onRead}, maxBytes)
	return StoredBlob{Size: info.Size, SHA256: info.SHA256}, err
}

func (b fileBlobs) Sync(ctx context.Context, keys []string) error { return b.s.Sync(ctx, keys) }
func (b fileBlobs) Delete(ctx context.Context, key string) error  { return b.s.Delete(ctx, key) }
func (b fileBlobs) has(t *testing.T, key string) bool {
	_, err := b.s.Stat(t.Context(), key)
	return err == nil
}

type watchedReader struct {
	r      io.Reader
	key    string
	total  int64
	onRead func(string, int64, error)
}

func (w *watchedReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	w.total += int64(n)
	if w.onRead != nil {
		w.onRead(w.key, w.total, err)
	}
	return n, err
}

func fetchSetup(t *testing.T, h http.HandlerFunc, onRead func(string, int64, error), parallelism int) (SyncSource, fileBlobs, string) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	store, err := blob.NewFileStore(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	blobs := fileBlobs{s: store, onRead: onRead}
	return SyncSource{Catalog: clientCatalog{publisher.New(publisher.Config{AllowPrivateNetworks: true})},
		Blobs: blobs, MaxBytes: 1 << 20, Parallelism: parallelism}, blobs, srv.URL
}

func toFetch(base string, names ...string) []*download {
	var out []*download
	for _, n := range names {
		out = append(out, &download{plugin: ListedPlugin{Slug: n, Version: "1.0.0"}, url: base + "/" + n + ".zip",
			key: "plugins/s/" + n + "@1.0.0.zip"})
	}
	return out
}

func isQuota(err error) bool {
	var be *budgetError
	return errors.As(err, &be) && !be.deferred && strings.HasPrefix(be.reason, "quota: ")
}

// A quota of 1,000 bytes, a 4,096-byte file and a 600-byte one downloaded
// side by side. The big one announces its length and is refused before it
// draws anything, so the small one, which fits, is stored whatever the
// order. (Drawn only while streaming, the big file had drawn 500 bytes
// when the small one arrived, and the small one was refused quota and
// recorded so, while the big one failed anyway.)
func TestFetchReservesTheAnnouncedLength(t *testing.T) {
	t.Parallel()
	// The big file sends 500 bytes, then nothing until the node is done
	// with the small one; the small one is sent once the node has read
	// those 500 bytes (or let go of the big file).
	bigDrew, bigGone, smallDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var drewOnce, doneOnce sync.Once
	h, blobs, base := fetchSetup(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big.zip":
			defer close(bigGone)
			w.Header().Set("Content-Length", "4096")
			w.Write([]byte(strings.Repeat("b", 500)))
			w.(http.Flusher).Flush()
			select { // the rest never comes: the big file fails in any case
			case <-smallDone:
			case <-r.Context().Done():
			}
		case "/small.zip":
			select {
			case <-bigDrew:
			case <-bigGone:
			}
			w.Header().Set("Content-Length", "600")
			w.Write([]byte(strings.Repeat("s", 600)))
		}
	}, func(key string, total int64, err error) {
		switch {
		case strings.Contains(key, "big@") && total >= 500:
			drewOnce.Do(func() { close(bigDrew) })
		case strings.Contains(key, "small@") && err != nil: // stored, or refused
			doneOnce.Do(func() { close(smallDone) })
		}
	}, 2)
	t.Cleanup(func() { doneOnce.Do(func() { close(smallDone) }) })
	todo := toFetch(base, "big", "small")
	budget := newSyncBudget(0, 1000, 0)
	h.fetchAll(t.Context(), todo, budget)
	if big := todo[0]; !isQuota(big.err) || blobs.has(t, big.key) {
		t.Fatalf("the 4096-byte file: %v", big.err)
	}
	wantStored(t, blobs, todo[1], 600, budget, 400)
}

// wantStored checks that d was stored with size bytes and that the budget
// has quotaLeft bytes left of its quota.
func wantStored(t *testing.T, blobs fileBlobs, d *download, size int64, budget *syncBudget, quotaLeft int64) {
	t.Helper()
	if d.err != nil || d.stored.Size != size || !blobs.has(t, d.key) {
		t.Fatalf("%s of %d bytes: %v (stored %d bytes)", d.plugin.Slug, size, d.err, d.stored.Size)
	}
	if budget.quotaLeft != quotaLeft {
		t.Fatalf("quota left %d, want %d", budget.quotaLeft, quotaLeft)
	}
}

// A file whose sha256 is not the one listed is not kept, and gives back
// what it drew before the next download needs it: a quota with room for
// one file stores the good file after the bad one. (It used to keep the
// bad file's bytes, and the good one was refused quota.)
func TestFetchGivesBackAFileWithTheWrongSHA256(t *testing.T) {
	t.Parallel()
	h, blobs, base := fetchSetup(t, func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("z", 600)))
	}, nil, 1)
	todo := toFetch(base, "bad", "good")
	todo[0].plugin.SHA256 = strings.Repeat("0", 64)
	budget := newSyncBudget(0, 1000, 0)
	h.fetchAll(t.Context(), todo, budget)
	if bad := todo[0]; bad.err == nil || !strings.HasPrefix(bad.err.Error(), "downloaded file has sha256 ") || blobs.has(t, bad.key) {
		t.Fatalf("the file with the wrong sha256: %v (kept: %v)", bad.err, blobs.has(t, bad.key))
	}
	wantStored(t, blobs, todo[1], 600, budget, 400)
}

// Answers without a length are counted while streaming; one that announces
// more than PFN_MAX_PLUGIN_BYTES is refused before its body is read; one
// that fits draws exactly its length.
func TestFetchCountsWhatIsNotAnnounced(t *testing.T) {
	t.Parallel()
	h, blobs, base := fetchSetup(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked.zip": // 1,500 bytes, no length
			for range 3 {
				w.Write([]byte(strings.Repeat("c", 500)))
				w.(http.Flusher).Flush()
			}
		case "/huge.zip":
			w.Header().Set("Content-Length", strconv.Itoa(2<<20))
			w.Write([]byte(strings.Repeat("h", 1000)))
		default:
			w.Write([]byte(strings.Repeat("f", 700)))
		}
	}, nil, 1)
	todo := toFetch(base, "chunked", "huge", "fits")
	budget := newSyncBudget(1000, 0, 0)
	h.fetchAll(t.Context(), todo, budget)
	var be *budgetError
	if !errors.As(todo[0].err, &be) || !be.deferred || blobs.has(t, todo[0].key) {
		t.Fatalf("1,500 bytes without a length under a sync budget of 1,000: %v", todo[0].err)
	}
	if err := todo[1].err; err == nil || !strings.Contains(err.Error(), "announces more than 1048576 bytes (PFN_MAX_PLUGIN_BYTES)") {
		t.Fatalf("a file announcing 2 MiB: %v", err)
	}
	if todo[2].err != nil || budget.syncLeft != 300 {
		t.Fatalf("a 700-byte file: %v, %d bytes left of 1,000", todo[2].err, budget.syncLeft)
	}
}
