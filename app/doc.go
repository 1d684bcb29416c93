// Package app holds PFN's use cases: one command or query per file, each with
// a Handle method and the small interfaces it needs, declared here where they
// are used and implemented by adapters. It depends on domain only.
package app
