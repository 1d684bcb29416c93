package main

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// Every document -h points at is in the repository.
func TestHelpPointsAtDocumentsThatExist(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	if _, err := parseConfig([]string{"-h"}, func(string) string { return "" }, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseConfig(-h) = %v, want flag.ErrHelp", err)
	}
	docs := regexp.MustCompile(`docs/[\w./-]+\.md`).FindAllString(stderr.String(), -1)
	if len(docs) == 0 {
		t.Fatalf("-h names no protocol document:\n%s", stderr.String())
	}
	for _, d := range docs {
		if _, err := os.Stat(filepath.Join("..", "..", d)); err != nil {
			t.Errorf("-h points at %s: %v", d, err)
		}
	}
}
