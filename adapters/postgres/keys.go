package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/eventstore"
)

// KeysProjection is the name (and checkpoint) of the api_keys read model.
const KeysProjection = "api_keys"

func keyStream(id string) string { return "apikey-" + id }

// KeyStore appends key events and reads the api_keys table.
type KeyStore struct {
	Pool   *pgxpool.Pool
	Store  *eventstore.Store
	Waiter Waiter
}

func (k KeyStore) Issue(ctx context.Context, e domain.APIKeyIssued) error {
	return k.append(ctx, keyStream(e.KeyID), 0, e)
}

func (k KeyStore) Revoke(ctx context.Context, e domain.APIKeyRevoked) error {
	return k.append(ctx, keyStream(e.KeyID), eventstore.ExpectAny, e)
}

func (k KeyStore) append(ctx context.Context, stream string, expected int64, e any) error {
	ne, err := eventstore.Events.Encode(e)
	if err != nil {
		return err
	}
	res, err := k.Store.Append(ctx, stream, expected, ne)
	if err != nil {
		return err
	}
	return k.Waiter.WaitFor(ctx, KeysProjection, res.Position)
}

func (k KeyStore) Lookup(ctx context.Context, id string) (app.KeyRecord, error) {
	var rec app.KeyRecord
	var role string
	var revoked *time.Time
	err := k.Pool.QueryRow(ctx, `SELECT id, role, description, hash, created_at, revoked_at FROM api_keys WHERE id = $1`, id).
		Scan(&rec.ID, &role, &rec.Description, &rec.Hash, &rec.CreatedAt, &revoked)
	if errors.Is(err, pgx.ErrNoRows) {
		return app.KeyRecord{}, domain.ErrNotFound
	}
	if err != nil {
		return app.KeyRecord{}, fmt.Errorf("look up key: %w", err)
	}
	if rec.Role, err = domain.ParseRole(role); err != nil {
		return app.KeyRecord{}, err
	}
	rec.Revoked = revoked != nil
	return rec, nil
}

// KeyProjection keeps the api_keys table.
type KeyProjection struct{}

func (KeyProjection) Name() string { return KeysProjection }

// Tables lists what a rebuild replaces (eventstore.TableOwner).
func (KeyProjection) Tables() []string { return []string{"api_keys"} }

func (KeyProjection) Reset(ctx context.Context, tx pgx.Tx) error {
	_, err := tx.Exec(ctx, `TRUNCATE api_keys`)
	return err
}

func (KeyProjection) Apply(ctx context.Context, tx pgx.Tx, e eventstore.Event) error {
	if !strings.HasPrefix(e.StreamID, "apikey-") {
		return nil // another aggregate's event
	}
	decoded, err := eventstore.DecodeAs[domain.APIKeyEvent](e)
	if err != nil {
		return err
	}
	switch ev := decoded.(type) {
	case domain.APIKeyIssued:
		_, err = tx.Exec(ctx, `INSERT INTO api_keys (id, role, description, hash, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6)`, ev.KeyID, ev.Role.String(), ev.Description, ev.Hash, ev.At, ev.IssuedBy)
	case domain.APIKeyRevoked:
		_, err = tx.Exec(ctx, `UPDATE api_keys SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL`,
			ev.KeyID, ev.At, ev.RevokedBy)
	}
	if err != nil {
		return fmt.Errorf("project %s: %w", e.Type, err)
	}
	return nil
}
