package app

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

// SyncSource mirrors what a source's subscribers want and the node does not
// have yet: fetch /author-data, verify each wanted plugin's publisher
// signature, download new versions (bounded parallelism) into the blob
// store while measuring them, sign the node's statement, record every
// outcome as events.
type SyncSource struct {
	Sources       SourceRepository
	Subscriptions SubscriptionReader
	Catalog       Catalog
	Histories     PluginHistories
	Blobs         BlobStore
	Signer        MirrorSigner
	Locker        SyncLocker
	MaxBytes      int64 // PFN_MAX_PLUGIN_BYTES
	MaxFiles      int   // PFN_SYNC_MAX_FILES: files downloaded per sync, 0 = no limit
	MaxSyncBytes  int64 // PFN_SYNC_MAX_BYTES: bytes downloaded per sync, 0 = no limit
	Parallelism   int   // downloads at once
	KeepVersions  int   // PFN_KEEP_VERSIONS: stored versions kept per plugin, 0 = all
	QuotaBytes    int64 // PFN_SOURCE_QUOTA_BYTES: bytes kept per source, 0 = no limit
	Usage         StorageUsage
	Revalidate    RevalidateConfig // asking the publisher about held versions (sync_revalidate.go)
	Metrics       Metrics
	Now           func() time.Time
	// RequireAttested refuses versions without a publisher's signature_v2
	// (PFN_REQUIRE_ATTESTED_BYTES).
	RequireAttested bool
	// Announced follows a key rotation the listing shows before a health
	// check did (sync_key_rotation.go); without a Publisher it does not.
	Announced AnnouncedKeys
	// FullListingEvery: a source followed by its upstream's change feed
	// (sync_feed.go) is listed whole at least this often anyway; 0 is
	// DefaultFullListingEvery.
	FullListingEvery time.Duration
	// Logs checks the transparency log of an upstream node that announces
	// one (sync_log.go); nil checks none.
	Logs UpstreamLogs
}

// SyncResult is compatible with the original's syncResult and adds what
// was refused and why.
type SyncResult struct {
	SourceID        string
	MirroredCount   int
	TotalPlugins    int
	Wanted          int
	AlreadyMirrored int
	MirroredBytes   int64
	Pruned          int
	Rejected        []Rejection
	Revalidation    RevalidationResult
}

// Rejection is a listed plugin version that was not mirrored.
type Rejection struct {
	Plugin  string
	Version string
	Reason  string
}

// SyncNow is the admin's POST /federation/sync-source. A sync longer than
// the request allows is handed to the scheduler (ErrSyncContinues).
type SyncNow struct {
	Sync    SyncSource
	Jobs    JobRequests
	Timeout time.Duration // PFN_JOB_TIMEOUT
}

// Authorize: only admins sync on demand.
func (h SyncNow) Authorize(by Principal) error { return requireAdmin(by) }

func (h SyncNow) Handle(ctx context.Context, by Principal, id domain.SourceID) (SyncResult, error) {
	if err := h.Authorize(by); err != nil {
		return SyncResult{}, err
	}
	syncCtx, cancel := syncWithin(ctx, h.Timeout)
	defer cancel()
	res, err := h.Sync.Run(syncCtx, id)
	if ranOutOfTime(ctx, err) && h.Jobs != nil {
		if rerr := h.Jobs.RequestNow(ctx, JobSync, id); rerr != nil {
			return res, errors.Join(err, rerr)
		}
		return res, fmt.Errorf("sync of %s: %w", id, ErrSyncContinues)
	}
	return res, err
}

type download struct {
	plugin  ListedPlugin
	history *domain.PluginHistory
	url     string
	stored  StoredBlob
	key     string
	err     error
	// attestedV2 is the publisher's signature_v2 once it verified over the
	// stored bytes (sync_attest.go).
	attestedV2 string
	// sourceKey is the source's key the listing was checked under: the
	// publisher's for a direct mirror.
	sourceKey ed25519.PublicKey
}

