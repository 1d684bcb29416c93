package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/nodekey"
)

// A real node logs each version it mirrors, by the time the subscribe
// answers: the entry is the v2 statement its key signed (checked with the
// node's key file alone). With PFN_TRANSPARENCY_LOG=off it mirrors the same
// and logs nothing.
func TestTransparencyLogOnAndOff(t *testing.T) {
	t.Parallel()
	pfn := buildBinary(t, ".", "pfn")
	pubBin := buildBinary(t, "../pfn-publisher", "pfn-publisher")
	pub := startPublisher(t, pubBin, "-key-file", filepath.Join(t.TempDir(), "pub.pem"), "-plugins", "3", "-admin")
	const master = "master-key-for-the-transparency-log-test-0123"
	for _, mode := range []string{"on", "off"} {
		t.Run(mode, func(t *testing.T) {
			db, keyFile := databaseURL(t), filepath.Join(t.TempDir(), "node.key")
			_, base := startNodeWith(t, pfn, "PFN_DATABASE_URL="+db, "PFN_MASTER_KEY="+master, "PFN_NODE_KEY_FILE="+keyFile,
				"PFN_BLOB_STORE=file://"+filepath.Join(t.TempDir(), "blobs"), "PFN_SCHEDULER=false", "PFN_TRANSPARENCY_LOG="+mode)
			s := register(t, apiClient{t, base}, pub, master)
			status, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source})
			if res, _ := body["syncResult"].(map[string]any); status != http.StatusOK || res["mirroredCount"] != 3.0 {
				t.Fatalf("subscribe = %d %v", status, body)
			}
			ctx := context.Background()
			pool, err := pgxpool.New(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer pool.Close()
			rows, err := pool.Query(ctx, `SELECT idx, plugin, node_key_id, signature, entry FROM transparency_log ORDER BY idx`)
			if err != nil {
				t.Fatal(err)
			}
			type leaf struct {
				Idx              int64
				Plugin, Key, Sig string
				Entry            []byte
			}
			leaves, err := pgx.CollectRows(rows, pgx.RowToStructByPos[leaf])
			if err != nil {
				t.Fatal(err)
			}
			if mode == "off" {
				if len(leaves) != 0 {
					t.Fatalf("the log is off, yet holds %d leaves", len(leaves))
				}
				return
			}
			if len(leaves) != 3 {
				t.Fatalf("the log holds %d leaves when the subscribe answers, want 3", len(leaves))
			}
			signer, err := nodekey.LoadOrCreate(keyFile)
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range leaves {
				sig, _ := base64.StdEncoding.DecodeString(l.Sig)
				if l.Idx != int64(i) || l.Key != signer.KeyID() || !ed25519.Verify(signer.PublicKey(), l.Entry, sig) {
					t.Fatalf("leaf %d (%s, key %s): not the node's signed statement: %s", l.Idx, l.Plugin, l.Key, l.Entry)
				}
			}
		})
	}
}
