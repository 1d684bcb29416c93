package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/pfn-network/pfn/internal/logwatch"
	"github.com/pfn-network/pfn/internal/tlogtiles"
)

const logUsage = `Usage: pfn log watch [flags] URL

  watch  check a node's transparency log round after round: each new signed
         checkpoint must extend the last one verified, each new entry must
         be the one its tree commits to; exits 1 on the first that does not
`

const logWatchSynopsis = "pfn log watch [flags] URL"

const logWatchWhat = `Watch a node's transparency log (C2SP tlog-tiles at URL/federation/log/).
Each round reads its signed checkpoint, proves from the log's tiles that the
tree extends the one verified last round, checks every new entry against its
leaf in the tree, and prints one line:
  consistent: size M -> N, root R, entries M..N-1 checked
Every new entry is read, as a monitor must: -max-audit N reads only the
newest N of each round's new entries (the line then names those left
unread, which later rounds do not read either); the consistency proof is
whole either way. The checkpoint's verifier key is pinned at first use, from the "log" member
of URL/federation-info, or given with -key (which also replaces a pinned
key, after a node's key rotation). The state file keeps the URL, the log's
origin, the pinned key and the last checkpoint verified, written atomically.
A log that shrank, forked (the same size, another root), rewrote what it had
or serves an entry its tree does not hold prints "FAIL <kind>: ..." and
exits 1, keeping the last good checkpoint. A round that cannot read the log
(timeout, refusal, an answer too large, a signature that does not verify)
is retried with backoff; with -once it exits 1 too. -once checks once, for
cron and CI. Flags may come before or after URL.`

// logCommand runs pfn log watch. Like pfn follow it needs no database and
// no PFN_ variable: it is a client of a node.
func logCommand(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(stdout, logUsage)
		return nil
	}
	if len(args) == 0 || args[0] != "watch" {
		fmt.Fprint(stderr, logUsage)
		return fmt.Errorf("log: want the subcommand watch")
	}
	fs.Init("pfn log watch", flag.ContinueOnError)
	fs.Usage = usageWithoutEnvNote(fs, logWatchSynopsis, logWatchWhat)
	state := fs.String("state", ".pfn-log-watch.json", "the state file: the pinned key and the last checkpoint verified")
	once := fs.Bool("once", false, "check once, then exit: 0 when consistent, 1 otherwise")
	interval := fs.Duration("interval", time.Minute, "the pause between rounds (and the longest between retries)")
	key := fs.String("key", "", "the log's note verifier key (origin+hash+key) to pin instead of the one URL/federation-info announces")
	timeout := fs.Duration("timeout", 30*time.Second, "deadline of each call to the node")
	maxAudit := fs.Int64("max-audit", 0, "read and hash at most the newest N new entries each round (0: every new entry)")
	base, err := parseURLArgs("log watch", fs, args[1:])
	if err != nil {
		return err
	}
	if *interval <= 0 || *timeout <= 0 {
		return fmt.Errorf("log watch: -interval and -timeout take a positive duration")
	}
	if *maxAudit < 0 {
		return fmt.Errorf("log watch: -max-audit takes 0 (every new entry) or a positive number")
	}
	if *key != "" {
		if _, err := note.NewVerifier(*key); err != nil {
			return fmt.Errorf("log watch: -key: %w", err)
		}
	}
	client := &http.Client{}
	w := &logWatcher{
		base: base, state: *state, key: *key, out: stdout, maxAudit: *maxAudit,
		log: logwatch.NewHTTPFetcher(base, client, *timeout), client: client, timeout: *timeout,
	}
	if err := w.run(ctx, *once, *interval, slog.New(slog.NewTextHandler(stderr, nil))); err != nil {
		return fmt.Errorf("log watch: %w", err)
	}
	return nil
}

// logWatcher checks one node's log, one round at a time.
type logWatcher struct {
	base, state, key string
	maxAudit         int64
	log              logwatch.Fetcher // the log's files
	client           *http.Client     // for /federation-info, each call within timeout
	timeout          time.Duration
	out              io.Writer
}

// stop marks an error that a retry cannot mend: a log caught lying, or a
// state file that is not this log's.
type stop struct{ error }

func (s stop) Unwrap() error { return s.error }

func isStop(err error) bool {
	_, ok := errors.AsType[stop](err)
	return ok
}

