package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/pfn-network/pfn/domain"
)

// storedCopyFinding is what re-reading one kept version's stored copy
// measured.
type storedCopyFinding struct {
	v StoredVersion
	m domain.StoredCopyMeasure
}

// recheckStoredCopies re-hashes the node's own copy of every kept version,
// one file at a time, streaming (memory stays one buffer however large the
// files). It returns what is worth recording: copies that are damaged, and
// good copies the read model shows damaged (they may have been restored).
// A copy the blob store cannot read for another reason (a store that is
// down) gives no verdict: the remembered one stays. The verdict is
// GET /federation/verify's: anyone may call that, so it never reads files.
func (h SyncSource) recheckStoredCopies(ctx context.Context, stored []StoredVersion) ([]storedCopyFinding, error) {
	opener, ok := h.Blobs.(BlobOpener)
	if !ok {
		return nil, nil // a store that cannot read back has nothing to recheck
	}
	var out []storedCopyFinding
	for _, v := range stored {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, err := measureStoredCopy(ctx, opener, v)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		if good := !m.Missing && m.SHA256 == v.SHA256 && m.Size == v.Size; good && !v.Damaged {
			continue
		}
		out = append(out, storedCopyFinding{v, m})
	}
	return out, nil
}

// measureStoredCopy reads at most one byte past the recorded size (which
// was within PFN_MAX_PLUGIN_BYTES when the file was stored). A copy of
// another size is damaged whatever its bytes, so it is not read at all: a
// file replaced by a huge one costs nothing to condemn.
func measureStoredCopy(ctx context.Context, opener BlobOpener, v StoredVersion) (domain.StoredCopyMeasure, error) {
	rc, size, err := opener.Open(ctx, v.BlobKey)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.StoredCopyMeasure{Missing: true}, nil
	}
	if err != nil {
		return domain.StoredCopyMeasure{}, err
	}
	defer rc.Close()
	if size != v.Size {
		return domain.StoredCopyMeasure{Size: size}, nil
	}
	sum := sha256.New()
	n, err := io.Copy(sum, io.LimitReader(ctxReader{ctx, rc}, v.Size+1))
	if err != nil {
		return domain.StoredCopyMeasure{}, fmt.Errorf("re-read the stored copy of %s %s: %w", v.Plugin, v.Version, err)
	}
	return domain.StoredCopyMeasure{SHA256: hex.EncodeToString(sum.Sum(nil)), Size: n}, nil
}

// ctxReader ends a long read when the job's deadline passes (a file
// store's reads do not watch the context themselves).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
