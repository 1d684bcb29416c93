package httpapi

// The API's wire shapes are the view types of the views_*.go files: app
// returns plain Go values, and only these types carry JSON names. Each
// view has a small function that copies an app value into it, field by
// field; nil slices stay nil (null) and empty ones stay empty ([]), as they
// were when app's types carried the tags. Field order is wire order.
//
// One naming style per endpoint family (docs/compatibility.md, "Naming
// styles"); a family keeps the style its first clients read, so PFN never
// renames a field a client may depend on:
//
//   - sources (rows of GET /federation/sources and source-status, "source"
//     of the source actions' answers): snake_case, the original's rows;
//     source-status?at= adds as_of and stream_version in the same style.
//   - plugins (GET /federation/plugins, verify): snake_case, the original's
//     catalogue rows (plugin_id, mirror_date, stored_copy).
//   - subscriptions (GET /federation/subscriptions): snake_case rows.
//   - sync results (syncResult of sync-source and subscribe): camelCase, the
//     original's syncResult (sourceId, mirroredCount, totalPlugins).
//   - activity: PFN's entry fields and envelope are camelCase (sourceId,
//     nextCursor); the original's fields beside them are snake_case
//     (plugin_id, source_username, …) and are kept for its clients.
//   - events (the audit, GET /federation/events and pfn events): camelCase
//     (streamVersion, recordedAt, correlationId), PFN's own.
//   - action answers (add/verify/update-source, subscribe, unsubscribe,
//     sync-source): PFN's camelCase sourceId, with the original's
//     snake_case source_id, success and message beside it for its clients.
//   - change feed (GET /federation/changes): lower-case single words
//     (cursor, kind, source, sha256, next, more), fixed by issue #15.

// viewAll maps a list; nil stays nil, so an absent list is still null.
func viewAll[T, V any](in []T, view func(T) V) []V {
	if in == nil {
		return nil
	}
	out := make([]V, len(in))
	for i, v := range in {
		out[i] = view(v)
	}
	return out
}
