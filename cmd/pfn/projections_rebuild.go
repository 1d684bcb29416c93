package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pfn-network/pfn/eventstore"
)

// projectionsRebuildCommand runs pfn projections rebuild [-all] [NAME...].
func projectionsRebuildCommand(ctx context.Context, getenv func(string) string, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	all := fs.Bool("all", false, "rebuild every projection")
	cfg, rest, err := loadConfigFlags(getenv, fs, args, databaseFlags|logFlags)
	if err != nil {
		return err
	}
	var names []string
	for _, a := range rest { // flags stop at the first name; -all may follow names
		if a == "-all" || a == "--all" {
			*all = true
		} else {
			names = append(names, a)
		}
	}
	if (len(names) == 0) == !*all {
		fmt.Fprint(stderr, projectionsUsage)
		return errors.New("projections rebuild: name projections or give -all, not both")
	}
	pool, n, err := wireProjections(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer pool.Close()
	if *all {
		names = n.runner.Names()
	}
	bar := newProgressBar(stderr, isTerminal(stderr))
	res, err := n.runner.Rebuild(ctx, names, eventstore.RebuildOptions{Progress: bar.update})
	bar.finish()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "rebuilt %s: %d events in %s (%.0f events/s), now at position %d (transaction %d), %d poisoned\n",
		strings.Join(res.Projections, ", "), res.Events, res.Elapsed.Round(time.Millisecond),
		float64(res.Events)/max(res.Elapsed.Seconds(), 1e-9), res.Position.GlobalPosition, res.Position.TransactionID, res.Poisoned)
	return err
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progressBar shows a rebuild's progress: redrawn in place on a terminal,
// a plain line every few seconds otherwise (logs, CI).
type progressBar struct {
	w        io.Writer
	tty      bool
	now      func() time.Time
	start    time.Time
	lastDraw time.Time
	last     eventstore.RebuildProgress
	drawn    bool
}

func newProgressBar(w io.Writer, tty bool) *progressBar {
	return &progressBar{w: w, tty: tty, now: time.Now, start: time.Now()}
}

func (b *progressBar) interval() time.Duration {
	if b.tty {
		return 100 * time.Millisecond
	}
	return 5 * time.Second
}

func (b *progressBar) update(p eventstore.RebuildProgress) {
	b.last = p
	if now := b.now(); now.Sub(b.lastDraw) >= b.interval() {
		b.lastDraw = now
		b.draw()
	}
}

// finish draws the final state and ends the line.
func (b *progressBar) finish() {
	if b.last.Total == 0 && !b.drawn {
		return
	}
	b.draw()
	if b.tty {
		fmt.Fprintln(b.w)
	}
}

func (b *progressBar) draw() {
	b.drawn = true
	line := b.line()
	if b.tty {
		fmt.Fprintf(b.w, "\r%s\x1b[K", line)
		return
	}
	fmt.Fprintln(b.w, line)
}

func (b *progressBar) line() string {
	p := b.last
	elapsed := b.now().Sub(b.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.Done) / elapsed.Seconds()
	}
	frac := 1.0
	if p.Total > 0 {
		frac = min(1, float64(p.Done)/float64(p.Total))
	}
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(p.Total-p.Done) / rate * float64(time.Second))).Round(time.Second).String()
	}
	text := fmt.Sprintf("%d/%d events %3.0f%%  %.0f events/s  ETA %s", p.Done, p.Total, frac*100, rate, eta)
	if !b.tty {
		return "rebuild: " + text
	}
	const width = 30
	filled := int(frac * width)
	return "[" + strings.Repeat("=", filled) + strings.Repeat(" ", width-filled) + "] " + text
}
