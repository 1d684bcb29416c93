// Package domain holds PFN's aggregates, events, value objects and trust
// scoring. It is pure: no I/O and no clock (time is passed in), so that the
// state of anything can be rebuilt by replaying its events.
package domain
