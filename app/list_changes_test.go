package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// changeLog is an in-memory change feed: its head is what the watcher
// polls, its changes what the reader pages.
type changeLog struct {
	mu      sync.Mutex
	changes []app.Change
	reads   int
}

func (l *changeLog) add(source domain.SourceID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := int64(len(l.changes)) + 1
	l.changes = append(l.changes, app.Change{Cursor: n, CatalogChange: domain.CatalogChange{Kind: domain.ChangeVersionMirrored, Source: source}})
}

func (l *changeLog) Changes(_ context.Context, after int64, limit int, source domain.SourceID) ([]app.Change, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads++
	var out []app.Change
	for _, c := range l.changes {
		if c.Cursor > after && (source == "" || c.Source == source) && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (l *changeLog) FeedHead(context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.changes)), nil
}

func TestChangeParams(t *testing.T) {
	cases := []struct {
		name  string
		p     app.ChangeParams
		want  app.ChangeQuery
		field string
	}{
		{"defaults", app.ChangeParams{}, app.ChangeQuery{Limit: 100}, ""},
		{"all", app.ChangeParams{After: "7", Limit: "1000", Wait: "60s", Source: "a@h.example:1"},
			app.ChangeQuery{After: 7, Limit: 1000, Wait: time.Minute, Source: "a@h.example:1"}, ""},
		{"zero wait", app.ChangeParams{Wait: "0s"}, app.ChangeQuery{Limit: 100}, ""},
		{"bad after", app.ChangeParams{After: "-1"}, app.ChangeQuery{}, "after"},
		{"bad Last-Event-ID", app.ChangeParams{After: "x", AfterField: "Last-Event-ID"}, app.ChangeQuery{}, "Last-Event-ID"},
		{"limit too large", app.ChangeParams{Limit: "1001"}, app.ChangeQuery{}, "limit"},
		{"wait too long", app.ChangeParams{Wait: "2m"}, app.ChangeQuery{}, "wait"},
		{"bad source", app.ChangeParams{Source: "no-host"}, app.ChangeQuery{}, "source"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := tc.p.Query()
			var fe *domain.FieldError
			switch {
			case tc.field == "" && (err != nil || q != tc.want):
				t.Fatalf("= %+v, %v; want %+v", q, err, tc.want)
			case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field || !errors.Is(err, domain.ErrInvalidInput)):
				t.Fatalf("= %v; want invalid %s", err, tc.field)
			}
		})
	}
}

// A page says where to go on and whether more is there; an empty page
// stays where it was asked.
func TestListChangesPages(t *testing.T) {
	l := &changeLog{}
	for range 5 {
		l.add("a@h.example:1")
	}
	h := app.ListChanges{Reader: l, Watch: app.NewFeedWatcher(l, time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))}
	ctx := context.Background()
	for _, tc := range []struct {
		after      int64
		limit      int
		wantNext   int64
		wantMore   bool
		wantLength int
	}{{0, 2, 2, true, 2}, {2, 3, 5, false, 3}, {5, 3, 5, false, 0}, {99, 3, 99, false, 0}} {
		page, err := h.Handle(ctx, app.ChangeQuery{After: tc.after, Limit: tc.limit})
		if err != nil || page.Next != tc.wantNext || page.More != tc.wantMore || len(page.Changes) != tc.wantLength {
			t.Errorf("after %d limit %d: %+v, %v", tc.after, tc.limit, page, err)
		}
	}
}

// A waiting read is answered by the change that arrives; a read filtered
// to one source waits on through other sources' changes; the wait ends
// empty when nothing comes; the watcher's stop ends every wait.
func TestListChangesWaits(t *testing.T) {
	l := &changeLog{}
	w := app.NewFeedWatcher(l, 5*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	h := app.ListChanges{Reader: l, Watch: w}

	answered := make(chan app.ChangePage, 1)
	go func() {
		page, err := h.Handle(context.Background(), app.ChangeQuery{Limit: 10, Source: "b@h.example:1", Wait: time.Minute})
		if err != nil {
			t.Error(err)
		}
		answered <- page
	}()
	l.add("a@h.example:1") // another source's: the filtered read waits on
	for {
		l.mu.Lock()
		reads := l.reads
		l.mu.Unlock()
		if reads >= 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case page := <-answered:
		t.Fatalf("answered %+v on another source's change", page)
	default:
	}
	l.add("b@h.example:1")
	if page := <-answered; len(page.Changes) != 1 || page.Changes[0].Cursor != 2 || page.Next != 2 {
		t.Fatalf("page %+v, want change 2", page)
	}

	page, err := h.Handle(context.Background(), app.ChangeQuery{After: 2, Limit: 10, Wait: 20 * time.Millisecond})
	if err != nil || len(page.Changes) != 0 || page.Next != 2 || page.More {
		t.Fatalf("a wait with nothing new: %+v, %v", page, err)
	}

	waiting := make(chan error, 1)
	go func() {
		_, err := h.Handle(context.Background(), app.ChangeQuery{After: 2, Limit: 10, Wait: time.Minute})
		waiting <- err
	}()
	stop()
	<-done
	if err := <-waiting; !errors.Is(err, app.ErrFeedClosed) {
		t.Fatalf("a wait when the watcher stops: %v", err)
	}
}