// publisherKeyOf is the original publisher's key a version's v2 statement
// names: the one a node lists, else the source's own (a direct mirror).
func publisherKeyOf(p ListedPlugin, sourceKey ed25519.PublicKey) string {
	if p.Publisher != nil {
		return p.Publisher.PublicKey
	}
	return base64.StdEncoding.EncodeToString(sourceKey)
}

// budget says what this sync may store: its own byte budget and what the
// source's quota leaves of what it keeps already.
func (h SyncSource) budget(ctx context.Context, id domain.SourceID) (*syncBudget, error) {
	var used int64
	if h.QuotaBytes > 0 && h.Usage != nil {
		stored, err := h.Usage.StoredVersions(ctx, id)
		if err != nil {
			return nil, err
		}
		for _, v := range stored {
			used += v.Size
		}
	}
	return newSyncBudget(h.MaxSyncBytes, h.QuotaBytes, used), nil
}

// Run syncs one source now.
func (h SyncSource) Run(ctx context.Context, id domain.SourceID) (SyncResult, error) {
	return h.RunFor(ctx, id, "", nil)
}

// RunFor syncs with one subscriber's filters as given, whether or not the
// subscriptions read model shows them yet: a new subscription's first sync
// need not wait for it.
func (h SyncSource) RunFor(ctx context.Context, id domain.SourceID, subscriber string, filters *domain.Filters) (SyncResult, error) {
	result, err := h.run(ctx, id, subscriber, filters)
	if h.Metrics != nil {
		h.Metrics.SyncFinished(id, err, result.MirroredCount, result.MirroredBytes)
	}
	return result, err
}

func (h SyncSource) run(ctx context.Context, id domain.SourceID, subscriber string, own *domain.Filters) (SyncResult, error) {
	result := SyncResult{SourceID: string(id), Rejected: []Rejection{}}
	source, unlock, err := h.lockSyncable(ctx, id)
	if err != nil {
		return result, err
	}
	defer unlock()
	filters, err := h.filters(ctx, id, subscriber, own)
	if err != nil {
		return result, err
	}
	if len(filters) == 0 {
		// A count a sync left stale (it started before a revocation ended
		// the last subscription) is put right, so the source leaves the
		// sync schedule.
		return result, h.Sources.Update(ctx, id, func(s *domain.Source) error {
			s.SetSubscriberCount(0, h.Now())
			return nil
		})
	}
	st := source.State()
	feed := h.consultFeed(ctx, st, filters, own != nil)
	if feed.skip {
		result.TotalPlugins = st.PluginCount
		return result, h.recordUnchanged(ctx, id, len(filters), feed.mark)
	}
	listed, err := h.listing(ctx, id, st)
	if withheld := (*UpstreamWithheld)(nil); errors.As(err, &withheld) {
		return result, h.recordWithheld(ctx, id, st, withheld)
	}
	if err != nil {
		return result, err
	}
	withUpstreamURL(listed, st.InstanceURL)
	result.TotalPlugins = len(listed)
	histories, err := h.Histories.LoadAll(ctx, id, wantedSlugs(listed, filters))
	if err != nil {
		return result, err
	}
	if st, err = h.followKeyRotation(ctx, id, st, listed, histories); err != nil {
		return result, err
	}
	// After the listing: every log_index it gives is then inside the
	// checkpoint (an upstream logs a version before it lists it).
	upstreamLog, err := h.checkUpstreamLog(ctx, id, st)
	if err != nil {
		return result, err
	}
	chain := h.chainProblems(st, listed)
	plan := planSync(syncInput{Source: id, Username: st.Username, AssetDomain: st.Info.AssetDomain,
		NamingScheme: st.Info.NamingScheme, Listed: listed, Histories: histories, Filters: filters,
		Signed: verifySignatures(st.PublicKey, listed, histories), Resigned: resignedVersions(st.KeyPeriods(), listed, histories),
		MaxFiles: h.MaxFiles, Attestation: h.attestationPolicy(st), Chain: chain})
	rec := syncRecording{result: &result, now: h.Now(), subscribers: len(filters), feed: feed.mark}
	if upstreamLog != nil {
		rec.sum.LogCheckpoint = string(upstreamLog.Signed)
	}
	followUpstreamYanks(st, listed, chain, histories, &plan, &rec)
	rec.result.Wanted, rec.result.AlreadyMirrored = plan.Wanted, plan.AlreadyMirrored
	for _, s := range plan.Steps {
		rec.step(s)
	}
	h.checkLogged(ctx, upstreamLog, &plan, &rec)
	if err := h.downloadAll(ctx, id, st.PublicKey, plan); err != nil {
		return result, err
	}
	for _, d := range append(plan.Downloads, plan.Deferred...) {
		if err := h.recordDownload(id, &rec, d); err != nil {
			return result, err
		}
	}
	h.revalidate(ctx, plan.Held, st.RevalidatedThrough, &rec)
	err = h.finish(ctx, id, plan.Touched, &rec)
	return result, err
}

