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

// copyRunAt is the size from which a run of mirrored versions is written
// with COPY rather than one INSERT of unnested arrays. A rebuild's batches
// hold thousands: pgx builds the arrays as one growing parameter buffer
// (most of the client's time in a rebuild went to copying it), and the
// server's unnest and ON CONFLICT cost more than COPY's plain inserts. The
// COPY path asks the server first (a read the pipeline waits for), so a
// live page of a few versions keeps the one pipelined INSERT.
const copyRunAt = 1000

// ApplyBatch writes the batch's mirrored versions with one statement (a
// first sync records fifty; a rebuild, hundreds of thousands) and its
// problems with another; prunings, yanks and stored copies' verdicts go one by
// one. mirrored_plugins and plugin_problems are written by different
// events, so only the order within each table matters: a run of mirrored
// rows is cut only by an event that updates mirrored_plugins, and problems
// keep only each version and kind's last word, which is what the batch's
// last such event says.
func (h MirrorProjectionHandler) ApplyBatch(ctx context.Context, tx pgx.Tx, events []eventstore.Event) error {
	var run mirroredRun
	var ps problems
	for _, stored := range events {
		switch stored.Type {
		case domain.EventPluginMirrored:
			e, err := eventstore.DecodeAs[domain.PluginMirrored](stored)
			if err != nil {
				return err
			}
			run.add(e)
		case domain.EventPluginPruned, domain.EventPluginStoredCopyDamaged, domain.EventPluginStoredCopyRestored,
			domain.EventPluginYanked, domain.EventPluginUnyanked, domain.EventPluginSourceGone:
			if err := run.flush(ctx, tx, h.copyFrom()); err != nil {
				return err
			}
			if err := h.Apply(ctx, tx, stored); err != nil {
				return err
			}
		case domain.EventPluginRejected, domain.EventPluginTampered, domain.EventPluginRolledBack:
			e, err := eventstore.DecodeAs[domain.PluginEvent](stored)
			if err != nil {
				return err
			}
			if p, ok := problemOf(e); ok {
				ps.add(p)
			}
		default:
			// Another stream's event is skipped by Apply; a plugin
			// stream's event of a type the registry does not know is an
			// error there, as in the live runner's one-by-one path.
			if err := h.Apply(ctx, tx, stored); err != nil {
				return err
			}
		}
	}
	if err := run.flush(ctx, tx, h.copyFrom()); err != nil {
		return err
	}
	return ps.flush(ctx, tx)
}

// problems collects plugin_problems rows, one per version and kind (the
// last word), column by column for unnest: one upsert can write each row
// once only.
type problems struct {
	at                                    map[[4]string]int
	source, plugin, version, kind, detail []string
	when                                  []time.Time
}

func (ps *problems) add(p problem) {
	key := [4]string{p.source, p.plugin, p.version, p.kind}
	if i, ok := ps.at[key]; ok {
		ps.detail[i], ps.when[i] = p.detail, p.at
		return
	}
	if ps.at == nil {
		ps.at = map[[4]string]int{}
	}
	ps.at[key] = len(ps.source)
	ps.source, ps.plugin, ps.version, ps.kind = append(ps.source, p.source), append(ps.plugin, p.plugin),
		append(ps.version, p.version), append(ps.kind, p.kind)
	ps.detail, ps.when = append(ps.detail, p.detail), append(ps.when, p.at)
}

