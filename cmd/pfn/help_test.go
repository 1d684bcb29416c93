package main

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// flagsListed are the flag names a -h output lists, in order.
func flagsListed(help string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z0-9-]+)`).FindAllStringSubmatch(help, -1) {
		names = append(names, m[1])
	}
	return names
}

func TestHelpListsOnlyTheCommandsFlagsAndExitsZero(t *testing.T) {
	t.Parallel()
	dbAndLog := []string{"database-url", "log-format", "log-level"}
	tests := []struct {
		args []string
		want []string // nil: the whole serve set, checked by size and members
	}{
		{[]string{"serve", "-h"}, nil},
		{[]string{"migrate", "-h"}, dbAndLog},
		{[]string{"admin", "create-key", "-h"}, []string{"database-url", "description", "log-format", "log-level", "role"}},
		{[]string{"projections", "status", "-h"}, dbAndLog},
		{[]string{"projections", "rebuild", "-h"}, []string{"all", "database-url", "log-format", "log-level"}},
		{[]string{"events", "list", "-h"}, []string{"actor", "after", "database-url", "format", "from", "limit", "log-format", "log-level", "source", "stream", "to", "type"}},
		{[]string{"events", "export", "-h"}, []string{"actor", "after", "database-url", "from", "limit", "log-format", "log-level", "source", "stream", "to", "type"}},
		{[]string{"events", "state", "-h"}, []string{"at", "database-url", "log-format", "log-level", "source"}},
		{[]string{"events", "restamp", "-h"}, []string{"database-url", "dry-run", "force"}},
		{[]string{"node", "rotate-key", "-h"}, []string{"node-key-file"}},
		{[]string{"follow", "-h"}, []string{"after", "api-key-file", "dir", "download-timeout", "limit", "max-size", "once", "timeout", "wait"}},
		{[]string{"log", "watch", "-h"}, []string{"interval", "key", "max-audit", "once", "state", "timeout"}},
		{[]string{"verify", "-h"}, []string{"bundle", "node-key"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			// No environment, no database: help must need neither.
			if err := run(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr); err != nil {
				t.Fatalf("run = %v, want nil (exit 0)", err)
			}
			got := flagsListed(stdout.String() + stderr.String())
			if tt.want == nil {
				for _, f := range []string{"listen", "allow-private-networks", "blob-store", "database-url", "sync-interval", "metrics-listen"} {
					if !slices.Contains(got, f) {
						t.Errorf("serve -h lacks -%s: %q", f, got)
					}
				}
				for _, f := range []string{"role", "description", "all"} {
					if slices.Contains(got, f) {
						t.Errorf("serve -h lists another command's -%s", f)
					}
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("flags listed = %q, want %q\n%s", got, tt.want, stderr.String())
			}
		})
	}
}

func TestHelpOfCommandGroupsExitsZero(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-h"}, {"help"}, {"admin", "-h"}, {"events", "-h"}, {"projections", "-h"}, {"node", "-h"}, {"log", "-h"}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); err != nil {
			t.Errorf("%q: run = %v, want nil", args, err)
		}
		if stdout.Len() == 0 {
			t.Errorf("%q printed no usage", args)
		}
	}
}

func TestDatabaseCommandsAreQuietUnlessMigrationsRan(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PFN_DATABASE_URL": databaseURL(t)}
	for k, v := range dataEnv(t) {
		env[k] = v
	}
	getenv := func(k string) string { return env[k] }
	// The first migrate's one line is TestMigrateTwiceIsANoOp's.
	if err := run(context.Background(), []string{"migrate"}, getenv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"migrate"}, {"admin", "create-key"}, {"projections", "status"}, {"events", "list"}} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, getenv, &stdout, &stderr); err != nil {
			t.Fatalf("%q: %v\n%s", args, err, stderr.String())
		}
		if stderr.Len() != 0 {
			t.Errorf("%q wrote to stderr %q; want nothing", args, stderr.String())
		}
	}
}
