package postgres

// MirrorProjectionCopying is the mirror projection with every run of
// mirrored versions written through COPY, however short.
func MirrorProjectionCopying() MirrorProjectionHandler { return MirrorProjectionHandler{copyAt: 1} }
