package app

import (
	"slices"
	"strings"
)

// rotation picks at most max held versions in key order, starting after
// from and wrapping around, so that syncs capped at max take turns over
// all of them. through is the last one picked when some were left out, ""
// when all were picked; deferred is how many were left out.
func rotation(held []*heldVersion, from string, max int) (batch []*heldVersion, through string, deferred int) {
	byKey := func(a, b *heldVersion) int { return strings.Compare(a.key, b.key) }
	held = slices.Clone(held)
	slices.SortFunc(held, byKey)
	// A publisher may list a version twice: ask once.
	held = slices.CompactFunc(held, func(a, b *heldVersion) bool { return a.key == b.key })
	if max <= 0 || len(held) <= max {
		return held, "", 0
	}
	start, found := slices.BinarySearchFunc(held, from, func(v *heldVersion, key string) int { return strings.Compare(v.key, key) })
	if found {
		start++
	}
	for i := range max {
		batch = append(batch, held[(start+i)%len(held)])
	}
	return batch, batch[max-1].key, len(held) - max
}
