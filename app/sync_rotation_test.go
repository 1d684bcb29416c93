package app

import (
	"slices"
	"testing"
)

func TestRotation(t *testing.T) {
	t.Parallel()
	held := func(keys ...string) []*heldVersion {
		var out []*heldVersion
		for _, k := range keys {
			out = append(out, &heldVersion{key: k})
		}
		return out
	}
	tests := []struct {
		name         string
		held         []*heldVersion
		from         string
		max          int
		want         []string
		wantThrough  string
		wantDeferred int
	}{
		{name: "all fit", held: held("b@1", "a@1"), max: 2, want: []string{"a@1", "b@1"}},
		{name: "a version listed twice is asked about once", held: held("a@1", "a@1", "b@1"), max: 2, want: []string{"a@1", "b@1"}},
		{name: "capped, from the start", held: held("c@1", "a@1", "b@1"), max: 2, want: []string{"a@1", "b@1"}, wantThrough: "b@1", wantDeferred: 1},
		{name: "capped, after the cursor, wrapping", held: held("a@1", "b@1", "c@1"), from: "b@1", max: 2,
			want: []string{"c@1", "a@1"}, wantThrough: "a@1", wantDeferred: 1},
		{name: "a cursor no longer held", held: held("a@1", "c@1", "d@1"), from: "b@1", max: 2,
			want: []string{"c@1", "d@1"}, wantThrough: "d@1", wantDeferred: 1},
		{name: "a cursor past the last", held: held("a@1", "b@1", "c@1"), from: "z@1", max: 1,
			want: []string{"a@1"}, wantThrough: "a@1", wantDeferred: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			batch, through, deferred := rotation(tt.held, tt.from, tt.max)
			var got []string
			for _, v := range batch {
				got = append(got, v.key)
			}
			if !slices.Equal(got, tt.want) || through != tt.wantThrough || deferred != tt.wantDeferred {
				t.Fatalf("rotation = %v, %q, %d; want %v, %q, %d", got, through, deferred, tt.want, tt.wantThrough, tt.wantDeferred)
			}
		})
	}
}
