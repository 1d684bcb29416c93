package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/pfn-network/pfn/domain"
)

// previousKeySuffix names the file rotate-key keeps the old key in: the
// key file's path with this appended.
const previousKeySuffix = ".previous"

// rotateKey is "pfn-publisher rotate-key -key-file PATH": the key at PATH
// moves to PATH.previous and a new key takes its place. The publisher then
// signs everything with the new key and announces it in /federation-info
// (key_rotation), signed by the previous one, until that file is removed.
func rotateKey(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("pfn-publisher rotate-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyFile := fs.String("key-file", "", "the publisher's key file (PKCS#8 PEM); its key moves to <key-file>"+previousKeySuffix)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *keyFile == "" || fs.NArg() > 0 {
		return errors.New("rotate-key: want -key-file PATH and nothing else")
	}
	if _, err := os.Stat(*keyFile); err != nil {
		return fmt.Errorf("rotate-key: %w", err)
	}
	// Link then remove: the old key is never lost, and an older previous
	// key (a rotation not finished) is never overwritten silently.
	if err := os.Link(*keyFile, *keyFile+previousKeySuffix); err != nil {
		return fmt.Errorf("rotate-key: keep the old key (remove %s once nodes have followed the last rotation): %w", *keyFile+previousKeySuffix, err)
	}
	if err := os.Remove(*keyFile); err != nil {
		return fmt.Errorf("rotate-key: %w", err)
	}
	key, err := createKeyFile(*keyFile)
	if err != nil {
		return fmt.Errorf("rotate-key: %w", err)
	}
	_, err = fmt.Fprintf(stdout, "new public key: %s\n", rawPublicKey(key))
	return err
}

// loadPreviousKey reads the key rotate-key kept, nil when there is none.
func loadPreviousKey(keyFile string) (ed25519.PrivateKey, error) {
	if keyFile == "" {
		return nil, nil
	}
	text, err := os.ReadFile(keyFile + previousKeySuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("previous key: %w", err)
	}
	key, err := parsePrivateKey(text)
	if err != nil {
		return nil, fmt.Errorf("previous key %s: %w", keyFile+previousKeySuffix, err)
	}
	return key, nil
}

// keyRotation is the key_rotation member of /federation-info: the new key
// and the previous key's signature over domain.KeyRotationMessage.
type keyRotation struct {
	PublicKey string `json:"public_key"`
	Signature string `json:"signature"`
}

func announceKey(previous, next ed25519.PrivateKey, instanceURL, username string) (*keyRotation, error) {
	pub := next.Public().(ed25519.PublicKey)
	msg, err := domain.KeyRotationMessage(instanceURL, username, pub)
	if err != nil {
		return nil, err
	}
	return &keyRotation{PublicKey: base64.StdEncoding.EncodeToString(pub),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(previous, msg))}, nil
}
