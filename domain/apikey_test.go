package domain_test

import (
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

func TestIssuedKeysParseAndMatch(t *testing.T) {
	for _, role := range []domain.Role{domain.RoleAdmin, domain.RoleConsumer} {
		k, err := domain.IssueKey(rand.Reader, role, "ci")
		if err != nil {
			t.Fatal(err)
		}
		wantPrefix := map[domain.Role]string{domain.RoleAdmin: "fadmin_", domain.RoleConsumer: "fcons_"}[role]
		if !strings.HasPrefix(k.Secret, wantPrefix) || strings.Contains(k.Hash, k.Secret) {
			t.Fatalf("key %q for %s", k.Secret, role)
		}
		p, err := domain.ParseKey(k.Secret)
		if err != nil || p.ID != k.ID || p.Role != role || !p.Matches(k.Hash) {
			t.Fatalf("ParseKey(%q) = %+v, %v", k.Secret, p, err)
		}
		other, _ := domain.IssueKey(rand.Reader, role, "")
		if p.Matches(other.Hash) {
			t.Fatal("a key matched another key's hash")
		}
	}
}

func TestMalformedKeys(t *testing.T) {
	for _, k := range []string{"", "fadmin_", "fadmin_zz.x", "fadmin_0123456789abcdef", "fadmin_0123456789ABCDEF.x", "Bearer x", "' OR '1'='1", "fcons_0123456789abcdef."} {
		if _, err := domain.ParseKey(k); !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("ParseKey(%q) = %v", k, err)
		}
	}
	if _, err := domain.ParseRole("root"); !errors.Is(err, domain.ErrInvalidInput) {
		t.Error("role root accepted")
	}
	if domain.MatchesMaster("x", "") || !domain.MatchesMaster("m", "m") || domain.MatchesMaster("m", "n") {
		t.Error("MatchesMaster is wrong")
	}
}
