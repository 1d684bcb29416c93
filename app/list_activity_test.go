package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// feed is an in-memory activity read model: entries with seq 1..n, kinds
// in turn from kinds; it answers a query as the table does.
type feed struct {
	entries []app.ActivityEntry
	asked   []app.ActivityQuery
}

func newFeed(n int, kinds ...string) *feed {
	f := &feed{}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		e := app.ActivityEntry{Seq: int64(i), Kind: kinds[(i-1)%len(kinds)], SourceID: "author@example.org", At: t0.Add(time.Duration(i) * time.Second)}
		if e.Kind != "verified" {
			e.Plugin = "tool"
		}
		f.entries = append(f.entries, e)
	}
	return f
}

func (f *feed) Activity(_ context.Context, q app.ActivityQuery) ([]app.ActivityEntry, error) {
	f.asked = append(f.asked, q)
	out := []app.ActivityEntry{}
	for i := len(f.entries) - 1; i >= 0; i-- {
		e := f.entries[i]
		if (q.Before == 0 || e.Seq < q.Before) && (len(q.Kinds) == 0 || slices.Contains(q.Kinds, e.Kind)) {
			out = append(out, e)
		}
	}
	out = out[min(q.Offset, len(out)):]
	return out[:min(q.Limit, len(out))], nil
}

