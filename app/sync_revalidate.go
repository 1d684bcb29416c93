package app

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// FileValidator asks a publisher about a file without fetching it: whether
// it still serves the bytes of a sha256 (docs/protocol.md, "Revalidating
// asset files").
type FileValidator interface {
	Validate(ctx context.Context, url, sha256 string) (FileValidation, error)
}

// FileValidation is what a publisher's answer says of a file's bytes. It
// is the publisher's word only: a sync downloads the file before it
// believes that the bytes changed.
type FileValidation struct {
	NotModified bool   // 304 to If-None-Match with the sha256 as entity tag
	SHA256      string // the sha256 the answer's headers name, lower-case hex; "" when none is usable
}

// RevalidateConfig bounds what a sync asks about the versions it holds.
type RevalidateConfig struct {
	Max     int           // PFN_REVALIDATE_MAX: held versions asked about per sync; 0 is DefaultRevalidateMax
	Timeout time.Duration // PFN_REVALIDATE_TIMEOUT: each question's deadline; 0 is DefaultRevalidateTimeout
}

const (
	// DefaultRevalidateMax keeps a sync of a large source to a hundred
	// small requests; later syncs go on where it stopped.
	DefaultRevalidateMax = 100
	// DefaultRevalidateTimeout: a HEAD carries no body, so a publisher that
	// needs longer is slow enough to be left to the recheck.
	DefaultRevalidateTimeout = 10 * time.Second
)

// RevalidationResult says what asking the publisher about the held
// versions found.
type RevalidationResult struct {
	Revalidated int // a verdict: unchanged, or other bytes (tampering)
	NoValidator int // no 304 and no sha256 named: left to the recheck, nothing downloaded
	Downloaded  int // a validator named other bytes: downloaded and hashed to decide
	Tampered    int // the publisher serves other bytes than the mirrored ones
	Failed      int // no verdict: the request failed or was too slow, or the sync's bytes or time ran out
	Deferred    int // past this sync's cap: later syncs ask about them
}

type verdict int

const (
	verdictNone        verdict = iota // no answer
	verdictUnchanged                  // the mirrored bytes, by a validator or by hashing them
	verdictNoValidator                // the publisher gave nothing to compare
	verdictTampered                   // downloaded: other bytes
)

// heldVersion is a mirrored version whose file the node keeps and which
// the publisher still lists as it did.
type heldVersion struct {
	key     string // slug@version: the order the cap rotates in
	plugin  ListedPlugin
	history *domain.PluginHistory
	sha256  string // as mirrored
	url     string
	verdict verdict
	fetched bool // downloaded and hashed to decide
}

// otherBytes is the tampering a recheck or a revalidation records for a
// version whose file is now other bytes: one text, so it is recorded once
// whichever finds it first.
func otherBytes(mirrored string) string {
	return "the publisher now serves other bytes for this version (sha256 differs from the mirrored " + mirrored + ")"
}

// held adds a known version listed unchanged to out when the node serves
// its file: not pruned, yanked or damaged (nobody is served those, so
// asking about them spends the sync's questions for nothing), and not
// known to be tampered with already.
func (in syncInput) held(out []*heldVersion, p ListedPlugin, hist *domain.PluginHistory) []*heldVersion {
	v, ok := hist.Mirrored(p.Version)
	if !ok || v.Pruned || v.Yanked || v.Damage != "" || hist.TamperingReported(p.Version, otherBytes(v.SHA256)) {
		return out
	}
	u, err := domain.AssetURL(in.AssetDomain, in.NamingScheme, in.Username, p.Slug, p.Version)
	if err != nil {
		return out // the naming scheme changed since: the recheck's business
	}
	return append(out, &heldVersion{key: p.Slug + "@" + p.Version, plugin: p, history: hist, sha256: v.SHA256, url: u})
}

// revalidate asks the publisher about the held versions, at most
// Revalidate.Max of them, and records what it found: other bytes as
// tampering (once; the first copy stays), the counts in the answer and the
// sync's record. It runs after the downloads, in half the time the sync
// has left, so that a slow publisher cannot cost the sync its record.
func (h SyncSource) revalidate(ctx context.Context, held []*heldVersion, from string, rec *syncRecording) {
	validator, ok := h.Catalog.(FileValidator)
	if !ok || len(held) == 0 {
		return
	}
	batch, through, deferred := rotation(held, from, cmp.Or(h.Revalidate.Max, DefaultRevalidateMax))
	ctx, cancel := halfOfWhatIsLeft(ctx)
	defer cancel()
	budget := h.confirmBudget(rec.result.MirroredBytes)
	eachAtMost(h.Parallelism, batch, func(v *heldVersion) { h.ask(ctx, validator, v, budget) })
	rec.result.Revalidation.Deferred = deferred
	for _, v := range batch {
		rec.revalidated(v)
	}
	r := rec.result.Revalidation
	rec.sum.Revalidation = domain.Revalidation{Revalidated: r.Revalidated, NoValidator: r.NoValidator, Through: through}
}