func (ps *problems) flush(ctx context.Context, tx pgx.Tx) error {
	if len(ps.source) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO plugin_problems (source_id, plugin_id, version, kind, detail, at)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[])
		ON CONFLICT (source_id, plugin_id, version, kind) DO UPDATE SET detail = excluded.detail, at = excluded.at`,
		ps.source, ps.plugin, ps.version, ps.kind, ps.detail, ps.when)
	if err != nil {
		return fmt.Errorf("project %d plugin problems: %w", len(ps.source), err)
	}
	*ps = problems{}
	return nil
}

// mirroredRun collects mirrored rows column by column, for unnest.
type mirroredRun struct {
	plugin, source, name, version, description, blobKey, signature []string
	at                                                             []time.Time
	sha256, fedSig, nodeKey, tags                                  []string
	size                                                           []int64
	signatureV2, attestedBy                                        []string
	fedSigV2, publisherKey, provenance                             []string
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
	r.signatureV2 = append(r.signatureV2, e.PublisherSignatureV2)
	r.attestedBy = append(r.attestedBy, e.BytesAttestedBy.String())
	hops, _ := json.Marshal(e.Provenance)
	if e.Provenance == nil {
		hops = []byte("[]")
	}
	r.fedSigV2 = append(r.fedSigV2, e.FederationSignatureV2)
	r.publisherKey = append(r.publisherKey, e.PublisherKey)
	r.provenance = append(r.provenance, string(hops))
}

// flush writes the run row by row in order: ids are taken in the rows'
// order and a version already there is left alone. plugin_problems keeps
// what was seen wrong with a version even when a later listing of it was
// mirrored (a mirrored row says it was resolved): clearing it cost every
// mirrored version a second statement, the larger part of a rebuild.
// From copyAt rows on, the run goes through COPY (copyRunAt).
func (r *mirroredRun) flush(ctx context.Context, tx pgx.Tx, copyAt int) error {
	if len(r.plugin) == 0 {
		return nil
	}
	var err error
	if len(r.plugin) >= copyAt {
		err = r.copy(ctx, tx)
	} else {
		_, err = tx.Exec(ctx, `WITH batch AS (
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::timestamptz[], $9::text[], $10::bigint[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
				$16::text[], $17::text[], $18::text[])
				WITH ORDINALITY AS b(plugin_id, source_id, name, version, description, local_path, signature, at, sha256, size,
					federation_signature, node_key_id, tags, signature_v2, bytes_attested_by,
					federation_signature_v2, publisher_key, provenance, ord)
		)
		INSERT INTO mirrored_plugins (plugin_id, source_id, name, version, description, local_path,
			signature, mirror_date, sha256, size, federation_signature, node_key_id, tags, mirrored_at,
			signature_v2, bytes_attested_by, federation_signature_v2, publisher_key, provenance)
		SELECT plugin_id, source_id, name, version, description, local_path, signature,
			extract(epoch FROM at)::bigint, sha256, size, federation_signature, node_key_id, tags::jsonb, at,
			signature_v2, bytes_attested_by, federation_signature_v2, publisher_key, provenance::jsonb
		FROM batch ORDER BY ord
		ON CONFLICT (plugin_id, source_id, version) DO NOTHING`,
			r.plugin, r.source, r.name, r.version, r.description, r.blobKey, r.signature, r.at, r.sha256, r.size,
			r.fedSig, r.nodeKey, r.tags, r.signatureV2, r.attestedBy, r.fedSigV2, r.publisherKey, r.provenance)
	}
	if err != nil {
		return fmt.Errorf("project %d mirrored plugins: %w", len(r.plugin), err)
	}
	*r = mirroredRun{}
	return nil
}

// copy writes the run as the INSERT above would: every row takes an id from
// the table's sequence in order (the INSERT takes one for a row it then
// leaves out too), and only a version neither in the table nor earlier in
// the run is written, with COPY.
func (r *mirroredRun) copy(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT nextval((SELECT pg_get_serial_sequence('mirrored_plugins', 'id'))::regclass),
			EXISTS (SELECT 1 FROM mirrored_plugins m
				WHERE m.plugin_id = b.plugin_id AND m.source_id = b.source_id AND m.version = b.version)
		FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS b(plugin_id, source_id, version, ord)
		ORDER BY ord`, r.plugin, r.source, r.version)
	if err != nil {
		return err
	}
	ids := make([]int64, 0, len(r.plugin))
	var write []int // the rows to write, by index in the run
	seen := make(map[[3]string]bool, len(r.plugin))
	var id int64
	var there bool
	_, err = pgx.ForEachRow(rows, []any{&id, &there}, func() error {
		i := len(ids)
		ids = append(ids, id)
		key := [3]string{r.plugin[i], r.source[i], r.version[i]}
		if !there && !seen[key] {
			seen[key] = true
			write = append(write, i)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(ids) != len(r.plugin) {
		return fmt.Errorf("%d ids for %d rows", len(ids), len(r.plugin))
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"mirrored_plugins"},
		[]string{"id", "plugin_id", "source_id", "name", "version", "description", "local_path", "signature", "mirror_date",
			"sha256", "size", "federation_signature", "node_key_id", "tags", "mirrored_at", "signature_v2", "bytes_attested_by",
			"federation_signature_v2", "publisher_key", "provenance"},
		pgx.CopyFromSlice(len(write), func(n int) ([]any, error) {
			i := write[n]
			return []any{ids[i], r.plugin[i], r.source[i], r.name[i], r.version[i], r.description[i], r.blobKey[i], r.signature[i],
				epochSeconds(r.at[i]), r.sha256[i], r.size[i], r.fedSig[i], r.nodeKey[i], r.tags[i], r.at[i],
				r.signatureV2[i], r.attestedBy[i], r.fedSigV2[i], r.publisherKey[i], r.provenance[i]}, nil
		}))
	return err
}

// epochSeconds is extract(epoch FROM at)::bigint: the time as PostgreSQL
// stores it (whole microseconds, as pgx sends it) rounded to the nearest
// second, halves away from zero.
func epochSeconds(at time.Time) int64 {
	us := at.Unix()*1_000_000 + int64(at.Nanosecond())/1000
	if us < 0 {
		return -((-us + 500_000) / 1_000_000)
	}
	return (us + 500_000) / 1_000_000
}
