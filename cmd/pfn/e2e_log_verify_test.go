package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pfn-network/pfn/internal/logbundle"
)

// checkOfflineBundle: pfn verify, pinned to the log's verifier key, takes a
// row's bundle and download as the node serves them, and refuses each with
// one byte flipped in the file, the statement or the inclusion proof,
// naming the check that failed (a flipped statement byte may also change
// what the statement says of the file).
func checkOfflineBundle(t *testing.T, api apiClient, row map[string]any, vkey string) {
	t.Helper()
	q := url.Values{"source": {row["source_id"].(string)}, "plugin": {row["plugin_id"].(string)}, "version": {row["version"].(string)}}.Encode()
	status, rawBundle := api.send(http.MethodGet, "/federation/bundle?"+q, "", nil)
	code, file := api.send(http.MethodGet, "/federation/download?"+q, "", nil)
	if status != http.StatusOK || code != http.StatusOK {
		t.Fatalf("bundle = %d, download = %d", status, code)
	}
	var b logbundle.Bundle
	if err := json.Unmarshal(rawBundle, &b); err != nil || len(b.InclusionProof) == 0 {
		t.Fatalf("bundle %s: %v", rawBundle, err)
	}
	flip := func(s string) string {
		raw, _ := base64.StdEncoding.DecodeString(s)
		raw[len(raw)/2] ^= 1
		return base64.StdEncoding.EncodeToString(raw)
	}
	badFile := bytes.Clone(file)
	badFile[len(badFile)/2] ^= 1
	badStatement, badProof := b, b
	badStatement.Statement = flip(b.Statement)
	badProof.InclusionProof = append([]string{flip(b.InclusionProof[0])}, b.InclusionProof[1:]...)
	for _, c := range []struct {
		name   string
		bundle logbundle.Bundle
		file   []byte
		fails  []string // checks that must fail (others may too); none means all hold
	}{
		{"as served", b, file, nil},
		{"one byte of the file", b, badFile, []string{"file"}},
		{"one byte of the statement", badStatement, file, []string{"node signature", "inclusion proof"}},
		{"one byte of the proof", badProof, file, []string{"inclusion proof"}},
	} {
		dir := t.TempDir()
		raw, _ := json.Marshal(c.bundle)
		if err := os.WriteFile(filepath.Join(dir, "bundle.json"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "file.zip"), c.file, 0o644); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		err := run(context.Background(), []string{"verify", "-bundle", filepath.Join(dir, "bundle.json"), filepath.Join(dir, "file.zip"), "-node-key", vkey},
			func(string) string { return "" }, &out, &out)
		if (err == nil) != (len(c.fails) == 0) || (len(c.fails) == 0) != !strings.Contains(out.String(), "FAIL") {
			t.Errorf("%s: pfn verify = %v\n%s", c.name, err, out.String())
		}
		for _, check := range c.fails {
			if !strings.Contains(out.String(), "FAIL  "+check+":") {
				t.Errorf("%s: no failed %q check\n%s", c.name, check, out.String())
			}
		}
	}
}
