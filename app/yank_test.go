package app_test

import (
	"context"
	"slices"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

func TestYankCommands(t *testing.T) {
	tests := []struct {
		name         string
		by           app.Principal
		unyank       bool
		req          func(id domain.SourceID) app.YankRequest
		wantErr      error
		wantRecorded bool
		wantYanked   bool
	}{
		{"an admin yanks", admin, false, func(id domain.SourceID) app.YankRequest { return app.YankRequest{id, "hello", "1.0.0", "malware"} }, nil, true, true},
		{"a consumer may not", consumer, false, func(id domain.SourceID) app.YankRequest { return app.YankRequest{id, "hello", "1.0.0", "malware"} }, domain.ErrForbidden, false, false},
		{"an unknown version", admin, false, func(id domain.SourceID) app.YankRequest { return app.YankRequest{id, "hello", "9.0.0", "malware"} }, domain.ErrNotFound, false, false},
		{"an unknown source", admin, false, func(domain.SourceID) app.YankRequest { return app.YankRequest{"nobody@nowhere", "hello", "1.0.0", "x"} }, domain.ErrNotFound, false, false},
		{"no reason", admin, false, func(id domain.SourceID) app.YankRequest { return app.YankRequest{id, "hello", "1.0.0", ""} }, domain.ErrInvalidInput, false, false},
		{"a bad slug", admin, false, func(id domain.SourceID) app.YankRequest { return app.YankRequest{id, "../x", "1.0.0", "x"} }, domain.ErrInvalidInput, false, false},
		{"unyank of a served version records nothing", admin, true, func(id domain.SourceID) app.YankRequest { return app.YankRequest{id, "hello", "1.0.0", "x"} }, nil, false, false},
		{"a consumer may not unyank", consumer, true, func(id domain.SourceID) app.YankRequest { return app.YankRequest{id, "hello", "1.0.0", "x"} }, domain.ErrForbidden, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := subscribedWorld(t)
			w.publish(t, "hello", "1.0.0", "v1")
			w.run(t)
			before := len(w.pluginEvents("hello"))
			var res app.YankResult
			var err error
			if tt.unyank {
				res, err = app.Unyank{Sources: w.sources, Histories: w.mirror, Now: now}.Handle(context.Background(), tt.by, tt.req(w.id))
			} else {
				res, err = app.Yank{Sources: w.sources, Histories: w.mirror, Now: now}.Handle(context.Background(), tt.by, tt.req(w.id))
			}
			wantErr(t, err, tt.wantErr)
			if res.Recorded != tt.wantRecorded || res.Yanked != tt.wantYanked {
				t.Fatalf("result %+v", res)
			}
			if got := len(w.pluginEvents("hello")) - before; got != map[bool]int{true: 1}[tt.wantRecorded] {
				t.Fatalf("%d events saved: %v", got, w.pluginEvents("hello"))
			}
		})
	}
}

func TestYankedVersionIsNotMirroredAgain(t *testing.T) {
	w := subscribedWorld(t)
	w.publish(t, "hello", "1.0.0", "v1")
	w.run(t)
	ctx := context.Background()
	req := app.YankRequest{Source: w.id, Plugin: "hello", Version: "1.0.0", Reason: "malware"}
	if _, err := (app.Yank{Sources: w.sources, Histories: w.mirror, Now: now}).Handle(ctx, admin, req); err != nil {
		t.Fatal(err)
	}
	evs := w.mirror.Events(w.id, "hello")
	if y, ok := evs[len(evs)-1].(domain.PluginYanked); !ok || y.Actor != admin.KeyID || y.Reason != "malware" {
		t.Fatalf("last event %+v", evs[len(evs)-1])
	}
	before := w.pluginEvents("hello")
	res := w.run(t)
	if after := w.pluginEvents("hello"); !slices.Equal(before, after) || res.MirroredCount != 0 {
		t.Fatalf("the sync after a yank mirrored again: %+v, events %v", res, after)
	}
	req.Reason = "cleared"
	got, err := app.Unyank{Sources: w.sources, Histories: w.mirror, Now: now}.Handle(ctx, admin, req)
	if err != nil || !got.Recorded || got.Yanked {
		t.Fatalf("unyank: %+v, %v", got, err)
	}
}
