package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/pfn-network/pfn/domain"
)

// RecheckResult says what a recheck of a source's mirrored files found.
type RecheckResult struct {
	Checked  int         `json:"checked"`
	Tampered []Rejection `json:"tampered"`
}

// Recheck downloads the latest mirrored version of each of a source's
// plugins again and compares its sha256 with the copy: a publisher that
// serves other bytes behind an unchanged listing is only found this way
// (a sync that finds nothing new downloads nothing). A difference is
// recorded as tampering, once, and lowers the source's trust; the first
// copy stays. Nothing is stored.
func (h SyncSource) Recheck(ctx context.Context, id domain.SourceID) (RecheckResult, error) {
	result := RecheckResult{Tampered: []Rejection{}}
	unlock, err := h.Locker.Lock(ctx, id)
	if err != nil {
		return result, err
	}
	defer unlock()
	source, err := h.Sources.Load(ctx, id)
	if err != nil {
		return result, err
	}
	if err := source.CanSync(); err != nil || h.Usage == nil {
		return result, err
	}
	stored, err := h.Usage.StoredVersions(ctx, id)
	if err != nil {
		return result, err
	}
	st := source.State()
	var changed []StoredVersion
	for _, v := range latestStored(stored) {
		url, err := domain.AssetURL(st.Info.AssetDomain, st.Info.NamingScheme, st.Username, v.Plugin, v.Version)
		if err != nil {
			continue // the naming scheme changed since: nothing to compare
		}
		sum, err := h.hashDownload(ctx, url)
		if err != nil {
			if ctx.Err() != nil {
				return result, ctx.Err()
			}
			continue // unreachable files are the health check's business
		}
		result.Checked++
		if sum != v.SHA256 {
			changed = append(changed, v)
		}
	}
	if len(changed) == 0 {
		return result, nil
	}
	var slugs []string
	for _, v := range changed {
		slugs = append(slugs, v.Plugin)
	}
	histories, err := h.Histories.LoadAll(ctx, id, slugs)
	if err != nil {
		return result, err
	}
	now := h.Now()
	var touched []*domain.PluginHistory
	var newlyTampered int
	for _, v := range changed {
		detail := "the publisher now serves other bytes for this version (sha256 differs from the mirrored " + v.SHA256 + ")"
		result.Tampered = append(result.Tampered, Rejection{Plugin: v.Plugin, Version: v.Version, Reason: "tampering: " + detail + "; the first copy stays"})
		hist := histories[v.Plugin]
		before := len(hist.Changes())
		hist.RecordTampered(v.Version, detail, now)
		if len(hist.Changes()) > before {
			newlyTampered++
			touched = append(touched, hist)
		}
	}
	if newlyTampered == 0 {
		return result, nil // reported before: recorded (and penalised) once
	}
	if err := source.RecordTampering(newlyTampered, now); err != nil {
		return result, err
	}
	if err := h.Histories.SaveAll(ctx, touched, source); err != nil {
		return result, fmt.Errorf("record tampering found by the recheck of %s: %w", id, err)
	}
	return result, nil
}

func (h SyncSource) hashDownload(ctx context.Context, url string) (string, error) {
	body, err := h.Catalog.Download(ctx, url)
	if err != nil {
		return "", err
	}
	defer body.Close()
	sum := sha256.New()
	n, err := io.Copy(sum, io.LimitReader(body, h.MaxBytes+1))
	if err != nil {
		return "", err
	}
	if n > h.MaxBytes {
		return "", fmt.Errorf("more than %d bytes", h.MaxBytes)
	}
	return hex.EncodeToString(sum.Sum(nil)), nil
}
