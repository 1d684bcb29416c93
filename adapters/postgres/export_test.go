package postgres

import "github.com/pfn-network/pfn/domain"

// MirrorProjectionCopying is the mirror projection with every run of
// mirrored versions written through COPY, however short.
func MirrorProjectionCopying() MirrorProjectionHandler { return MirrorProjectionHandler{copyAt: 1} }

// TransparencyLogCopying is the transparency log writing every batch
// through COPY, however short.
func TransparencyLogCopying(leaf func(domain.PluginMirrored) ([]byte, error)) TransparencyLog {
	return TransparencyLog{Leaf: leaf, copyAt: 1}
}
