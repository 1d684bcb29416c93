package follow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pfn-network/pfn/domain"
	"github.com/pfn-network/pfn/internal/fsdir"
)

// Follower applies a node's change feed to a directory.
type Follower struct {
	Node     *Node
	Dir      string
	Out      io.Writer    // one line per file fetched, found or removed
	Log      *slog.Logger // retries
	Limit    int          // changes per page
	Wait     time.Duration
	MaxSize  int64         // the largest file it downloads
	MaxRetry time.Duration // the longest pause between retries

	st     State
	counts struct{ fetched, present, removed int }
}

// Run follows the feed from the state's cursor (or after, when not empty).
// With once it returns nil when it has caught up; otherwise it long-polls
// for more until ctx ends, retrying failed calls with a growing pause. A
// verification failure ends it at once, whatever the mode: the state keeps
// the cursor of the last change applied, so a rerun stops at the same one.
func (f *Follower) Run(ctx context.Context, after string, once bool) error {
	f.Dir = filepath.Clean(f.Dir)
	st, err := LoadState(f.Dir)
	if err != nil {
		return err
	}
	if st.Node != "" && st.Node != f.Node.Base {
		return fmt.Errorf("%s follows %s, not %s: use another directory", f.Dir, st.Node, f.Node.Base)
	}
	st.Node = f.Node.Base
	if after != "" {
		if _, err := ParseCursor(after); err != nil {
			return fmt.Errorf("-after: %w", err)
		}
		st.Cursor = after
	}
	if st.Cursor == "" {
		st.Cursor = "0"
	}
	f.st = st
	retry := time.Duration(0)
	for {
		start := time.Now()
		applied, caughtUp, err := f.step(ctx, once)
		var pause time.Duration
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil && (IsFailure(err) || once):
			return err
		case err != nil:
			retry = min(max(2*retry, time.Second), f.MaxRetry)
			pause = retry
			f.Log.WarnContext(ctx, "follow: will retry", "err", err, "in", pause.String())
		case caughtUp && once:
			f.summary()
			return nil
		case caughtUp && applied == 0 && time.Since(start) < time.Second:
			// A node that answers an empty long poll at once does not hold
			// it (one without wait=): ask once a second, not in a tight loop.
			retry, pause = 0, time.Second
		default:
			retry = 0
		}
		if pause > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pause):
			}
		}
	}
}

// step pins the node's keys when none are, reads one page and applies its
// changes; caughtUp says the feed had nothing more. The state is saved
// after the page, and after a change that failed.
func (f *Follower) step(ctx context.Context, once bool) (applied int, caughtUp bool, err error) {
	if len(f.st.Pins.Node) == 0 {
		if err := f.pinNode(ctx); err != nil {
			return 0, false, err
		}
		if err := f.st.Save(f.Dir); err != nil {
			return 0, false, err
		}
	}
	wait := f.Wait
	if once {
		wait = 0
	}
	page, err := f.Node.Changes(ctx, f.st.Cursor, f.Limit, wait)
	if err != nil {
		return 0, false, err
	}
	for _, ch := range page.Changes {
		if err := f.apply(ctx, ch); err != nil {
			if serr := f.st.Save(f.Dir); serr != nil {
				err = errors.Join(err, serr)
			}
			return 0, false, err
		}
		f.st.Cursor = ch.Cursor
	}
	before := f.st.Cursor
	f.st.Cursor = page.Next
	if len(page.Changes) > 0 || page.Next != before {
		if err := f.st.Save(f.Dir); err != nil {
			return 0, false, err
		}
	}
	if !page.More && !once && len(page.Changes) > 0 {
		f.summary()
	}
	return len(page.Changes), !page.More, nil
}

func (f *Follower) pinNode(ctx context.Context) error {
	keys, err := f.Node.Info(ctx)
	if err != nil {
		return err
	}
	return f.st.Pins.PinNode(keys)
}

func (f *Follower) summary() {
	fmt.Fprintf(f.Out, "caught up at cursor %s: %d fetched, %d present, %d removed\n",
		f.st.Cursor, f.counts.fetched, f.counts.present, f.counts.removed)
}

func (f *Follower) apply(ctx context.Context, ch Change) error {
	switch ch.kind {
	case domain.ChangeVersionMirrored, domain.ChangeVersionUpdated, domain.ChangeVersionUnyanked:
		return f.fetch(ctx, ch)
	case domain.ChangeVersionYanked, domain.ChangeVersionPruned:
		return f.remove(fileKey(ch.Source, ch.Plugin, ch.Version), ch)
	case domain.ChangeSourceRemoved:
		var keys []string
		for key := range f.st.Files {
			if strings.HasPrefix(key, ch.Source+"/") {
				keys = append(keys, key)
			}
		}
		slices.Sort(keys)
		for _, key := range keys {
			if err := f.remove(key, ch); err != nil {
				return err
			}
		}
	case domain.ChangeSourceSuspended, domain.ChangeSourceQuarantine, domain.ChangeSourceResumed:
		// The files stay: they verified, and a quarantine may be lifted
		// (resumed) without any version changing.
		fmt.Fprintf(f.Out, "%s %s %s\n", ch.Kind, ch.Source, ch.Reason)
	default:
		f.Log.InfoContext(ctx, "follow: passing over a change of a kind this version does not know", "kind", ch.Kind, "cursor", ch.Cursor)
	}
	return nil
}

