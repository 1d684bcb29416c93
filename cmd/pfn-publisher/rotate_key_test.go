package main

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

// rotate-key keeps the old key beside the new one, refuses to overwrite a
// previous key still kept, and the announcement it leads to verifies under
// the old key for the new one.
func TestRotateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pub.pem")
	old, _, err := loadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	if err := run(t.Context(), []string{"rotate-key", "-key-file", path}, func(string) string { return "" }, &out, &errs); err != nil {
		t.Fatalf("rotate-key: %v (%s)", err, errs.String())
	}
	next, _, err := loadKey(path)
	if err != nil {
		t.Fatal(err)
	}
	previous, err := loadPreviousKey(path)
	if err != nil || !previous.Equal(old) || next.Equal(old) {
		t.Fatalf("after rotate-key: previous is the old key %v (%v), new key differs %v", previous.Equal(old), err, !next.Equal(old))
	}
	if !strings.Contains(out.String(), rawPublicKey(next)) {
		t.Errorf("rotate-key printed %q, not the new key %s", out.String(), rawPublicKey(next))
	}
	if err := rotateKey([]string{"-key-file", path}, &out, &errs); err == nil {
		t.Error("a second rotate-key overwrote the previous key still kept")
	}

	const instance = "http://127.0.0.1:8090"
	a, err := announceKey(previous, next, instance, testAuthor)
	if err != nil {
		t.Fatal(err)
	}
	st := domain.SourceState{InstanceURL: instance, Username: testAuthor, PublicKey: public(old)}
	got, err := domain.VerifyKeyRotation(st, domain.KeyRotation{PublicKey: a.PublicKey, Signature: a.Signature})
	if err != nil || !got.Equal(public(next)) || a.PublicKey != base64.StdEncoding.EncodeToString(public(next)) {
		t.Fatalf("announcement %+v: %v", a, err)
	}
	if _, err := os.Stat(path + previousKeySuffix); err != nil {
		t.Fatal(err)
	}
}

// /federation-info carries the announcement while there is one, and no
// key_rotation member otherwise.
func TestFederationInfoAnnouncesKeyRotation(t *testing.T) {
	keys := sameKeys(t)
	for _, announce := range []*keyRotation{nil, {PublicKey: "k", Signature: "s"}} {
		srv, _ := startPublisher(t, Options{KeyRotation: announce}, keys, nil)
		body := string(do(t, "GET", srv.URL+"/federation-info", "").body)
		if has := strings.Contains(body, `"key_rotation":{"public_key":"k","signature":"s"}`); has != (announce != nil) {
			t.Errorf("announce %v: /federation-info %s", announce != nil, body)
		}
		if announce == nil && strings.Contains(body, "key_rotation") {
			t.Errorf("/federation-info without an announcement: %s", body)
		}
	}
}
