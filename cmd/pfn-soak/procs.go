package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a child process the soak started and must stop.
type proc struct {
	name string
	cmd  *exec.Cmd
	tail *tailBuffer // the end of its stderr, for a post-mortem
	done chan struct{}
	err  error // Wait's result, once done is closed
}

// startProc starts bin. Without log, stdout is returned for the caller to
// read (and keep reading: a Go child dies of SIGPIPE when its stdout is
// closed) and stderr goes to the tail buffer; with log, both go to log,
// which is closed once the process has ended, and stderr to the tail buffer
// as well. The child gets SIGKILL if the soak itself dies without stopping
// it.
func startProc(name, bin string, env []string, log *os.File, args ...string) (*proc, *bufio.Reader, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// Wait returns this long after the process ended even if something
	// still holds its output pipe open.
	cmd.WaitDelay = 5 * time.Second
	p := &proc{name: name, cmd: cmd, tail: &tailBuffer{max: 8 << 10}, done: make(chan struct{})}
	var stdout io.Reader
	if log != nil {
		cmd.Stdout, cmd.Stderr = log, io.MultiWriter(p.tail, log)
	} else {
		cmd.Stderr = p.tail
		pipe, err := cmd.StdoutPipe()
		if err != nil {
			return nil, nil, err
		}
		stdout = pipe
	}
	if err := cmd.Start(); err != nil {
		if log != nil {
			log.Close()
		}
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		if log != nil {
			log.Close()
		}
		close(p.done)
	}()
	if stdout == nil {
		return p, nil, nil
	}
	return p, bufio.NewReader(stdout), nil
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits up to grace, then kills. It reports whether
// the process ended on SIGTERM by itself, and its exit error if any.
func (p *proc) stop(grace time.Duration) (clean bool, err error) {
	if p.exited() {
		return false, fmt.Errorf("%s %w: %v", p.name, errAlreadyExited, p.err)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return true, p.err
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
		return false, fmt.Errorf("%s did not stop within %s of SIGTERM (killed)", p.name, grace)
	}
}

// stopAll stops processes at once, so that the grace periods overlap.
func stopAll(procs []*proc, grace time.Duration) []error {
	errs := make([]error, len(procs))
	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = p.stop(grace)
		}()
	}
	wg.Wait()
	var out []error
	for _, err := range errs {
		if err != nil {
			out = append(out, err)
		}
	}
	return out
}

// tailBuffer keeps the last max bytes written to it: a child's log can run
// for ten minutes, and only its end is of use when it fails.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

// lastLines is at most n whole lines from the end.
func (t *tailBuffer) lastLines(n int) []string {
	t.mu.Lock()
	text := string(t.b)
	t.mu.Unlock()
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(lines) > 0 && len(text) == t.max {
		lines = lines[1:] // the first one was cut
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	return lines
}

// childEnv is the soak's environment with set added, set winning.
func childEnv(set map[string]string) []string {
	env := make([]string, 0, len(os.Environ())+len(set))
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ours := set[k]; !ours {
			env = append(env, kv)
		}
	}
	for k, v := range set {
		env = append(env, k+"="+v)
	}
	return env
}

var (
	errNotAnnounced  = errors.New("did not announce its address")
	errAlreadyExited = errors.New("had already exited")
)
