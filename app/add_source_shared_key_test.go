package app_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/domain"
)

func TestAddSourceRefusesAKeyRegisteredOnAnotherHost(t *testing.T) {
	pub, key := honest(t)
	der, err := x509.MarshalPKIXPublicKey(pub.signer.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	tests := []struct {
		name, instance, username, key string
		allowShared                   bool
		want                          error
	}{
		{"other host", "https://mirror.example.com", "author", key, false, domain.ErrConflict},
		{"other host, key as PEM", "https://mirror.example.com", "author", keyPEM, false, domain.ErrConflict},
		{"other host, allowed by the admin", "https://mirror.example.com", "author", key, true, nil},
		{"same host, other username", instance, "second", key, false, nil},
		{"same host, other port", instance + ":8443", "author", key, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sources := &app.MemorySources{}
			add := app.AddSource{Sources: sources, Keys: sources, Now: now,
				Verify: app.VerifySource{Sources: sources, Publisher: pub, Random: rand.Reader, Now: now}}
			first, err := add.Handle(context.Background(), admin, app.AddSourceRequest{InstanceURL: instance, Username: "author", PublicKey: key})
			if err != nil || !first.Verified {
				t.Fatalf("first source: %+v, %v", first, err)
			}
			res, err := add.Handle(context.Background(), admin, app.AddSourceRequest{
				InstanceURL: tt.instance, Username: tt.username, PublicKey: tt.key, AllowSharedKey: tt.allowShared})
			wantErr(t, err, tt.want)
			if tt.want != nil {
				if !strings.Contains(err.Error(), string(first.Source.ID)) || !strings.Contains(err.Error(), "allow_shared_key") {
					t.Fatalf("error %q does not name %s and allow_shared_key", err, first.Source.ID)
				}
				if _, err := sources.Load(context.Background(), domain.SourceID("author@mirror.example.com")); !errors.Is(err, domain.ErrNotFound) {
					t.Fatalf("refused source was stored: %v", err)
				}
				return
			}
			if !res.Verified {
				t.Fatalf("second source not verified: %s", res.Reason)
			}
		})
	}
}

// A different key on another host is not affected.
func TestAddSourceOtherKeyOtherHost(t *testing.T) {
	sources := &app.MemorySources{}
	pub1, key1 := honest(t)
	pub2, key2 := honest(t)
	for _, c := range []struct {
		pub      *fakePublisher
		instance string
		key      string
	}{{pub1, instance, key1}, {pub2, "https://mirror.example.com", key2}} {
		add := app.AddSource{Sources: sources, Keys: sources, Now: now,
			Verify: app.VerifySource{Sources: sources, Publisher: c.pub, Random: rand.Reader, Now: now}}
		if res, err := add.Handle(context.Background(), admin, app.AddSourceRequest{InstanceURL: c.instance, Username: "author", PublicKey: c.key}); err != nil || !res.Verified {
			t.Fatalf("%s: %+v, %v", c.instance, res, err)
		}
	}
}
