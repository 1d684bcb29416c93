package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// noBlobs fails a test that reads a stored file.
type noBlobs struct{ t *testing.T }

func (b noBlobs) Open(context.Context, string) (io.ReadCloser, int64, error) {
	b.t.Error("the blob store was opened for a copy known to be damaged")
	return nil, 0, errors.New("not to be opened")
}

// A copy the recheck found damaged is refused before anything is sent:
// 503 with a JSON body naming what was found, and the file is not opened.
func TestDownloadOfADamagedCopyIsRefusedWithTheReason(t *testing.T) {
	t.Parallel()
	found := time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)
	view := app.PluginView{Plugin: "tool", SourceID: "alice@a.example", Version: "1.0.0", SHA256: "aa", Size: 10, BlobKey: "k",
		StoredCopy: app.StoredCopy{Damage: "missing: the stored file is gone", FoundAt: &found}}
	addr := serveLimited(t, httpapi.Deps{App: &httpapi.App{Authenticate: keys{}, PublicCatalog: true,
		FindPlugin: app.FindPlugin{Plugins: onePlugin{view}}, Blobs: noBlobs{t}}})
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequest(method, "http://"+addr+"/federation/download?source=alice%40a.example&plugin=tool", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error string }
		decodeErr := json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("%s of a damaged copy = %d, want 503", method, resp.StatusCode)
		}
		if method == http.MethodGet && (decodeErr != nil || !strings.Contains(body.Error, "missing: the stored file is gone") ||
			!strings.Contains(body.Error, "2026-12-01T15:00:00Z")) {
			t.Fatalf("body %+v (%v) does not name the damage and when it was found", body, decodeErr)
		}
	}
}
