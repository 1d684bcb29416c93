package domain

import "fmt"

// SourceStatus is where a source stands. A struct, not a string, so that no
// code can invent a status.
type SourceStatus struct{ s string }

var (
	StatusPending   = SourceStatus{"pending"}   // registered, ownership not yet proven
	StatusVerified  = SourceStatus{"verified"}  // the publisher proved it holds the key
	StatusFailed    = SourceStatus{"failed"}    // the ownership proof failed
	StatusError     = SourceStatus{"error"}     // repeated sync or health failures
	StatusSuspended = SourceStatus{"suspended"} // an admin stopped it
	StatusRemoved   = SourceStatus{"removed"}   // an admin removed it; its files are deleted
)

var statuses = []SourceStatus{StatusPending, StatusVerified, StatusFailed, StatusError, StatusSuspended, StatusRemoved}

func (s SourceStatus) String() string { return s.s }

// IsZero reports an unset status.
func (s SourceStatus) IsZero() bool { return s.s == "" }

// ParseSourceStatus reads a stored or requested status.
func ParseSourceStatus(v string) (SourceStatus, error) {
	for _, s := range statuses {
		if s.s == v {
			return s, nil
		}
	}
	return SourceStatus{}, fmt.Errorf("unknown source status %q: %w", v, ErrInvalidInput)
}

// MarshalText and UnmarshalText let events carry statuses as plain strings.
func (s SourceStatus) MarshalText() ([]byte, error) { return []byte(s.s), nil }

func (s *SourceStatus) UnmarshalText(b []byte) error {
	v, err := ParseSourceStatus(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
