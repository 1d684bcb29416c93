package domain_test

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/domain"
)

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"1.10.0", "1.9.0", 1},
		{"2.0.0-rc.1", "2.0.0", -1},
		{"1.0.0-alpha.2", "1.0.0-alpha.10", -1},
		{"v1.2", "1.2.0", 0},
		{"1.0", "1.0.0", 0},
		{"1", "1.0.0.0", 0},
		{"1.0.0.1", "1.0.0", 1},
		{"1.0.0-beta", "1.0.0", -1},
		{"1.0-beta", "1.0.0-beta", 0},
		{"1.0.0+build.5", "1.0.0+build.6", 0},
		{"1.0.0-rc.1+build", "1.0.0-rc.1", 0},
		{"2.0.0", "10.0.0", -1},
		{"0.9.9", "1.0.0-alpha", -1},
		{"1.2.3", "1.2.3", 0},
		{"2024.01.15", "2024.1.15", 0},
		{"2024.01.15", "2024.1.9", 1},
		{"1.0.0-alpha.01", "1.0.0-alpha.1", 0},
		{"1.0.0-1", "1.0.0-a", -1},
		{"1.0.0-B", "1.0.0-a", -1}, // ASCII order
		{"1.0.0-alpha-2", "1.0.0-alpha-10", 1},
		{"99999999999999999999999.0", "99999999999999999999998.9", 1},
		{"1.00000000000000000000001", "1.1", 0},
	}
	for _, tt := range tests {
		if got := domain.CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := domain.CompareVersions(tt.b, tt.a); got != -tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}

// The precedence example of semver 2.0 §11, in order.
func TestVersionPrecedenceChain(t *testing.T) {
	t.Parallel()
	chain := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
		"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "v2.0.0", "2.0.1-0", "2.0.1"}
	for i, a := range chain {
		va, err := domain.ParseVersion(a)
		if err != nil {
			t.Fatalf("ParseVersion(%q): %v", a, err)
		}
		if va.String() != a {
			t.Errorf("ParseVersion(%q).String() = %q", a, va.String())
		}
		for j, b := range chain {
			vb, _ := domain.ParseVersion(b)
			if got, want := va.Compare(vb), cmp.Compare(i, j); got != want {
				t.Errorf("%q.Compare(%q) = %d, want %d", a, b, got, want)
			}
		}
	}
	shuffled := slices.Clone(chain)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, domain.CompareVersions)
	if !slices.Equal(shuffled, chain) {
		t.Errorf("sorted: %q, want %q", shuffled, chain)
	}
}

func TestParseVersionRefuses(t *testing.T) {
	t.Parallel()
	bad := []string{"", "abc", "1..2", "1.2.x", strings.Repeat("1", 300), strings.Repeat("1.", 150) + "1",
		"v", "vv1", "V1.0", ".1", "1.", " 1.0", "1.0 ", "1.0.0-", "1.0.0+", "1.0.0-beta..1", "1.0.0-be ta",
		"1.0.0-é", "1.0.0+a+b", "-1.0", "1.-2", "+1", "1.0.0-alpha_1", "١.٢", "0x10", "1e3", "\xff"}
	for _, s := range bad {
		v, err := domain.ParseVersion(s)
		if !errors.Is(err, domain.ErrInvalidInput) {
			t.Errorf("ParseVersion(%q) = %q, %v; want ErrInvalidInput", s, v, err)
			continue
		}
		if len(err.Error()) > 250 || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseVersion(%q) error is not one short line: %q", s, err)
		}
	}
}

func TestCompareVersionsWithNonVersions(t *testing.T) {
	t.Parallel()
	// Callers parse first; this only pins down that the order stays total.
	tests := []struct {
		a, b string
		want int
	}{
		{"abc", "0.0.1", -1},
		{"1.0.0", "", 1},
		{"abc", "abd", -1},
		{"x", "x", 0},
	}
	for _, tt := range tests {
		if got := domain.CompareVersions(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.0.0", "v1.2", "1.0.0-alpha.10", "2.0.0-rc.1+build.7", "1..2", "", "0001.0-00"} {
		f.Add(s, "1.0.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := domain.ParseVersion(a)
		vb, errB := domain.ParseVersion(b)
		for _, err := range []error{errA, errB} {
			if err != nil && !errors.Is(err, domain.ErrInvalidInput) {
				t.Fatalf("error %v does not wrap ErrInvalidInput", err)
			}
		}
		ab, ba := domain.CompareVersions(a, b), domain.CompareVersions(b, a)
		if ab != -ba || ab < -1 || ab > 1 {
			t.Fatalf("CompareVersions(%q, %q) = %d but the reverse is %d", a, b, ab, ba)
		}
		if domain.CompareVersions(a, a) != 0 {
			t.Fatalf("CompareVersions(%q, itself) != 0", a)
		}
		if errA == nil && errB == nil {
			if va.String() != a || va.Compare(vb) != ab {
				t.Fatalf("ParseVersion(%q) = %q; Compare %d, CompareVersions %d", a, va, va.Compare(vb), ab)
			}
			if len(a) > 128 || strings.HasPrefix(strings.TrimPrefix(a, "v"), ".") {
				t.Fatalf("ParseVersion accepted %q", a)
			}
		}
	})
}
