package nodekey

import "github.com/pfn-network/pfn/domain"

// MirroredStatementV2 is the v2 statement a plugin.mirrored event records
// the node's signature of: its upstream is the last provenance hop's
// signature ("" for a direct mirror: domain.UpstreamSignature), as app.PluginView.StatementV2 builds
// it from the read model.
func MirroredStatementV2(e domain.PluginMirrored) StatementV2 {
	return StatementV2{Node: e.NodeKeyID, Source: string(e.SourceID), Plugin: e.Plugin, Version: e.Version,
		SHA256: e.SHA256, Size: e.Size, PublisherSignature: e.PublisherSignature, PublisherKey: e.PublisherKey,
		Upstream: domain.UpstreamSignature(e.Provenance)}
}

// LogLeaf is the transparency log's entry for a mirrored version (issue
// #16): the exact bytes the node's v2 signature covers.
func LogLeaf(e domain.PluginMirrored) ([]byte, error) {
	return MirroredStatementV2(e).CanonicalBytes()
}
