package publisher_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/adapters/publisher"
	"github.com/pfn-network/pfn/domain"
)

const (
	fileSHA  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	otherSHA = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
)

// Revalidate sends one conditional HEAD and reads a 304 or the sha256 the
// headers name; whatever else a publisher sends names nothing.
func TestRevalidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		headers map[string][]string
		want    publisher.Validation
		wantErr error
	}{
		{name: "304 for the sha256", status: http.StatusNotModified, want: publisher.Validation{NotModified: true}},
		{name: "X-Content-SHA256", status: 200, headers: map[string][]string{"X-Content-SHA256": {otherSHA}}, want: publisher.Validation{SHA256: otherSHA}},
		{name: "X-Content-SHA256 in upper case", status: 200, headers: map[string][]string{"X-Content-SHA256": {strings.ToUpper(fileSHA)}}, want: publisher.Validation{SHA256: fileSHA}},
		{name: "a strong ETag that is a sha256", status: 200, headers: map[string][]string{"ETag": {`"` + otherSHA + `"`}}, want: publisher.Validation{SHA256: otherSHA}},
		{name: "X-Content-SHA256 before the ETag", status: 200,
			headers: map[string][]string{"X-Content-SHA256": {fileSHA}, "ETag": {`"` + otherSHA + `"`}}, want: publisher.Validation{SHA256: fileSHA}},
		{name: "a malformed X-Content-SHA256 falls back to the ETag", status: 200,
			headers: map[string][]string{"X-Content-SHA256": {"sha256=" + fileSHA}, "ETag": {`"` + otherSHA + `"`}}, want: publisher.Validation{SHA256: otherSHA}},
		{name: "a weak ETag (express.static's kind)", status: 200, headers: map[string][]string{"ETag": {`W/"` + fileSHA + `"`}}},
		{name: "an ETag that is not a sha256", status: 200, headers: map[string][]string{"ETag": {`"5e1f-18c7a1b2c3d"`}}},
		{name: "an unquoted ETag", status: 200, headers: map[string][]string{"ETag": {fileSHA}}},
		{name: "two X-Content-SHA256 values", status: 200, headers: map[string][]string{"X-Content-SHA256": {fileSHA, otherSHA}}},
		{name: "a huge X-Content-SHA256", status: 200, headers: map[string][]string{"X-Content-SHA256": {strings.Repeat("a", 40000)}}},
		{name: "no validator at all", status: 200},
		{name: "no HEAD (405)", status: http.StatusMethodNotAllowed},
		{name: "no HEAD (501)", status: http.StatusNotImplemented},
		{name: "gone", status: http.StatusNotFound, wantErr: publisher.ErrIncompatible},
		{name: "a header block over the cap", status: 200, headers: map[string][]string{"X-Junk": {strings.Repeat("j", 70000)}}, wantErr: publisher.ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var gotMethod, gotTag string
			srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
				gotMethod, gotTag = r.Method, r.Header.Get("If-None-Match")
				for k, vs := range tt.headers {
					w.Header()[k] = vs
				}
				w.WriteHeader(tt.status)
			})
			got, err := lenient(publisher.Config{}).Revalidate(t.Context(), srv.URL+"/p/tool.zip", fileSHA)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Fatalf("Revalidate = %+v, %v; want %+v, %v", got, err, tt.want, tt.wantErr)
			}
			if err != nil {
				checkMessage(t, err, "HEAD "+srv.URL+"/p/tool.zip: ")
			}
			if gotMethod != http.MethodHead || gotTag != strconv.Quote(fileSHA) {
				t.Fatalf("the publisher saw %s with If-None-Match %q", gotMethod, gotTag)
			}
		})
	}
}

// A publisher that holds the answer back is cut at the caller's deadline.
func TestRevalidateOfASlowPublisherEndsAtTheDeadline(t *testing.T) {
	t.Parallel()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := lenient(publisher.Config{}).Revalidate(ctx, srv.URL+"/p/tool.zip", fileSHA)
	if !errors.Is(err, publisher.ErrUnreachable) || time.Since(start) > 1500*time.Millisecond {
		t.Fatalf("Revalidate = %v after %s", err, time.Since(start))
	}
}

func TestRevalidateRefusesWhatIsNotAskable(t *testing.T) {
	t.Parallel()
	c := lenient(publisher.Config{})
	if _, err := c.Revalidate(t.Context(), "ftp://h.example/x.zip", fileSHA); !errors.Is(err, publisher.ErrIncompatible) {
		t.Errorf("ftp URL: %v", err)
	}
	if _, err := c.Revalidate(t.Context(), "https://h.example/x.zip", `x" , "y`); !errors.Is(err, domain.ErrInvalidInput) {
		t.Errorf("a sha256 that would inject into the header: %v", err)
	}
}
