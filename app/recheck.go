package app

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// RecheckResult says what a recheck of a source's mirrored files found.
type RecheckResult struct {
	Checked  int
	Tampered []Rejection
	Damaged  []Rejection // the node's own stored copies that are missing or other bytes
}

// Recheck downloads the latest mirrored version of each of a source's
// plugins again and compares its sha256 with the copy. A sync asks about
// the files it holds without downloading them (sync_revalidate.go), so
// other bytes behind an unchanged listing are found here only for
// publishers that give no validator, or whose validator lies. A difference
// is recorded as tampering, once (the same finding as a sync's), and
// lowers the source's trust; the first copy stays. Nothing is stored.
//
// It also re-hashes the node's own stored copy of every kept version: a
// copy that is missing or not the recorded bytes is recorded as damaged
// (once), and one found good again after that as restored. That verdict
// is what GET /federation/verify and downloads answer.
func (h SyncSource) Recheck(ctx context.Context, id domain.SourceID) (RecheckResult, error) {
	result := RecheckResult{Tampered: []Rejection{}, Damaged: []Rejection{}}
	source, unlock, err := h.lockSyncable(ctx, id)
	if err != nil {
		return result, err
	}
	defer unlock()
	if h.Usage == nil {
		return result, nil
	}
	stored, err := h.Usage.StoredVersions(ctx, id)
	if err != nil {
		return result, err
	}
	changed, err := h.recheckPublisher(ctx, source.State(), stored, &result)
	if err != nil {
		return result, err
	}
	copies, err := h.recheckStoredCopies(ctx, stored)
	if err != nil {
		return result, err
	}
	if len(changed) == 0 && len(copies) == 0 {
		return result, nil
	}
	err = h.recordRecheck(ctx, id, source, changed, copies, &result)
	return result, err
}

// recordRecheck records what a recheck found on the plugins' histories and,
// for newly found tampering, on the source.
func (h SyncSource) recordRecheck(ctx context.Context, id domain.SourceID, source *domain.Source, changed []StoredVersion, copies []storedCopyFinding, result *RecheckResult) error {
	var slugs []string
	for _, v := range changed {
		slugs = append(slugs, v.Plugin)
	}
	for _, c := range copies {
		slugs = append(slugs, c.v.Plugin)
	}
	slices.Sort(slugs)
	histories, err := h.Histories.LoadAll(ctx, id, slices.Compact(slugs))
	if err != nil {
		return err
	}
	now := h.Now()
	touched, newlyTampered := recheckFindings(histories, changed, copies, now, result)
	if len(touched) == 0 {
		return nil // reported before: recorded (and penalised) once
	}
	if newlyTampered > 0 {
		if err := source.RecordTampering(newlyTampered, now); err != nil {
			return err
		}
	}
	var save []*domain.PluginHistory
	for _, slug := range slices.Sorted(maps.Keys(touched)) {
		save = append(save, histories[slug])
	}
	if err := h.Histories.SaveAll(ctx, save, source); err != nil {
		return fmt.Errorf("record what the recheck of %s found: %w", id, err)
	}
	return nil
}

// recheckFindings reports every finding and records each once on its
// plugin's history; it returns the histories it recorded on and how many
// tamperings are new.
func recheckFindings(histories map[string]*domain.PluginHistory, changed []StoredVersion, copies []storedCopyFinding, now time.Time, result *RecheckResult) (touched map[string]bool, newlyTampered int) {
	touched = map[string]bool{}
	for _, v := range changed {
		detail := otherBytes(v.SHA256)
		result.Tampered = append(result.Tampered, Rejection{Plugin: v.Plugin, Version: v.Version, Reason: "tampering: " + detail + "; the first copy stays"})
		hist := histories[v.Plugin]
		if hist.RecordTampered(v.Version, detail, now) {
			newlyTampered++
			touched[v.Plugin] = true
		}
	}
	for _, c := range copies {
		hist := histories[c.v.Plugin]
		if hist.CheckStoredCopy(c.v.Version, c.m, now) {
			touched[c.v.Plugin] = true
		}
		if v, _ := hist.Mirrored(c.v.Version); v.Damage != "" {
			result.Damaged = append(result.Damaged, Rejection{Plugin: c.v.Plugin, Version: c.v.Version, Reason: "stored copy damaged: " + v.Damage})
		}
	}
	return touched, newlyTampered
}

// recheckPublisher re-downloads the latest kept version of each plugin and
// returns those whose bytes differ from the copy.
func (h SyncSource) recheckPublisher(ctx context.Context, st domain.SourceState, stored []StoredVersion, result *RecheckResult) ([]StoredVersion, error) {
	var changed []StoredVersion
	for _, v := range latestStored(stored) {
		url, err := domain.AssetURL(st.Info.AssetDomain, st.Info.NamingScheme, st.Username, v.Plugin, v.Version)
		if err != nil {
			continue // the naming scheme changed since: nothing to compare
		}
		sum, err := h.hashDownload(ctx, url)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// Unreachable files are the health check's business, and a
			// publisher that trickles would hold the recheck one
			// minimum-rate window per file: stop at the first failure. The
			// map's order differs each run, so later rechecks reach the rest.
			break
		}
		result.Checked++
		if sum != v.SHA256 {
			changed = append(changed, v)
		}
	}
	return changed, nil
}

func (h SyncSource) hashDownload(ctx context.Context, url string) (string, error) {
	body, err := h.Catalog.Download(ctx, url)
	if err != nil {
		return "", err
	}
	defer body.Close()
	return hashAtMost(body, h.MaxBytes)
}
