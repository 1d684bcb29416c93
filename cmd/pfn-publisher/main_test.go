package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pfn-network/pfn/domain"
)

// publisherBinary builds the command into the test's temporary directory.
func publisherBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the binary with")
	}
	bin := filepath.Join(t.TempDir(), "pfn-publisher")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a started publisher and what it printed.
type process struct {
	cmd       *exec.Cmd
	baseURL   string
	publicKey string
	stderr    *bytes.Buffer
}

func startBinary(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "PFNPUB_LISTEN=127.0.0.1:1") // a flag must win
	p := &process{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	lines := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		var got []string
		for len(got) < 2 && sc.Scan() {
			got = append(got, sc.Text())
		}
		lines <- got
		io.Copy(io.Discard, stdout)
	}()
	var got []string
	select {
	case got = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatal("no address and key on stdout after 30s")
	}
	if len(got) != 2 {
		cmd.Wait()
		t.Fatalf("stdout %q; stderr:\n%s", got, p.stderr)
	}
	var ok1, ok2 bool
	p.baseURL, ok1 = strings.CutPrefix(got[0], "listening on ")
	p.publicKey, ok2 = strings.CutPrefix(got[1], "public key: ")
	if !ok1 || !ok2 {
		t.Fatalf("stdout %q", got)
	}
	return p
}

// stop sends SIGTERM and expects a clean exit.
func (p *process) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, p.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("still running 20s after SIGTERM")
	}
}

func TestBinaryServesAndStopsOnSIGTERM(t *testing.T) {
	t.Parallel()
	bin := publisherBinary(t)
	keyFile := filepath.Join(t.TempDir(), "publisher.pem")
	p := startBinary(t, bin, "-listen", "127.0.0.1:0", "-key-file", keyFile)

	resp, err := http.Get(p.baseURL + "/federation-info")
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		AssetInfo struct{ Domain, NamingScheme string }
	}
	err = json.NewDecoder(resp.Body).Decode(&info)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || info.AssetInfo.Domain != p.baseURL {
		t.Fatalf("/federation-info: %d %+v %v", resp.StatusCode, info, err)
	}
	pub, err := domain.ParsePublicKey(p.publicKey)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Post(p.baseURL+"/verify-ownership", "application/json", strings.NewReader(`{"username":"plugin-author","challenge":"`+testChallenge+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	var sig struct{ Signature string }
	json.NewDecoder(resp.Body).Decode(&sig)
	resp.Body.Close()
	if err := domain.VerifyChallenge(pub, testChallenge, sig.Signature); err != nil {
		t.Fatalf("challenge signed with another key than the one printed: %v", err)
	}
	p.stop(t)
	for _, want := range []string{"method=GET path=/federation-info status=200", "method=POST path=/verify-ownership status=200", "stopped"} {
		if !strings.Contains(p.stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, p.stderr)
		}
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(p.baseURL, "http://"), time.Second); err == nil {
		t.Error("still listening after exit")
	}

	st, err := os.Stat(keyFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", st.Mode(), err)
	}
	again := startBinary(t, bin, "-listen", "127.0.0.1:0", "-key-file", keyFile)
	if again.publicKey != p.publicKey {
		t.Fatalf("restart with the same key file printed key %s, first run %s", again.publicKey, p.publicKey)
	}
	again.stop(t)

	out, err := exec.Command(bin, "-key-file", keyFile, "-print-public-key").Output()
	if err != nil {
		t.Fatal(err)
	}
	printed, err := domain.ParsePublicKey(string(out))
	if err != nil || !printed.Equal(pub) || !strings.HasPrefix(string(out), "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("-print-public-key printed %q (%v)", out, err)
	}
}

func TestBinaryWithChallengeKeyFileFailsOwnership(t *testing.T) {
	t.Parallel()
	bin := publisherBinary(t)
	dir := t.TempDir()
	p := startBinary(t, bin, "-listen", "127.0.0.1:0", "-key-file", filepath.Join(dir, "main.pem"),
		"-challenge-key-file", filepath.Join(dir, "other.pem"))
	defer p.stop(t)
	pub, err := domain.ParsePublicKey(p.publicKey)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(p.baseURL+"/verify-ownership", "application/json", strings.NewReader(`{"username":"plugin-author","challenge":"`+testChallenge+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sig struct{ Signature string }
	json.NewDecoder(resp.Body).Decode(&sig)
	if err := domain.VerifyChallenge(pub, testChallenge, sig.Signature); !errors.Is(err, domain.ErrBadSignature) {
		t.Fatalf("challenge with the other key: %v, want ErrBadSignature", err)
	}
}

func TestBinaryHelpExitsZero(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(publisherBinary(t), "-help").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("PFNPUB_")) {
		t.Fatalf("-help: %v\n%s", err, out)
	}
}

// lineWriter hands over stdout line by line, as a test reading the process
// would see it.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	lines chan string
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(b)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil {
			w.buf.WriteString(line)
			return len(b), nil
		}
		w.lines <- strings.TrimSuffix(line, "\n")
	}
}

func TestRunWithEnvironmentOnly(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PFNPUB_LISTEN": "127.0.0.1:0", "PFNPUB_PLUGINS": "2", "PFNPUB_USERNAME": "jane",
		"PFNPUB_NAMING_SCHEME": "{author}/{slug}/{version}.zip", "PFNPUB_ADMIN": "true"}
	out := &lineWriter{lines: make(chan string, 4)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, out, io.Discard) }()
	var base string
	select {
	case line := <-out.lines:
		base = strings.TrimPrefix(line, "listening on ")
	case err := <-done:
		t.Fatalf("run: %v", err)
	}
	<-out.lines
	resp, err := http.Get(base + "/jane/plugin-2/1.0.0.zip")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("asset: %d", resp.StatusCode)
	}
	if resp, err := http.Post(base+"/_admin/down", "", nil); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("admin enabled through PFNPUB_ADMIN: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel: %v", err)
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"127.0.0.1:8090": "http://127.0.0.1:8090",
		"0.0.0.0:8090":   "http://127.0.0.1:8090",
		"[::]:8090":      "http://127.0.0.1:8090",
		"[::1]:8090":     "http://[::1]:8090",
	} {
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := baseURL(tcp); got != want {
			t.Errorf("baseURL(%s) = %s, want %s", addr, got, want)
		}
	}
}
