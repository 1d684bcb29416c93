package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/pfn-network/pfn/domain"
)

// LogBundle is the offline proof of one mirrored version (GET
// /federation/bundle): its entry in the log, proven in the tree of a
// signed checkpoint, with the key that signed the entry's statement.
type LogBundle struct {
	Plugin     PluginView
	Entry      LogEntry
	NodeKey    ed25519.PublicKey // the node's key the statement names, current or retired
	Proof      tlog.RecordProof  // Entry.Index in Checkpoint's tree
	Checkpoint SignedCheckpoint
}

// NodePublicKeys finds the node's keys, current or retired, by ID.
type NodePublicKeys interface {
	PublicKeyOf(keyID string) (ed25519.PublicKey, bool)
}

// GetLogBundle answers GET /federation/bundle. The version is found as
// /federation/verify finds it (a yanked, pruned, withheld or removed one
// answers as there); one mirrored before the log began is not found.
type GetLogBundle struct {
	Find        FindPlugin
	Log         LogReader
	Checkpoints *GetLogCheckpoint
	Keys        NodePublicKeys
}

func (h GetLogBundle) Handle(ctx context.Context, source, plugin, version string) (LogBundle, error) {
	p, err := h.Find.Handle(ctx, source, plugin, version)
	if err != nil {
		return LogBundle{}, err
	}
	e, err := h.Log.LatestLogEntry(ctx, domain.SourceID(p.SourceID), p.Plugin, p.Version)
	if errors.Is(err, domain.ErrNotFound) {
		return LogBundle{}, fmt.Errorf("%s %s from source %s is not in the node's transparency log (mirrored before the log began, or not logged yet): %w",
			p.Plugin, p.Version, p.SourceID, domain.ErrNotFound)
	}
	if err != nil {
		return LogBundle{}, fmt.Errorf("log entry of %s %s: %w", p.Plugin, p.Version, err)
	}
	// The checkpoint is taken after the entry was read: its tree holds it.
	cp, err := h.Checkpoints.Handle(ctx)
	if err != nil {
		return LogBundle{}, err
	}
	if e.Index >= cp.N {
		return LogBundle{}, fmt.Errorf("log entry %d of %s %s is beyond the log's tree of %d: %w", e.Index, p.Plugin, p.Version, cp.N, domain.ErrNotFound)
	}
	proof, err := tlog.ProveRecord(cp.N, e.Index, logHashes(ctx, h.Log))
	if err != nil {
		return LogBundle{}, fmt.Errorf("inclusion proof of log entry %d in tree %d: %w", e.Index, cp.N, err)
	}
	key, ok := h.Keys.PublicKeyOf(e.NodeKeyID)
	if !ok {
		// Not the asker's doing, and no retry mends it: the entry stands
		// in the log, but the key to check its statement is gone.
		return LogBundle{}, fmt.Errorf("log entry %d of %s %s names node key %q, which the node's keyring no longer holds: no bundle can be made for it: %w",
			e.Index, p.Plugin, p.Version, e.NodeKeyID, domain.ErrConflict)
	}
	return LogBundle{Plugin: p, Entry: e, NodeKey: key, Proof: proof, Checkpoint: cp}, nil
}