// run checks round after round until ctx ends, a round stops it, or once
// one round is done.
func (w *logWatcher) run(ctx context.Context, once bool, interval time.Duration, log *slog.Logger) error {
	retry := time.Duration(0)
	for {
		err := w.round(ctx)
		pause := interval
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case once || isStop(err):
			return err
		case err != nil:
			retry = min(max(2*retry, time.Second), interval)
			pause = retry
			log.WarnContext(ctx, "log watch: will retry", "err", err, "in", pause.String())
		default:
			retry = 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// round pins the key when none is, checks the log from the checkpoint kept
// and keeps the new one when it holds.
func (w *logWatcher) round(ctx context.Context) error {
	st, err := loadLogWatchState(w.state)
	if err != nil {
		return stop{err}
	}
	if st.URL != "" && st.URL != w.base {
		return stop{fmt.Errorf("%s watches %s, not %s: use another -state", w.state, st.URL, w.base)}
	}
	st.URL = w.base
	if err := w.pin(ctx, &st); err != nil {
		return err
	}
	v, err := st.verifier()
	if err != nil {
		return stop{err}
	}
	trusted, err := st.trusted()
	if err != nil {
		return stop{err}
	}
	from := int64(0)
	if trusted != nil {
		from = trusted.N
	}
	c, err := logwatch.Check(ctx, w.log, st.Origin, note.VerifierList(v), trusted, logwatch.Audit{From: from, Max: w.maxAudit})
	if inc, ok := errors.AsType[*logwatch.Inconsistency](err); ok {
		fmt.Fprintf(w.out, "FAIL %s: %s\n", inc.Kind, inc.Detail)
		return stop{err}
	}
	if _, ok := errors.AsType[*note.UnverifiedNoteError](err); ok {
		return fmt.Errorf("%w (if the node rotated its key, check its new verifier key and pass it with -key)", err)
	}
	if err != nil {
		return err
	}
	checked := "no new entries"
	if c.N > from {
		checked = fmt.Sprintf("entries %d..%d checked", c.Audited.From, c.N-1)
	}
	if c.Audited.From > from {
		checked += fmt.Sprintf(" (entries %d..%d not read: -max-audit %d)", from, c.Audited.From-1, w.maxAudit)
	}
	fmt.Fprintf(w.out, "consistent: size %d -> %d, root %s, %s\n", from, c.N, c.Hash, checked)
	st.Checkpoint = string(c.Signed)
	return st.save(w.state)
}

// pin pins -key, or at first use the key the node announces, and saves
// the pin before anything is checked with it.
func (w *logWatcher) pin(ctx context.Context, st *logWatchState) error {
	was := st.VerifierKey
	switch {
	case w.key != "" && w.key != st.VerifierKey:
		v, err := note.NewVerifier(w.key)
		if err != nil {
			return stop{fmt.Errorf("-key: %w", err)}
		}
		if st.Origin != "" && v.Name() != st.Origin {
			return stop{fmt.Errorf("-key names log %q, %s watches %q: use another -state", v.Name(), w.state, st.Origin)}
		}
		st.Origin, st.VerifierKey = v.Name(), w.key
	case st.VerifierKey == "":
		origin, vkey, err := w.announced(ctx)
		if err != nil {
			return err
		}
		st.Origin, st.VerifierKey = origin, vkey
	default:
		return nil
	}
	if _, err := st.verifier(); err != nil {
		return stop{err}
	}
	if was == "" {
		fmt.Fprintf(w.out, "pinned verifier key %s\n", st.VerifierKey)
	} else {
		fmt.Fprintf(w.out, "pinned verifier key %s in place of %s\n", st.VerifierKey, was)
	}
	return st.save(w.state)
}

// maxFederationInfo caps /federation-info as read here: a JSON object of
// a few hundred bytes.
const maxFederationInfo = 1 << 20

// announced reads the log's origin and verifier key from the node's
// /federation-info.
func (w *logWatcher) announced(ctx context.Context) (origin, vkey string, err error) {
	raw, err := getCapped(ctx, w.client, w.base+"/federation-info", maxFederationInfo, w.timeout)
	if err != nil {
		return "", "", err
	}
	var info struct {
		Log *struct {
			Origin      string `json:"origin"`
			VerifierKey string `json:"verifier_key"`
		} `json:"log"`
	}
	if err := json.Unmarshal(raw, &info); err != nil {
		return "", "", fmt.Errorf("%s/federation-info: not the JSON expected: %w", w.base, err)
	}
	if info.Log == nil {
		return "", "", fmt.Errorf("%s/federation-info announces no transparency log", w.base)
	}
	if err := tlogtiles.ValidOrigin(info.Log.Origin); err != nil {
		return "", "", fmt.Errorf("%s/federation-info: %w", w.base, err)
	}
	return info.Log.Origin, info.Log.VerifierKey, nil
}

// getCapped is a GET of u that must answer 200 with at most max bytes, all
// read within timeout.
func getCapped(ctx context.Context, client *http.Client, u string, max int64, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("GET %s answered %d: %q", u, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if int64(len(raw)) > max {
		return nil, fmt.Errorf("GET %s: more than %d bytes", u, max)
	}
	return raw, nil
}