// ask revalidates one held version. A 304, or a validator naming the
// mirrored sha256, means unchanged; no validator means no download (the
// recheck's business); a validator naming other bytes is only a reason to
// download and hash the file: the bytes decide, never a header.
func (h SyncSource) ask(ctx context.Context, validator FileValidator, v *heldVersion, budget *syncBudget) {
	answer, err := h.validate(ctx, validator, v)
	switch {
	case err != nil:
		return
	case answer.NotModified || answer.SHA256 == v.sha256:
		v.verdict = verdictUnchanged
	case answer.SHA256 == "":
		v.verdict = verdictNoValidator
	default:
		sum, err := h.hashWithin(ctx, v.url, budget)
		if err != nil {
			return
		}
		v.fetched, v.verdict = true, verdictTampered
		if sum == v.sha256 {
			v.verdict = verdictUnchanged // a wrong header, the right bytes
		}
	}
}

func (h SyncSource) validate(ctx context.Context, validator FileValidator, v *heldVersion) (FileValidation, error) {
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(h.Revalidate.Timeout, DefaultRevalidateTimeout))
	defer cancel()
	return validator.Validate(ctx, v.url, v.sha256)
}

// revalidated counts one version's verdict and records tampering once.
func (r *syncRecording) revalidated(v *heldVersion) {
	res := &r.result.Revalidation
	if v.fetched {
		res.Downloaded++
	}
	switch v.verdict {
	case verdictUnchanged:
		res.Revalidated++
	case verdictNoValidator:
		res.NoValidator++
	case verdictTampered:
		res.Revalidated++
		res.Tampered++
		detail := otherBytes(v.sha256)
		r.answer(v.plugin, "tampering: "+detail+"; the first copy stays")
		if v.history.RecordTampered(v.plugin.Version, detail, r.now) {
			r.sum.InvalidSignatures++ // lowers trust as a recheck's finding does
		}
	default:
		res.Failed++
	}
}

// hashWithin downloads a file to hash it, not to keep it: at most MaxBytes,
// drawing on budget.
func (h SyncSource) hashWithin(ctx context.Context, url string, budget *syncBudget) (string, error) {
	if err := budget.spent(); err != nil {
		return "", err
	}
	body, err := h.Catalog.Download(ctx, url)
	if err != nil {
		return "", err
	}
	defer body.Close()
	counted := &budgetReader{r: body, b: budget}
	if n := announcedLength(body); n > h.MaxBytes {
		return "", fmt.Errorf("the publisher announces more than %d bytes (PFN_MAX_PLUGIN_BYTES)", h.MaxBytes)
	} else if n >= 0 {
		if err := counted.reserve(n); err != nil {
			return "", err
		}
	}
	defer counted.settle()
	return hashAtMost(counted, h.MaxBytes)
}

// confirmBudget is what downloads that confirm a changed file may fetch:
// what this sync's PFN_SYNC_MAX_BYTES leaves after its own downloads
// (which stayed within it).
func (h SyncSource) confirmBudget(downloaded int64) *syncBudget {
	b := newSyncBudget(h.MaxSyncBytes, 0, 0)
	_ = b.take(downloaded, 0)
	return b
}

// hashAtMost is the sha256 of r, which must end within max bytes.
func hashAtMost(r io.Reader, max int64) (string, error) {
	sum := sha256.New()
	n, err := io.Copy(sum, io.LimitReader(r, max+1))
	if err != nil {
		return "", err
	}
	if n > max {
		return "", fmt.Errorf("more than %d bytes", max)
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}

// halfOfWhatIsLeft ends halfway to ctx's deadline (with none, with ctx).
func halfOfWhatIsLeft(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, time.Now().Add(time.Until(deadline)/2))
}

// eachAtMost runs fn on every item, at most n at once (n <= 0:
// DefaultSyncParallelism), and returns when all have.
func eachAtMost[T any](n int, items []T, fn func(T)) {
	if n <= 0 {
		n = DefaultSyncParallelism
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, it := range items {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(it)
		})
	}
	wg.Wait()
}
