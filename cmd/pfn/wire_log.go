package main

import (
	"fmt"
	"slices"

	"github.com/pfn-network/pfn/adapters/nodekey"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/ports/httpapi"
)

// serveLog gives the API the transparency log's routes and announces the
// log in /federation-info (feature transparency-log, member log). Without
// it (PFN_TRANSPARENCY_LOG=off) the routes answer that the log is off.
func serveLog(a *httpapi.App, cfg Config, ring *nodekey.Keyring, log app.LogReader) error {
	origin := logOrigin(cfg, ring)
	// The current key signs: a checkpoint is fresh each time, and a
	// watcher checks it with the key the node announces now.
	signer, err := ring.Signer().NoteSigner(origin)
	if err != nil {
		return fmt.Errorf("PFN_LOG_ORIGIN: %w", err)
	}
	checkpoints := &app.GetLogCheckpoint{Log: log, Signer: signer}
	a.LogCheckpoint = checkpoints
	a.LogTile = app.ReadLogTile{Log: log}
	a.LogBundle = app.GetLogBundle{Find: a.FindPlugin, Log: log, Checkpoints: checkpoints, Keys: ring}
	a.NodeInfo.Features = append(slices.Clone(a.NodeInfo.Features), "transparency-log")
	a.NodeInfo.Log = &httpapi.LogInfo{Origin: origin, VerifierKey: signer.VerifierKey()}
	return nil
}

// logOrigin is PFN_LOG_ORIGIN, else "pfn/<id of the node's oldest key>":
// a key rotation must not rename the log, or watchers would take the
// renamed log for another one.
func logOrigin(cfg Config, ring *nodekey.Keyring) string {
	if cfg.LogOrigin != "" {
		return cfg.LogOrigin
	}
	return "pfn/" + ring.Oldest()
}
