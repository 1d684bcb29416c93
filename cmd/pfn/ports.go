package main

import (
	"context"
	"crypto/ed25519"
	"io"

	"github.com/pfn-network/pfn/adapters/blob"
	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/adapters/publisher"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// Small adapters from the driven-side packages to the app's interfaces.

type catalogPort struct{ c *publisher.Client }

func (p catalogPort) AuthorData(ctx context.Context, instanceURL, author string) ([]app.ListedPlugin, error) {
	a, err := p.c.AuthorData(ctx, instanceURL, author)
	if err != nil {
		return nil, publisherError{err}
	}
	if st := a.SourceStatus; st.Status == domain.UpstreamQuarantined || st.Status == domain.UpstreamRemoved {
		return nil, &app.UpstreamWithheld{Status: st.Status, Reason: st.Reason, Signature: st.Signature}
	}
	out := make([]app.ListedPlugin, len(a.Plugins))
	for i, pl := range a.Plugins {
		out[i] = app.ListedPlugin{Slug: pl.Slug, Name: pl.Name, Version: pl.Version, Description: pl.ShortDescription,
			Tags: pl.Tags, Signature: pl.Signature, SHA256: pl.SHA256, Invalid: pl.Invalid,
			SignatureV2: pl.SignatureV2, Size: pl.Size, Provenance: hopsOf(pl.Provenance), LogIndex: pl.LogIndex}
		if pl.Publisher != nil {
			out[i].Publisher = &app.ListedPublisher{Source: domain.SourceID(pl.Publisher.Source), PublicKey: pl.Publisher.PublicKey}
		}
		if pl.Yanked != nil {
			out[i].Yanked = &app.ListedYank{Reason: pl.Yanked.Reason, At: pl.Yanked.At, Signature: pl.Yanked.Signature}
		}
	}
	return out, nil
}

// Changes reads an upstream node's change feed for one source.
func (p catalogPort) Changes(ctx context.Context, nodeURL, source string, after int64, limit int) (app.UpstreamChanges, error) {
	page, err := p.c.Changes(ctx, nodeURL, source, after, min(limit, publisher.MaxChangePage))
	if err != nil {
		return app.UpstreamChanges{}, publisherError{err}
	}
	return app.UpstreamChanges{Count: page.Changes, Next: page.Next, More: page.More}, nil
}

func (p catalogPort) Download(ctx context.Context, url string) (io.ReadCloser, error) {
	rc, err := p.c.Download(ctx, url)
	if err != nil {
		return nil, publisherError{err}
	}
	return rc, nil
}

type blobPort struct{ s blob.Store }

func (p blobPort) Put(ctx context.Context, key string, r io.Reader, maxBytes int64) (app.StoredBlob, error) {
	info, err := p.s.PutUnsynced(ctx, key, r, maxBytes)
	return app.StoredBlob{Size: info.Size, SHA256: info.SHA256}, err
}

func (p blobPort) Sync(ctx context.Context, keys []string) error { return p.s.Sync(ctx, keys) }

func (p blobPort) Delete(ctx context.Context, key string) error { return p.s.Delete(ctx, key) }

func (p blobPort) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	rc, info, err := p.s.Open(ctx, key)
	return rc, info.Size, err
}

// signerPort signs with the node's current key and verifies with whichever
// of its keys, current or retired, a statement names.
type signerPort struct {
	s    *nodekey.Signer
	ring *nodekey.Keyring
}

func (p signerPort) KeyID() string { return p.s.KeyID() }

func (p signerPort) SignMirror(source domain.SourceID, plugin, version, sha256 string, size int64, publisherSignature string) (string, error) {
	return p.s.Sign(nodekey.Statement{Node: p.s.KeyID(), Source: string(source), Plugin: plugin, Version: version,
		SHA256: sha256, Size: size, PublisherSignature: publisherSignature})
}

func (p signerPort) SignMirrorV2(st app.StatementV2) (string, error) {
	st.Node = p.s.KeyID()
	return p.s.SignV2(statementV2(st))
}

func (p signerPort) VerifyStatementV2(nodeKey ed25519.PublicKey, st app.StatementV2, signature string) error {
	return nodekey.VerifyV2(nodeKey, statementV2(st), signature)
}

func (p signerPort) OwnsKey(keyID string) bool { return p.ring.Owns(keyID) }

func (p signerPort) StatementBytesV2(st app.StatementV2) ([]byte, error) {
	return statementV2(st).CanonicalBytes()
}

// VerifyMirrorV2 checks the node's own v2 statement of a version, with
// whichever of its keys the statement names.
func (p signerPort) VerifyMirrorV2(v app.PluginView) error {
	return p.ring.VerifyV2(statementV2(v.StatementV2()), v.FederationSignatureV2)
}

func statementV2(st app.StatementV2) nodekey.StatementV2 {
	return nodekey.StatementV2{Node: st.Node, Source: string(st.Source), Plugin: st.Plugin, Version: st.Version,
		SHA256: st.SHA256, Size: st.Size, PublisherSignature: st.PublisherSignature, PublisherKey: st.PublisherKey,
		Upstream: st.Upstream}
}

func (p signerPort) VerifyMirror(v app.PluginView) error {
	return p.ring.Verify(nodekey.Statement{Node: v.NodeKeyID, Source: v.SourceID, Plugin: v.Plugin,
		Version: v.Version, SHA256: v.SHA256, Size: v.Size, PublisherSignature: v.PublisherSignature}, v.FederationSignature)
}

func hopsOf(hops []publisher.Hop) []domain.ProvenanceHop {
	var out []domain.ProvenanceHop
	for _, h := range hops {
		out = append(out, domain.ProvenanceHop{Node: h.Node, NodeKey: h.NodeKey, URL: h.URL, Source: domain.SourceID(h.Source), Signature: h.Signature})
	}
	return out
}
