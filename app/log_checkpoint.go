package app

import (
	"context"
	"fmt"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// CheckpointSigner signs the log's checkpoints with the node's current key
// (sumdb/note); its Name is the log's origin.
type CheckpointSigner interface {
	note.Signer
	// VerifierKey is the note verifier key clients open checkpoints with.
	VerifierKey() string
}

// SignedCheckpoint is the log's checkpoint as the node serves it.
type SignedCheckpoint struct {
	tlogtiles.Checkpoint
	Signed      []byte // the note: the checkpoint body, a blank line, the signature
	VerifierKey string
}

// GetLogCheckpoint answers GET /federation/log/checkpoint: the current
// tree of the log, signed. The signature is made once per tree and key and
// kept (the last one only: the tree only grows), so that a busy checkpoint
// costs reading the size and log₂(size) hashes, not a signature.
type GetLogCheckpoint struct {
	Log    LogReader
	Signer CheckpointSigner

	mu   sync.Mutex
	last SignedCheckpoint
	key  uint32
}

func (h *GetLogCheckpoint) Handle(ctx context.Context) (SignedCheckpoint, error) {
	n, err := h.Log.LogSize(ctx)
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("log checkpoint: %w", err)
	}
	root, err := tlog.TreeHash(n, logHashes(ctx, h.Log))
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("log checkpoint of size %d: %w", n, err)
	}
	c := tlogtiles.Checkpoint{Origin: h.Signer.Name(), Tree: tlog.Tree{N: n, Hash: root}}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last.Signed != nil && h.key == h.Signer.KeyHash() && tlogtiles.SameTree(h.last.Checkpoint, c) {
		return h.last, nil
	}
	signed, err := note.Sign(&note.Note{Text: string(c.Format())}, h.Signer)
	if err != nil {
		return SignedCheckpoint{}, fmt.Errorf("sign log checkpoint of size %d: %w", n, err)
	}
	h.last, h.key = SignedCheckpoint{Checkpoint: c, Signed: signed, VerifierKey: h.Signer.VerifierKey()}, h.Signer.KeyHash()
	return h.last, nil
}

// logHashes reads the log's stored hashes for tlog, within ctx.
func logHashes(ctx context.Context, log LogReader) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		return log.ReadLogHashes(ctx, indexes)
	})
}
