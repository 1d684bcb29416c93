// Command vulnallow reads `govulncheck -format json` on stdin and fails when
// the code calls a vulnerable symbol that is not listed, with its reason, in
// the allow file. govulncheck has no way to accept a finding, and some have no
// fix to upgrade to (echo v4) or need a newer Go than the machines run; each
// such entry is written down once instead of being ignored by turning the
// check off. An entry whose finding went away is reported too, so the list
// only shrinks.
//
// Allow file: one "GO-YYYY-NNNN reason" a line; # starts a comment.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// message is the part of govulncheck's JSON stream read here
// (golang.org/x/vuln/internal/govulncheck.Message).
type message struct {
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string `json:"osv"`
		FixedVersion string `json:"fixed_version"`
		Trace        []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Package  string `json:"package"`
			Function string `json:"function"`
			Receiver string `json:"receiver"`
		} `json:"trace"`
	} `json:"finding"`
}

func main() {
	allowPath := flag.String("allow", "", "file listing accepted OSV ids with reasons")
	flag.Parse()
	allowed, err := readAllow(*allowPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulnallow:", err)
		os.Exit(2)
	}
	called, summaries, err := calledVulns(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulnallow:", err)
		os.Exit(2)
	}
	failed := false
	for _, id := range sortedKeys(called) {
		if reason, ok := allowed[id]; ok {
			fmt.Printf("allowed  %s %s: %s\n", id, called[id], reason)
			continue
		}
		failed = true
		fmt.Printf("CALLED   %s %s: %s (https://pkg.go.dev/vuln/%s)\n", id, called[id], summaries[id], id)
	}
	for _, id := range sortedKeys(allowed) {
		if _, ok := called[id]; !ok {
			failed = true
			fmt.Printf("STALE    %s is no longer reported: remove it from %s\n", id, *allowPath)
		}
	}
	if failed {
		os.Exit(1)
	}
	fmt.Printf("govulncheck: no vulnerable code called beyond the %d allowed in %s\n", len(allowed), *allowPath)
}

// calledVulns returns, by OSV id, where the code reaches a vulnerable symbol
// ("module@version fixed in X"); findings at module or package level only
// (imported, never called) are left out, as govulncheck's own exit code does.
func calledVulns(r io.Reader) (map[string]string, map[string]string, error) {
	called, summaries := map[string]string{}, map[string]string{}
	dec := json.NewDecoder(r)
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return called, summaries, nil
		} else if err != nil {
			return nil, nil, fmt.Errorf("reading govulncheck output: %w", err)
		}
		if m.OSV != nil {
			summaries[m.OSV.ID] = m.OSV.Summary
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue
		}
		fix := f.FixedVersion
		if fix == "" {
			fix = "none"
		}
		called[f.OSV] = fmt.Sprintf("(%s@%s, fixed in %s)", f.Trace[0].Module, f.Trace[0].Version, fix)
	}
}

func readAllow(path string) (map[string]string, error) {
	allowed := map[string]string{}
	if path == "" {
		return allowed, nil
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	s := bufio.NewScanner(file)
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, reason, _ := strings.Cut(line, " ")
		if strings.TrimSpace(reason) == "" {
			return nil, fmt.Errorf("%s:%d: %s has no reason", path, n, id)
		}
		allowed[id] = strings.TrimSpace(reason)
	}
	return allowed, s.Err()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
