// Package app holds PFN's use cases and the small interfaces (ports) they
// need, declared here where they are used and implemented by adapters. It
// depends on domain only.
//
// A use case is a struct of its ports whose exported methods are named for
// what they do: Handle for a request a caller makes (an API call, a CLI
// command), otherwise a name that says what (ListEvents.Export,
// SyncSource.Run and Recheck, VerifySource.Reverify, CheckHealth.Run,
// Scheduler.Run). A use case that not every key may run also has
// Authorize, which its Handle calls first: authorization is decided here
// and nowhere else (principal.go).
//
// Each use case has its own file, named after it. The queries of one read
// model share the file that declares the model's view and reader
// (source_queries.go, plugins.go, subscriptions.go); SyncSource, the
// largest, is split over the sync_*.go and recheck*.go files, with SyncNow,
// the admin's sync on demand, beside it in sync_source.go. Files without a
// use case hold ports several share (sources.go, keys.go, jobs.go,
// sync_ports.go), helpers (update.go) and the in-memory ports tests run
// the use cases on (memory.go).
//
// Results are plain Go values without wire names: how the HTTP API and the
// CLI show them is ports/httpapi's business (its views*.go files).
package app
