package app

import "github.com/pfn-network/pfn/domain"

// Principal is who is calling: an API key, the master key, or a component
// of the node itself. Its KeyID is what events record as the actor; it is
// never the key.
type Principal struct {
	KeyID  string
	Role   domain.Role
	Master bool
}

// System is the principal of work the node does by itself (CLI bootstrap,
// scheduler).
func System(name string) Principal { return Principal{KeyID: name, Role: domain.RoleAdmin} }

// IsAdmin reports admin rights (admin keys and the master key).
func (p Principal) IsAdmin() bool { return p.Role == domain.RoleAdmin }
