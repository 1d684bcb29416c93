package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/pfn-network/pfn/internal/follow"
)

const followSynopsis = "pfn follow [flags] URL"

const followWhat = `Follow a node's change feed (GET /federation/changes at URL): download every
new version into -dir as DIR/<source>/<plugin>/<version>.zip and verify it
(sha256 and size, the publisher's signature v1 and v2, the node's federation
statement v1 and v2) against keys pinned at first use: the node's keys from
its /federation-info, each source's publisher key from the node's catalogue
provenance (no API key needed) or, with -api-key-file holding an admin key,
its /federation/sources key history. A different key later is accepted only
when the node's key history also lists a pinned one (for a publisher key,
that history needs the admin key). A yanked, pruned or removed version's file is deleted. The
cursor, the pins and the files held are kept in DIR/.pfn-follow.json
(written atomically), so a rerun continues where the last one stopped.
A verification failure stops it with a non-zero exit naming what failed.
Without -once it long-polls forever, retrying failed calls with backoff.
Flags may come before or after URL.`

// followCommand runs pfn follow. It needs no database and no PFN_
// variable: it is a client of a node, for site operators and CI jobs.
func followCommand(ctx context.Context, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	fs.Usage = usageWithoutEnvNote(fs, followSynopsis, followWhat)
	dir := fs.String("dir", "pfn-follow", "the directory to download into; it keeps the follower's state")
	after := fs.String("after", "", "start after this cursor instead of the one the state kept (\"0\": from the start)")
	once := fs.Bool("once", false, "catch up, then exit 0 (for CI jobs)")
	keyFile := fs.String("api-key-file", "", "a file holding an API key, sent with every call (a node with PFN_PUBLIC_CATALOG=false; an admin key also lets publisher keys be read from /federation/sources)")
	limit := fs.Int("limit", 500, "changes per feed page (1..1000)")
	wait := fs.Duration("wait", 30*time.Second, "how long one long poll waits for a change (0..60s)")
	timeout := fs.Duration("timeout", 30*time.Second, "deadline of each API call (a long poll gets -wait more)")
	dlTimeout := fs.Duration("download-timeout", 10*time.Minute, "deadline of each file download")
	maxSize := fs.Int64("max-size", 1<<30, "the largest file it downloads, in bytes; a larger one is a verification failure")
	base, err := parseURLArgs("follow", fs, args)
	if err != nil {
		return err
	}
	if *limit < 1 || *limit > 1000 || *wait < 0 || *wait > time.Minute || *timeout <= 0 || *dlTimeout <= 0 || *maxSize < 1 {
		return fmt.Errorf("follow: -limit takes 1..1000, -wait 0..60s, -timeout, -download-timeout and -max-size a positive value")
	}
	apiKey := ""
	if *keyFile != "" {
		raw, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("follow: -api-key-file: %w", err)
		}
		apiKey = strings.TrimSpace(string(raw))
	}
	f := &follow.Follower{
		Node: &follow.Node{Base: base, APIKey: apiKey, Client: &http.Client{}, Timeout: *timeout, DownloadTimeout: *dlTimeout},
		Dir:  *dir, Out: stdout, Log: slog.New(slog.NewTextHandler(stderr, nil)),
		Limit: *limit, Wait: *wait, MaxSize: *maxSize, MaxRetry: time.Minute,
	}
	if err := f.Run(ctx, *after, *once); err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	return nil
}

// parseURLArgs reads the flags on either side of URL (the issue's
// synopsis puts them after it, Go's flag package stops at it) and returns
// URL without a trailing slash; cmd names the command in errors.
func parseURLArgs(cmd string, fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return "", fmt.Errorf("%s: want the node's URL", cmd)
	}
	raw := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("%s: unexpected arguments %q", cmd, fs.Args())
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%s: URL %q: want the node's base URL, http(s)://host[:port][/path]", cmd, raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// usageWithoutEnvNote is setUsage's -h without its note on PFN_ variables:
// pfn follow reads none.
func usageWithoutEnvNote(fs *flag.FlagSet, synopsis, what string) func() {
	return func() {
		fmt.Fprintf(fs.Output(), "Usage: %s\n\n%s\n\nFlags:\n", synopsis, what)
		fs.PrintDefaults()
	}
}
