package app

import "github.com/pfn-network/pfn/domain"

// Principal is who is calling: an API key, the master key, or a component
// of the node itself. Its KeyID is what events record as the actor; it is
// never the key.
//
// Authorization is decided here, in app, and nowhere else. Every port (the
// HTTP API, the CLI, the scheduler) reaches the same use cases, and some
// rules can only be checked where the data is (a key ends only its own
// subscription, an admin lists everyone's), so the rules live with the use
// cases: a use case that not every key may run has an Authorize method,
// and its Handle calls it before anything else. The HTTP API only
// authenticates (who is calling) and requires a key where one is needed;
// on a route whose use case has Authorize it asks that method before it
// reads the request (ports/httpapi's authorizedBy), so a consumer key is
// refused with 403 before its body or source id is looked at, and learns
// nothing of which sources exist.
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

// requireAdmin is the rule of the admin's use cases: admin keys, the
// master key and the node itself, not consumer keys.
func requireAdmin(by Principal) error {
	if !by.IsAdmin() {
		return domain.ErrForbidden
	}
	return nil
}