func seqs(es []app.ActivityEntry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func TestListActivityPaging(t *testing.T) {
	t.Parallel()
	admin := app.Principal{KeyID: "key_a", Role: domain.RoleAdmin}
	for _, tc := range []struct {
		name       string
		p          app.ActivityParams
		want       []int64
		wantCursor string
		wantErr    string // a word the message must contain; "" for none
	}{
		{name: "newest first, default page", p: app.ActivityParams{}, want: []int64{60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11}, wantCursor: "11"},
		{name: "limit", p: app.ActivityParams{Limit: "3"}, want: []int64{60, 59, 58}, wantCursor: "58"},
		{name: "cursor", p: app.ActivityParams{Limit: "3", Cursor: "58"}, want: []int64{57, 56, 55}, wantCursor: "55"},
		{name: "offset", p: app.ActivityParams{Limit: "3", Offset: "3"}, want: []int64{57, 56, 55}, wantCursor: "55"},
		{name: "offset zero", p: app.ActivityParams{Limit: "2", Offset: "0"}, want: []int64{60, 59}, wantCursor: "59"},
		{name: "offset to the last page", p: app.ActivityParams{Limit: "5", Offset: "57"}, want: []int64{3, 2, 1}},
		{name: "offset past the end", p: app.ActivityParams{Offset: "100000"}, want: []int64{}},
		{name: "original: only version updates and verifications, 20 a page", p: app.ActivityParams{OriginalOnly: true},
			want: []int64{59, 58, 56, 55, 53, 52, 50, 49, 47, 46, 44, 43, 41, 40, 38, 37, 35, 34, 32, 31}, wantCursor: "31"},
		{name: "original with limit and offset", p: app.ActivityParams{OriginalOnly: true, Limit: "2", Offset: "2"}, want: []int64{56, 55}, wantCursor: "55"},
		{name: "negative offset", p: app.ActivityParams{Offset: "-1"}, wantErr: "offset"},
		{name: "offset not a number", p: app.ActivityParams{Offset: "1e3"}, wantErr: "offset"},
		{name: "offset too far", p: app.ActivityParams{Offset: "100001"}, wantErr: "offset"},
		{name: "offset and cursor", p: app.ActivityParams{Offset: "2", Cursor: "40"}, wantErr: "offset cannot be combined with cursor"},
		{name: "limit zero", p: app.ActivityParams{Limit: "0"}, wantErr: "limit"},
		{name: "limit too big", p: app.ActivityParams{Limit: "501"}, wantErr: "limit"},
		{name: "bad cursor", p: app.ActivityParams{Cursor: "x"}, wantErr: "cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFeed(60, "version_updated", "verified", "error")
			page, err := app.ListActivity{Reader: f}.Handle(context.Background(), admin, tc.p)
			if tc.wantErr != "" {
				if !errors.Is(err, domain.ErrInvalidInput) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want invalid input naming %q", err, tc.wantErr)
				}
				if len(f.asked) != 0 {
					t.Fatalf("the read model was asked %v for invalid input", f.asked)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := seqs(page.Entries); !slices.Equal(got, tc.want) || page.NextCursor != tc.wantCursor {
				t.Fatalf("entries %v, nextCursor %q; want %v, %q", got, page.NextCursor, tc.want, tc.wantCursor)
			}
			if !reflect.DeepEqual(page.Entries, page.Activities) {
				t.Fatalf("activities %+v differ from entries %+v", page.Activities, page.Entries)
			}
		})
	}
}

func TestListActivityOriginalFields(t *testing.T) {
	t.Parallel()
	admin := app.Principal{KeyID: "key_a", Role: domain.RoleAdmin}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	str := func(s string) *string { return &s }
	f := &feed{entries: []app.ActivityEntry{
		{Seq: 1, Kind: "mirrored", SourceID: "author@example.org", Plugin: "tool", At: at,
			OriginalActivity: app.OriginalActivity{SourceUsername: "author", PluginName: str("Tool"), OldVersion: str("0.0.0"), NewVersion: str("1.0.0")}},
		{Seq: 2, Kind: "version_updated", SourceID: "author@example.org", Plugin: "tool", At: at.Add(time.Second),
			OriginalActivity: app.OriginalActivity{SourceUsername: "author", PluginName: str("Tool"), OldVersion: str("1.0.0"), NewVersion: str("1.1.0")}},
		{Seq: 3, Kind: "verified", SourceID: "author@example.org", At: at.Add(2 * time.Second),
			OriginalActivity: app.OriginalActivity{SourceUsername: "author"}},
		{Seq: 4, Kind: "verification_failed", SourceID: "author@example.org", At: at.Add(3 * time.Second),
			OriginalActivity: app.OriginalActivity{SourceUsername: "author"}},
		{Seq: 5, Kind: "tampering", SourceID: "author@example.org", Plugin: "tool", At: at.Add(4 * time.Second),
			OriginalActivity: app.OriginalActivity{SourceUsername: "author", PluginName: str("Tool")}},
	}}
	page, err := app.ListActivity{Reader: f}.Handle(context.Background(), admin, app.ActivityParams{})
	if err != nil {
		t.Fatal(err)
	}
	var got []app.OriginalActivity
	for _, e := range page.Entries {
		got = append(got, e.OriginalActivity)
	}
	u := at.Unix()
	want := []app.OriginalActivity{
		{Type: "tampering", PluginID: str("tool"), PluginName: str("Tool"), SourceID: "author@example.org", SourceUsername: "author", Timestamp: u + 4},
		{Type: "source_verification", SourceID: "author@example.org", SourceUsername: "author", Timestamp: u + 3},
		{Type: "source_verification", SourceID: "author@example.org", SourceUsername: "author", Timestamp: u + 2},
		{Type: "version_update", PluginID: str("tool"), PluginName: str("Tool"), SourceID: "author@example.org", SourceUsername: "author",
			OldVersion: str("1.0.0"), NewVersion: str("1.1.0"), Timestamp: u + 1},
		{Type: "version_update", PluginID: str("tool"), PluginName: str("Tool"), SourceID: "author@example.org", SourceUsername: "author",
			OldVersion: str("0.0.0"), NewVersion: str("1.0.0"), Timestamp: u},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("original fields:\n got %s\nwant %s", show(got), show(want))
	}
	if _, err := (app.ListActivity{Reader: f}).Handle(context.Background(), app.Principal{Role: domain.RoleConsumer}, app.ActivityParams{}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a consumer key: %v, want forbidden", err)
	}
}

// show prints entries with their pointers followed.
func show(es []app.OriginalActivity) string {
	b, _ := json.Marshal(es)
	return string(b)
}
