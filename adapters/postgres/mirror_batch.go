package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// ApplyBatch writes the batch's mirrored versions with one statement (a
// first sync records fifty; a rebuild, hundreds of thousands) and every
// other event with Apply. mirrored_plugins and plugin_problems are written
// by different events, so only the order within each table matters: a run
// of mirrored rows is cut only by an event that updates mirrored_plugins
// (a pruning, a stored copy's verdict), and problems are written in their own order.
func (h MirrorProjectionHandler) ApplyBatch(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	var run mirroredRun
	var problems []eventstore.Event
	for _, stored := range events {
		switch stored.Type {
		case domain.EventPluginMirrored:
			e, err := eventstore.DecodeAs[domain.PluginMirrored](stored)
			if err != nil {
				return err
			}
			run.add(e)
		case domain.EventPluginPruned, domain.EventPluginStoredCopyDamaged, domain.EventPluginStoredCopyRestored:
			if err := run.flush(ctx, tx); err != nil {
				return err
			}
			if err := h.Apply(ctx, tx, stored); err != nil {
				return err
			}
		default:
			problems = append(problems, stored)
		}
	}
	if err := run.flush(ctx, tx); err != nil {
		return err
	}
	for _, stored := range problems {
		if err := h.Apply(ctx, tx, stored); err != nil {
			return err
		}
	}
	return nil
}

// mirroredRun collects mirrored rows column by column, for unnest.
type mirroredRun struct {
	plugin, source, name, version, description, blobKey, signature []string
	at                                                             []time.Time
	sha256, fedSig, nodeKey, tags                                  []string
	size                                                           []int64
}

func (r *mirroredRun) add(e domain.PluginMirrored) {
	tags, _ := json.Marshal(e.Tags)
	if e.Tags == nil {
		tags = []byte("[]")
	}
	r.plugin = append(r.plugin, e.Plugin)
	r.source = append(r.source, string(e.SourceID))
	r.name = append(r.name, e.Name)
	r.version = append(r.version, e.Version)
	r.description = append(r.description, e.Description)
	r.blobKey = append(r.blobKey, e.BlobKey)
	r.signature = append(r.signature, e.PublisherSignature)
	r.at = append(r.at, e.At)
	r.sha256 = append(r.sha256, e.SHA256)
	r.size = append(r.size, e.Size)
	r.fedSig = append(r.fedSig, e.FederationSignature)
	r.nodeKey = append(r.nodeKey, e.NodeKeyID)
	r.tags = append(r.tags, string(tags))
}

// flush writes the run row by row in order: ids are taken in the rows'
// order and a version already there is left alone. plugin_problems keeps
// what was seen wrong with a version even when a later listing of it was
// mirrored (a mirrored row says it was resolved): clearing it cost every
// mirrored version a second statement, the larger part of a rebuild.
func (r *mirroredRun) flush(ctx context.Context, tx pgx.Tx) error {
	if len(r.plugin) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `WITH batch AS (
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::timestamptz[], $9::text[], $10::bigint[], $11::text[], $12::text[], $13::text[]) WITH ORDINALITY
				AS b(plugin_id, source_id, name, version, description, local_path, signature, at, sha256, size,
					federation_signature, node_key_id, tags, ord)
		)
		INSERT INTO mirrored_plugins (plugin_id, source_id, name, version, description, local_path,
			signature, mirror_date, sha256, size, federation_signature, node_key_id, tags, mirrored_at)
		SELECT plugin_id, source_id, name, version, description, local_path, signature,
			extract(epoch FROM at)::bigint, sha256, size, federation_signature, node_key_id, tags::jsonb, at
		FROM batch ORDER BY ord
		ON CONFLICT (plugin_id, source_id, version) DO NOTHING`,
		r.plugin, r.source, r.name, r.version, r.description, r.blobKey, r.signature, r.at, r.sha256, r.size,
		r.fedSig, r.nodeKey, r.tags)
	if err != nil {
		return fmt.Errorf("project %d mirrored plugins: %w", len(r.plugin), err)
	}
	*r = mirroredRun{}
	return nil
}