// filters are the subscribers' filters, one per subscriber, with this
// run's own subscriber's as given.
func (h SyncSource) filters(ctx context.Context, id domain.SourceID, subscriber string, own *domain.Filters) ([]domain.Filters, error) {
	bySubscriber, err := h.Subscriptions.ActiveFilters(ctx, id)
	if err != nil {
		return nil, err
	}
	if own != nil {
		bySubscriber[subscriber] = *own
	}
	filters := make([]domain.Filters, 0, len(bySubscriber))
	for _, f := range bySubscriber {
		filters = append(filters, f)
	}
	return filters, nil
}

// listing reads the publisher's list; a failure is recorded on the source.
func (h SyncSource) listing(ctx context.Context, id domain.SourceID, st domain.SourceState) ([]ListedPlugin, error) {
	listed, err := h.Catalog.AuthorData(ctx, st.InstanceURL, st.Username)
	if withheld := (*UpstreamWithheld)(nil); err == nil || errors.As(err, &withheld) {
		return listed, err // a withheld source is not a failure of the upstream's
	}
	return nil, h.recordSyncFailure(ctx, id, fmt.Errorf("author-data of %s: %w", id, err))
}

// recordSyncFailure records that a sync could not read the upstream (its
// listing or its log) and returns err: counted by the failure policy, and
// visible until a sync succeeds. A cancelled sync records nothing.
func (h SyncSource) recordSyncFailure(ctx context.Context, id domain.SourceID, err error) error {
	if ctx.Err() != nil {
		return err
	}
	if rerr := h.Sources.Update(ctx, id, func(s *domain.Source) error {
		return s.RecordFailure(domain.FailureSync, err.Error(), h.Now())
	}); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// downloadAll fetches the planned downloads within the budget and makes
// them durable; the deferred ones are answered, not fetched.
func (h SyncSource) downloadAll(ctx context.Context, id domain.SourceID, key ed25519.PublicKey, plan syncPlan) error {
	budget, err := h.budget(ctx, id)
	if err != nil {
		return err
	}
	for _, d := range plan.Deferred {
		d.err = filesDeferred(h.MaxFiles)
	}
	for _, d := range plan.Downloads {
		d.sourceKey = key
	}
	h.fetchAll(ctx, plan.Downloads, budget)
	if err := ctx.Err(); err != nil {
		// Cut short by the deadline: not the publisher's doing, so nothing
		// is refused or recorded, and no file is left that no event names.
		h.deleteStored(ctx, plan.Downloads)
		return fmt.Errorf("sync of %s cut short: %w", id, context.Cause(ctx))
	}
	h.fitLog(ctx, id, plan.Downloads)
	h.attestAll(ctx, key, plan.Downloads)
	return h.abortOnStorageFailure(ctx, id, plan.Downloads, h.syncBlobs(ctx, plan.Downloads))
}

// recordDownload records one download's outcome on its plugin's history.
func (h SyncSource) recordDownload(id domain.SourceID, rec *syncRecording, d *download) error {
	p := d.plugin
	var refused *budgetError
	if d.err != nil {
		rec.incomplete = true // a later sync tries again: the feed's cursor stays
	}
	if errors.As(d.err, &refused) && refused.deferred {
		// The node's own pacing, not the publisher's doing: answered, not recorded.
		rec.answer(p, refused.reason)
		return nil
	}
	if d.err != nil {
		rec.reject(d.history, p, d.err.Error())
		return nil
	}
	fedSig, err := h.Signer.SignMirror(id, p.Slug, p.Version, d.stored.SHA256, d.stored.Size, p.Signature)
	if err != nil {
		return fmt.Errorf("sign %s %s: %w", p.Slug, p.Version, err)
	}
	st := h.statementOf(id, d)
	fedSigV2, err := h.Signer.SignMirrorV2(st)
	if err != nil {
		return fmt.Errorf("sign %s %s (v2): %w", p.Slug, p.Version, err)
	}
	d.history.RecordMirrored(domain.PluginMirrored{SourceID: id, Plugin: p.Slug, Name: p.Name, Version: p.Version,
		Description: p.Description, Tags: p.Tags, SHA256: d.stored.SHA256, Size: d.stored.Size, BlobKey: d.key,
		PublisherSignature: p.Signature, FederationSignature: fedSig, NodeKeyID: h.Signer.KeyID(), At: h.Now(),
		PublisherSignatureV2: d.attestedV2, FederationSignatureV2: fedSigV2, PublisherKey: st.PublisherKey,
		Provenance: p.Provenance})
	if d.history.MirroredCount() == 1 {
		rec.newPlugins++ // its first mirrored version
	}
	rec.sum.ValidSignatures++
	rec.result.MirroredCount++
	rec.result.MirroredBytes += d.stored.Size
	return nil
}

// statementOf is the v2 statement the node signs of a stored download.
func (h SyncSource) statementOf(id domain.SourceID, d *download) StatementV2 {
	p := d.plugin
	return StatementV2{Node: h.Signer.KeyID(), Source: id, Plugin: p.Slug, Version: p.Version, SHA256: d.stored.SHA256,
		Size: d.stored.Size, PublisherSignature: p.Signature, PublisherKey: publisherKeyOf(p, d.sourceKey),
		Upstream: domain.UpstreamSignature(p.Provenance)}
}

// fitLog refuses, before anything is signed, a stored download whose v2
// statement would not fit an entry of the node's transparency log: the
// log would refuse it, and a statement signed but never logged is one no
// one could check. Its file is not kept.
func (h SyncSource) fitLog(ctx context.Context, id domain.SourceID, todo []*download) {
	for _, d := range todo {
		if d.err != nil {
			continue
		}
		b, err := h.Signer.StatementBytesV2(h.statementOf(id, d))
		switch {
		case err != nil:
			d.err = fmt.Errorf("the node's statement of this version: %w", err)
		case len(b) > tlogtiles.MaxEntry:
			d.err = fmt.Errorf("the node's statement of this version would be %d bytes, more than the %d of a transparency log entry: not signed",
				len(b), tlogtiles.MaxEntry)
		default:
			continue
		}
		_ = h.Blobs.Delete(ctx, d.key) // not mirrored: nothing will name the file
	}
}

// finish prunes, records the sync and enforces the source's quota.
func (h SyncSource) finish(ctx context.Context, id domain.SourceID, touched []*domain.PluginHistory, rec *syncRecording) error {
	var pruned []domain.PluginPruned
	for _, hist := range touched {
		pruned = append(pruned, hist.Prune(h.KeepVersions, rec.now)...)
	}
	rec.result.Pruned = len(pruned)
	rec.sum.Mirrored, rec.sum.Rejected = rec.result.MirroredCount, len(rec.result.Rejected)
	if !rec.incomplete {
		rec.sum.Feed = rec.feed // all the listing held is taken in: the feed's cursor moves
	}
	// The plugin histories and the source's summary commit together, so the
	// running plugin count cannot drift from the histories after a crash.
	// A concurrent write to the source's stream (a verification, a health
	// verdict) makes the save conflict: only this recording step runs again,
	// on a freshly loaded source; the downloads are not redone.
	var source *domain.Source
	loadSource := func(ctx context.Context) (*domain.Source, error) { return h.Sources.Load(ctx, id) }
	saveAll := func(ctx context.Context, s *domain.Source) error { return h.Histories.SaveAll(ctx, touched, s) }
	if err := UpdateAggregate(ctx, loadSource, saveAll, func(s *domain.Source) error {
		source = s // what the quota below works on
		rec.sum.PluginCount = s.State().PluginCount + rec.newPlugins
		s.SetSubscriberCount(rec.subscribers, rec.now)
		recorded, rerr := s.RecordListingRefusals(rec.refusals, rec.now)
		if rerr != nil {
			return rerr
		}
		rec.sum.RefusalsNotRecorded = recorded.NotRecorded
		s.RecordUpstreamStatus("", "", rec.now) // the upstream lists it: served again (no-op unless withheld)
		return s.RecordSync(rec.sum, h.Now())
	}); err != nil {
		return fmt.Errorf("record sync of %s: %w", id, err)
	}
	if err := h.deletePruned(ctx, pruned); err != nil {
		return err
	}
	n, err := h.enforceQuota(ctx, id, source, rec.now)
	rec.result.Pruned += n
	return err
}

// syncBlobs makes every stored download durable before any event points
// at it.
func (h SyncSource) syncBlobs(ctx context.Context, todo []*download) error {
	var keys []string
	for _, d := range todo {
		if d.err == nil {
			keys = append(keys, d.key)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	if err := h.Blobs.Sync(ctx, keys); err != nil {
		return fmt.Errorf("%w: make the downloaded files durable: %w", ErrStorage, err)
	}
	return nil
}

// DefaultSyncParallelism is a sync's downloads at once when none is set
// (PFN_SYNC_PARALLELISM's default): a few streams hide one slow publisher
// response without opening many connections to a single publisher.
const DefaultSyncParallelism = 4

// fetchAll downloads into the blob store, at most Parallelism at once,
// within the budget.
func (h SyncSource) fetchAll(ctx context.Context, todo []*download, budget *syncBudget) {
	eachAtMost(h.Parallelism, todo, func(d *download) { d.stored, d.err = h.fetch(ctx, d, budget) })
}

func (h SyncSource) fetch(ctx context.Context, d *download, budget *syncBudget) (StoredBlob, error) {
	if err := budget.spent(); err != nil {
		return StoredBlob{}, err // nothing left: not even a request
	}
	body, err := h.Catalog.Download(ctx, d.url)
	if err != nil {
		return StoredBlob{}, fmt.Errorf("download: %w", err)
	}
	defer body.Close()
	counted := &budgetReader{r: body, b: budget}
	if n := announcedLength(body); n >= 0 {
		if n > h.MaxBytes {
			// No byte count of the publisher's in the text: the same refusal
			// of the same version reads the same, so it is recorded once.
			return StoredBlob{}, fmt.Errorf("download: the publisher announces more than %d bytes (PFN_MAX_PLUGIN_BYTES)", h.MaxBytes)
		}
		if err := counted.reserve(n); err != nil {
			return StoredBlob{}, err
		}
	}
	stored, err := h.Blobs.Put(ctx, d.key, counted, h.MaxBytes)
	if err != nil {
		counted.release() // the file is not kept
		var refused *budgetError
		switch {
		case errors.As(counted.err, &refused):
			return StoredBlob{}, refused
		case counted.err != nil:
			return StoredBlob{}, fmt.Errorf("download: %w", counted.err)
		}
		if errors.Is(err, domain.ErrInvalidInput) {
			return StoredBlob{}, fmt.Errorf("cannot store: %w", err)
		}
		return StoredBlob{}, storeFailure(counted, h.MaxBytes, fmt.Errorf("store: %w", err))
	}
	counted.settle()
	if err := listedBytesMismatch(d.plugin, stored); err != nil {
		// Not kept: what it drew goes back before the downloads after it
		// need it.
		_ = h.Blobs.Delete(ctx, d.key)
		counted.release()
		return StoredBlob{}, err
	}
	return stored, nil
}

// unusable says why a listed entry cannot even be considered ("" when it
// can): the publisher's entry is malformed, or its slug cannot name a file.
func unusable(p ListedPlugin) string {
	if p.Invalid != "" {
		return p.Invalid
	}
	if err := domain.ValidatePluginSlug(p.Slug); err != nil {
		return err.Error()
	}
	return ""
}

func wanted(filters []domain.Filters, p ListedPlugin) bool {
	for _, f := range filters {
		if f.Match(p.Slug, p.Tags) {
			return true
		}
	}
	return false
}

// enforceQuota prunes the oldest mirrored versions of a source, never a
// plugin's latest, until what it keeps fits in QuotaBytes.
func (h SyncSource) enforceQuota(ctx context.Context, id domain.SourceID, source *domain.Source, now time.Time) (int, error) {
	if h.QuotaBytes <= 0 || h.Usage == nil {
		return 0, nil
	}
	stored, err := h.Usage.StoredVersions(ctx, id)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, v := range stored {
		total += v.Size
	}
	latest := latestStored(stored)
	var victims []StoredVersion
	for _, v := range stored { // oldest mirrored first
		if total <= h.QuotaBytes {
			break
		}
		if latest[v.Plugin].Version != v.Version {
			victims = append(victims, v)
			total -= v.Size
		}
	}
	if len(victims) == 0 {
		return 0, nil
	}
	var slugs []string
	for _, v := range victims {
		slugs = append(slugs, v.Plugin)
	}
	histories, err := h.Histories.LoadAll(ctx, id, slugs)
	if err != nil {
		return 0, err
	}
	reason := fmt.Sprintf("the source's storage quota of %d bytes is reached (PFN_SOURCE_QUOTA_BYTES)", h.QuotaBytes)
	var pruned []domain.PluginPruned
	var touched []*domain.PluginHistory
	for _, v := range victims {
		hist := histories[v.Plugin]
		if e, ok := hist.PruneVersion(v.Version, reason, now); ok {
			pruned = append(pruned, e)
			if !slices.Contains(touched, hist) {
				touched = append(touched, hist)
			}
		}
	}
	if err := h.Histories.SaveAll(ctx, touched, source); err != nil {
		return 0, fmt.Errorf("record pruning of %s: %w", id, err)
	}
	return len(pruned), h.deletePruned(ctx, pruned)
}

// deletePruned removes pruned versions' files. They go once the events
// saying so are saved: a crash in between leaves a file nothing points to,
// never a row pointing at nothing.
func (h SyncSource) deletePruned(ctx context.Context, pruned []domain.PluginPruned) error {
	for _, p := range pruned {
		if err := h.Blobs.Delete(ctx, p.BlobKey); err != nil {
			return fmt.Errorf("prune %s %s: %w", p.Plugin, p.Version, err)
		}
	}
	return nil
}

// latestStored picks each plugin's newest kept version.
func latestStored(stored []StoredVersion) map[string]StoredVersion {
	latest := map[string]StoredVersion{}
	for _, v := range stored {
		if l, ok := latest[v.Plugin]; !ok || domain.CompareVersions(l.Version, v.Version) < 0 {
			latest[v.Plugin] = v
		}
	}
	return latest
}

// verifySignatures checks the publisher signature of every listed version
// not mirrored yet, on every core: fifty Ed25519 verifications in a row were
// a few milliseconds of a first sync's critical path.
func verifySignatures(key ed25519.PublicKey, listed []ListedPlugin, histories map[string]*domain.PluginHistory) []bool {
	ok := make([]bool, len(listed))
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := listed[i]
				claim := p.Claim()
				k := publisherKeyFor(p, key)
				ok[i] = k != nil && domain.VerifyPlugin(k, claim, p.Signature) == nil
			}
		}()
	}
	for i, p := range listed {
		if hist := histories[p.Slug]; hist != nil && unusable(p) == "" {
			if _, known := hist.Mirrored(p.Version); !known {
				next <- i
			}
		}
	}
	close(next)
	wg.Wait()
	return ok
}

// lockSyncable takes the source's sync lock and loads it, refusing a
// source that may not be synced; the caller runs unlock when done.
func (h SyncSource) lockSyncable(ctx context.Context, id domain.SourceID) (*domain.Source, func(), error) {
	unlock, err := h.Locker.Lock(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	source, err := h.Sources.Load(ctx, id)
	if err == nil {
		err = source.CanSync()
	}
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return source, unlock, nil
}
