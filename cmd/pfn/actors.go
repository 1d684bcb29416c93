package main

// Who the node's own work is recorded as. The event store refuses an event
// without an actor (eventstore.ErrNoActor); requests record their API key's
// id, and work no request asked for records one of these names.
const (
	actorCLI       = "cli"       // a pfn command other than serve
	actorNode      = "node"      // serve's own startup and background work
	actorScheduler = "scheduler" // scheduled health checks, syncs, rechecks, re-verifications
)
