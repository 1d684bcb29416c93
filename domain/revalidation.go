package domain

import "fmt"

// Revalidation is what a sync learned by asking the publisher about the
// versions it already holds (app/sync_revalidate.go), without downloading
// the files it was told are unchanged.
type Revalidation struct {
	// Revalidated: held versions with a verdict, unchanged or tampered.
	Revalidated int `json:"revalidated,omitempty"`
	// NoValidator: held versions whose publisher named no sha256 and
	// answered no 304; the daily recheck downloads them instead.
	NoValidator int `json:"no_validator,omitempty"`
	// Through is the last held version (slug@version) a capped
	// revalidation reached; the next sync goes on after it. "" when this
	// sync reached them all.
	Through string `json:"through,omitempty"`
}

func (r Revalidation) validate() error {
	if r.Revalidated < 0 || r.NoValidator < 0 {
		return fmt.Errorf("revalidation with a negative count: %w", ErrInvalidInput)
	}
	return nil
}

// TamperingReported says whether tampering with detail is on record for
// version: a revalidation does not ask again about bytes already found
// changed (the finding stands, and asking would cost a download).
func (h *PluginHistory) TamperingReported(version, detail string) bool {
	return h.reported[problemKey(PluginTampered{Version: version, Detail: detail})]
}
