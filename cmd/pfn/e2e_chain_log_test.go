package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// checkEditedLogRow: one byte of a statement in B's transparency_log table
// is changed in B's database. Once B's log grows, pfn log watch (which had
// B's checkpoint) and C (which follows B) both find the entry no longer
// hashing to its leaf. C records the fault, mirrors nothing from B and
// refuses to sync until its admin acts; B's admin rebuilds the log from the
// events (the row comes back as signed), C's admin accepts, and C mirrors
// what it missed. The watcher, which kept its last good checkpoint, passes
// again.
func checkEditedLogRow(t *testing.T, pfn string, pub publisherProc, a, b, c chainNode, atA, atB, atC string) {
	ctx := context.Background()
	state := filepath.Join(t.TempDir(), "watch.json")
	watch := func() (string, error) {
		var out bytes.Buffer
		err := run(ctx, []string{"log", "watch", "-once", "-state", state, b.api.base}, func(string) string { return "" }, &out, &out)
		return out.String(), err
	}
	if out, err := watch(); err != nil {
		t.Fatalf("pfn log watch of B before the edit: %v\n%s", err, out)
	}
	if log := c.upstreamLog(t, atC); log["checkpoint"] == "" || log["fault"] != nil {
		t.Fatalf("C's upstream_log after following B: %v", log)
	}
	editLogEntry(t, ctx, b, 0)

	// B's log grows by one statement (P -> A -> B), in the bundle that holds
	// the edited entry.
	setCatalog(t, pub, []map[string]any{{"slug": "plugin-8", "name": "Plugin 8", "version": "1.0.0",
		"short_description": "published after B's log was edited", "tags": []string{"utilities"}}})
	if res := a.sync(t, atA); res["mirroredCount"] != 1.0 {
		t.Fatalf("A's sync of plugin-8 = %v", res)
	}
	if res := b.sync(t, atB); res["mirroredCount"] != 1.0 {
		t.Fatalf("B's sync of plugin-8 = %v", res)
	}
	if out, err := watch(); err == nil || !strings.Contains(out, "FAIL entry") {
		t.Fatalf("pfn log watch after the edit: %v\n%s", err, out)
	}
	status, body := c.api.do(http.MethodPost, "/federation/sync-source", c.admin, map[string]string{"sourceId": atC})
	if status != http.StatusConflict || !strings.Contains(fmt.Sprint(body["error"]), "entry") {
		t.Fatalf("C's sync after the edit = %d %v, want 409 naming the entry", status, body)
	}
	if fault, _ := c.upstreamLog(t, atC)["fault"].(map[string]any); fault["kind"] != "entry" {
		t.Fatalf("C's fault = %v, want kind entry", fault)
	}
	if _, listed := c.rows(t, atC)["plugin-8"]; listed {
		t.Fatal("C mirrored plugin-8 from a log that failed its check")
	}
	if status, body := c.api.do(http.MethodPost, "/federation/sync-source", c.admin, map[string]string{"sourceId": atC}); status != http.StatusConflict ||
		!strings.Contains(fmt.Sprint(body["error"]), "accept-upstream-log") {
		t.Fatalf("C's sync with the fault standing = %d %v", status, body)
	}
	// The activity read model follows the event on its own projection.
	waitFor(t, "C's activity to show the inconsistency", 10*time.Second, func() (bool, string) {
		status, body := c.api.do(http.MethodGet, "/federation/activity?limit=50&sourceId="+url.QueryEscape(atC), c.admin, nil)
		return status == http.StatusOK && strings.Contains(fmt.Sprint(body), "upstream_log_inconsistent"), fmt.Sprint(status, body)
	})

	rebuild := exec.Command(pfn, "projections", "rebuild", "transparency_log")
	rebuild.Env = append(os.Environ(), b.env...)
	if out, err := rebuild.CombinedOutput(); err != nil {
		t.Fatalf("rebuild of B's log: %v\n%s", err, out)
	}
	if out, err := watch(); err != nil {
		t.Fatalf("pfn log watch after B's rebuild: %v\n%s", err, out)
	}
	status, body = c.api.do(http.MethodPost, "/federation/accept-upstream-log", c.admin,
		map[string]string{"sourceId": atC, "reason": "B rebuilt its log from its events"})
	if src, _ := body["source"].(map[string]any); status != http.StatusOK || src["upstream_log"].(map[string]any)["fault"] != nil {
		t.Fatalf("accept-upstream-log on C = %d %v", status, body)
	}
	if res := c.sync(t, atC); res["mirroredCount"] != 1.0 {
		t.Fatalf("C's sync after the acceptance = %v, want plugin-8", res)
	}
	if log := c.upstreamLog(t, atC); log["fault"] != nil || log["size"].(float64) != 4 {
		t.Fatalf("C's upstream_log after the acceptance: %v", log)
	}
}

// editLogEntry changes one hex digit of the sha256 in a statement of n's
// log, straight in its database.
func editLogEntry(t *testing.T, ctx context.Context, n chainNode, idx int64) {
	t.Helper()
	var db string
	for _, kv := range n.env {
		if v, ok := strings.CutPrefix(kv, "PFN_DATABASE_URL="); ok {
			db = v
		}
	}
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var entry []byte
	if err := conn.QueryRow(ctx, `SELECT entry FROM transparency_log WHERE idx = $1`, idx).Scan(&entry); err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(entry, []byte(`"sha256":"`)) + len(`"sha256":"`)
	if entry[at] == '0' {
		entry[at] = '1'
	} else {
		entry[at] = '0'
	}
	if _, err := conn.Exec(ctx, `UPDATE transparency_log SET entry = $1 WHERE idx = $2`, entry, idx); err != nil {
		t.Fatal(err)
	}
}

// upstreamLog is a node's view of its upstream's transparency log for a
// source.
func (n chainNode) upstreamLog(t *testing.T, source string) map[string]any {
	t.Helper()
	status, body := n.api.do(http.MethodGet, "/federation/source-status?sourceId="+url.QueryEscape(source), n.admin, nil)
	if status != http.StatusOK {
		t.Fatalf("source-status %s = %d %v", source, status, body)
	}
	log, _ := body["upstream_log"].(map[string]any)
	if log == nil {
		t.Fatalf("source-status %s has no upstream_log: %v", source, body)
	}
	return log
}
