package httpapi

import "fmt"

// Compat chooses the shapes that clash between PFN and the original
// JavaScript node. Fields that do not clash are always sent beside PFN's
// own; only the clashing shapes (bare arrays where PFN sends an envelope,
// epoch milliseconds where PFN sends RFC 3339) depend on it. It is
// node-wide because the original's pages call absolute paths and send
// nothing that would tell them apart from PFN's clients.
type Compat string

const (
	// CompatPFN (the default) answers in PFN's own shapes.
	CompatPFN Compat = "pfn"
	// CompatOriginal answers the clashing shapes as the original node did.
	CompatOriginal Compat = "original"
)

// ParseCompat reads PFN_API_COMPAT; "" is PFN's own shapes.
func ParseCompat(s string) (Compat, error) {
	switch Compat(s) {
	case "", CompatPFN:
		return CompatPFN, nil
	case CompatOriginal:
		return CompatOriginal, nil
	}
	return "", fmt.Errorf("%q: want pfn or original", s)
}

// original reports whether the clashing shapes are the original's.
func (c Compat) original() bool { return c == CompatOriginal }
