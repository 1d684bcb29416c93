package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

// adminCreateKey bootstraps an API key straight through the database, for
// the first admin key of a node without PFN_MASTER_KEY. It prints the key
// once, as JSON, on stdout.
func adminCreateKey(ctx context.Context, cfg Config, log *slog.Logger, roleName, description string, stdout io.Writer) error {
	role, err := domain.ParseRole(roleName)
	if err != nil {
		return err
	}
	pool, err := openDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := wire(ctx, cfg, log, pool)
	if err != nil {
		return err
	}
	// The key store returns once the api_keys read model shows the key, so
	// the projections must run meanwhile.
	defer n.runProjections(ctx)()
	k, err := n.app.CreateKey.Handle(ctx, app.System(actorCLI), role, description)
	if err != nil {
		return err
	}
	out, err := json.Marshal(map[string]string{"key": k.Key, "id": k.ID, "role": k.Role.String(),
		"description": k.Description, "created": k.Created.Format(time.RFC3339)})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, string(out))
	return err
}
