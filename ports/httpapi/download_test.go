package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/blob"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// onePlugin stands in for the mirrored_plugins read model (tested on its
// own): one version whose file is in the blob store under key.
type onePlugin struct{ view app.PluginView }

func (p onePlugin) ListPlugins(context.Context, app.PluginQuery) ([]app.PluginView, error) {
	return []app.PluginView{p.view}, nil
}

func (p onePlugin) PluginVersions(context.Context, string, string) ([]app.PluginView, error) {
	return []app.PluginView{p.view}, nil
}

type blobOpener struct{ s blob.Store }

func (b blobOpener) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	rc, info, err := b.s.Open(ctx, key)
	return rc, info.Size, err
}

// A download streams under the minimum-rate rule, not a fixed deadline: a
// client that keeps up takes as long as it needs (longer than the read
// timeout and the request deadline), one that stops reading is cut off.
func TestDownloadsStreamUnderAMinimumRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := blob.Open(ctx, "file://"+filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	const size = 24 << 20 // more than the sockets' buffers hold
	content := make([]byte, size)
	_, _ = rand.Read(content)
	if _, err := store.Put(ctx, "p/tool-1.0.0.zip", bytes.NewReader(content), size); err != nil {
		t.Fatal(err)
	}
	find := app.FindPlugin{Plugins: onePlugin{app.PluginView{Plugin: "tool", SourceID: "alice@a.example", Version: "1.0.0",
		SHA256: fmt.Sprintf("%x", sha256.Sum256(content)), Size: size, BlobKey: "p/tool-1.0.0.zip"}}}
	addr := serveLimited(t, httpapi.Deps{
		App: &httpapi.App{Authenticate: keys{}, PublicCatalog: true, FindPlugin: find, Blobs: blobOpener{store}},
		// A 4 s grace per write: a loaded CI machine (-race, two cores, two
		// test runs at once) held the reading goroutine past 2 s; the client
		// that stops reading sleeps 7 s, past the grace either way. The
		// request deadline is longer than one blocked write may last (grace
		// plus a chunk at the minimum rate), as the defaults have it (30 s
		// against 18 s): a handler that sent nothing for that long has
		// stalled.
		Limits: httpapi.Limits{ReadTimeout: time.Second, RequestTimeout: 5 * time.Second, WriteTimeout: 6 * time.Second,
			MinRate: 256 << 10, StreamGrace: 4 * time.Second},
	})
	request := "GET /federation/download?source=alice%40a.example&plugin=tool HTTP/1.1\r\nHost: x\r\n\r\n"

	t.Run("a client that keeps up gets the whole file", func(t *testing.T) {
		t.Parallel()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, request); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("download = %v, %v", resp, err)
		}
		// 2 MiB then a pause: about 4 s or more in all, past the read timeout
		// and the request deadline.
		var got bytes.Buffer
		for got.Len() < size {
			if _, err := io.CopyN(&got, resp.Body, 2<<20); err != nil {
				t.Fatalf("after %d bytes: %v", got.Len(), err)
			}
			time.Sleep(600 * time.Millisecond) // 12 pauses: past the request deadline
		}
		if !bytes.Equal(got.Bytes(), content) {
			t.Fatalf("got %d bytes, want the %d-byte file whole", got.Len(), size)
		}
	})

	t.Run("a client that stops reading is cut off", func(t *testing.T) {
		t.Parallel()
		d := net.Dialer{}
		conn, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.(*net.TCPConn).SetReadBuffer(4096)
		if _, err := io.WriteString(conn, request); err != nil {
			t.Fatal(err)
		}
		time.Sleep(7 * time.Second) // the server's writes block, then pass their deadline
		// Reading again at full speed would get the rest in far less than
		// this, had the server not dropped the transfer. (Whether the end
		// shows as EOF, a reset or silence depends on the kernel.)
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := io.Copy(io.Discard, conn)
		if n >= size {
			t.Fatalf("a client that stopped reading still got all %d bytes", n)
		}
		t.Logf("cut off after %d of %d bytes (%v)", n, size, err)
	})
}
