package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/pfn-network/pfn/adapters/nodekey"
)

const nodeUsage = `Usage: pfn node rotate-key [flags]

  rotate-key  replace the node's signing key (PFN_NODE_KEY_FILE) with a new
              one; the old key's public key is kept with its period in the
              keyring beside the key file, so what it signed still verifies
`

// nodeCommand runs pfn node rotate-key, the one node subcommand.
func nodeCommand(getenv func(string) string, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(stdout, nodeUsage)
		return nil
	}
	if len(args) == 0 || args[0] != "rotate-key" {
		fmt.Fprint(stderr, nodeUsage)
		return fmt.Errorf("node: want the subcommand rotate-key")
	}
	fs.Init("pfn node rotate-key", flag.ContinueOnError)
	setUsage(fs, "pfn node rotate-key [flags]", "Replace the node's Ed25519 signing key with a new one and print the new key's\n"+
		"ID and public key as JSON (never a private key). The old key's public key\n"+
		"and the period it signed in go to the keyring beside the key file\n"+
		"(KEYFILE.keyring.json), so every federation signature it made still\n"+
		"verifies and /federation-info lists it. A running node keeps signing with\n"+
		"the key it loaded: restart it to sign with the new key.")
	keyFile := fs.String("node-key-file", "", "the node's signing key (PFN_NODE_KEY_FILE, default ./data/node.key)")
	cfg, err := commandConfig(getenv, fs, args[1:], 0)
	if err != nil {
		return err
	}
	if *keyFile == "" {
		*keyFile = cfg.NodeKeyFile
	}
	return rotateNodeKey(*keyFile, time.Now(), stdout)
}

func rotateNodeKey(keyFile string, now time.Time, stdout io.Writer) error {
	s, err := nodekey.Rotate(keyFile, now)
	if err != nil {
		return fmt.Errorf("rotate-key: %w", err)
	}
	out := map[string]string{"key_id": s.KeyID(), "public_key": s.PublicKeyPEM(), "keyring": nodekey.KeyringPath(keyFile)}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
