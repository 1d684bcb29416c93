package domain

// Root is what every aggregate shares: the stream version it was loaded
// at and the events recorded since. Each aggregate embeds it, so the
// repositories save every aggregate the same way: append Changes expecting
// Version, then MarkSaved.
type Root[E any] struct {
	version int64 // events in the stream before the pending changes
	changes []E
}

// Version is the stream version the aggregate was loaded at (0 when new):
// the expected version for appending Changes.
func (r *Root[E]) Version() int64 { return r.version }

// Changes are the events recorded since loading, in order.
func (r *Root[E]) Changes() []E { return r.changes }

// MarkSaved tells the aggregate its changes are stored: they become part of
// its history and the next save expects the stream at the new version.
func (r *Root[E]) MarkSaved() {
	r.version += int64(len(r.changes))
	r.changes = nil
}

// loadedAt sets the version a replay or a snapshot ended at.
func (r *Root[E]) loadedAt(version int64) { r.version = version }

// pend adds an event the aggregate has already applied to its state.
func (r *Root[E]) pend(e E) { r.changes = append(r.changes, e) }