// remove deletes a yanked, pruned or removed version's file: the directory
// holds what the node serves, nothing it withdrew.
func (f *Follower) remove(key string, ch Change) error {
	if err := removeFile(f.Dir, key); err != nil {
		return err
	}
	if _, held := f.st.Files[key]; held {
		delete(f.st.Files, key)
		f.counts.removed++
		fmt.Fprintf(f.Out, "removed %s (%s %s)\n", strings.ReplaceAll(key, "/", " "), ch.Kind, ch.Reason)
	}
	return nil
}

// fetch makes the directory hold the version the change announced,
// verified: skipped when the state says it does, taken from disk when the
// file there has the right sha256, downloaded otherwise.
func (f *Follower) fetch(ctx context.Context, ch Change) error {
	key := fileKey(ch.Source, ch.Plugin, ch.Version)
	path := filePath(f.Dir, key)
	if held, ok := f.st.Files[key]; ok && held.SHA256 == ch.SHA256 && held.Size == ch.Size && sizeOf(path) == ch.Size {
		return nil
	}
	if ch.Size > f.MaxSize {
		return &Failure{What: "size", Source: ch.Source, Plugin: ch.Plugin, Ver: ch.Version,
			Detail: fmt.Sprintf("%d bytes, more than the %d this follower downloads (-max-size)", ch.Size, f.MaxSize)}
	}
	row, err := f.Node.Row(ctx, ch.Source, ch.Plugin, ch.Version)
	if err != nil {
		return f.notServed(ch, err)
	}
	if err := f.pinKeys(ctx, row); err != nil {
		return err
	}
	if err := CheckRow(row, ch, &f.st.Pins); err != nil {
		return err
	}
	sum, size, found, err := hashFile(path, ch.Size)
	if err != nil {
		return err
	}
	verb := "present"
	if found && sum == ch.SHA256 && size == ch.Size {
		f.counts.present++
	} else {
		if err := f.download(ctx, ch, path); err != nil {
			return f.notServed(ch, err)
		}
		verb = "fetched"
		f.counts.fetched++
	}
	f.st.Files[key] = File{SHA256: ch.SHA256, Size: ch.Size}
	fmt.Fprintf(f.Out, "%s %s %s %s %s\n", verb, ch.Source, ch.Plugin, ch.Version, ch.SHA256)
	return nil
}

// notServed passes over a version the node stopped serving since the
// change (errGone: a later change says why) and returns any other error.
func (f *Follower) notServed(ch Change, err error) error {
	if !errors.Is(err, errGone) {
		return err
	}
	fmt.Fprintf(f.Out, "not served %s %s %s (%v)\n", ch.Source, ch.Plugin, ch.Version, err)
	return nil
}

// download writes the file through a temporary file that is renamed into
// place only once its sha256 and size are the ones the node signed.
func (f *Follower) download(ctx context.Context, ch Change, path string) error {
	return fsdir.WriteAtomic(filepath.Dir(path), filepath.Base(path), func(tmp *os.File) error {
		h := sha256.New()
		cw := &countingWriter{w: io.MultiWriter(tmp, h)}
		if err := f.Node.Download(ctx, ch.Source, ch.Plugin, ch.Version, ch.Size, cw); err != nil {
			return err
		}
		return CheckBytes(ch, hex.EncodeToString(h.Sum(nil)), cw.n)
	})
}

// pinKeys pins what the row needs and is not pinned yet: the node key it
// names (from a fresh /federation-info: the node may have rotated), and
// the source's publisher key. That is the key the row's provenance names,
// which anyone may read; the key history in /federation/sources (admin
// keys only) is asked for only when the provenance is not enough: it names
// no key that verifies, or a key other than those pinned (a rotation, which
// only that history shows).
func (f *Follower) pinKeys(ctx context.Context, row Row) error {
	if f.st.Pins.NodeKeyByID(row.NodeKeyID) == nil {
		if err := f.pinNode(ctx); err != nil {
			return err
		}
	}
	var offered []string
	if k := row.ProvenanceKey(); k != "" {
		offered = append(offered, k)
	}
	pinned := f.st.Pins.Publishers[row.Source]
	rotated := len(pinned) > 0 && !containsAll(pinned, offered)
	if rotated || (len(offered) == 0 && (len(pinned) == 0 || !f.st.Pins.publisherSigned(row))) {
		history, err := f.Node.SourceKeys(ctx, row.Source)
		if err != nil {
			return err
		}
		offered = append(offered, history...)
	}
	if len(offered) == 0 && len(pinned) > 0 {
		return nil // CheckRow names the signature that fails
	}
	return f.st.Pins.PinPublisher(row.Source, offered)
}

// containsAll says whether every key offered is pinned already (both raw
// base64; a key in another form is looked up in full by PinPublisher).
func containsAll(pinned, offered []string) bool {
	for _, k := range offered {
		if !slices.Contains(pinned, k) {
			return false
		}
	}
	return true
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
