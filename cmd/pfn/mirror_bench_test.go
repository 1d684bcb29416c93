package main

// Mirroring benchmarks run the real node and the reference publisher as
// processes on loopback. `make bench` runs them.

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type benchSetup struct {
	api     apiClient
	pub     publisherProc
	admin   string
	source  string
	nodePID int
}

func setupMirrorBench(b *testing.B, plugins, size int, env ...string) benchSetup {
	pfn := buildBinary(b, ".", "pfn")
	pubBin := buildBinary(b, "../pfn-publisher", "pfn-publisher")
	dir := b.TempDir()
	pub := startPublisher(b, pubBin, "-key-file", filepath.Join(dir, "p.pem"), "-plugins", strconv.Itoa(plugins),
		"-plugin-size", strconv.Itoa(size), "-admin")
	const master = "master-key-for-the-benchmark-0123456789"
	base, pid := startNodeProcess(b, pfn, append(env, "PFN_MASTER_KEY="+master)...)
	api := apiClient{b, base}
	_, body := api.do(http.MethodPost, "/federation/create-admin-key", master, map[string]string{})
	admin := body["key"].(string)
	status, body := api.do(http.MethodPost, "/federation/add-source", admin, map[string]string{
		"instance_url": pub.URL, "username": "plugin-author", "public_key": pub.PublicKey})
	if status != http.StatusCreated || body["verified"] != true {
		b.Fatalf("add-source = %d %v", status, body)
	}
	return benchSetup{api: api, pub: pub, admin: admin, source: body["sourceId"].(string), nodePID: pid}
}

// BenchmarkMirror50x1MiB: the node's first sync of 50 plugins of 1 MiB
// (signature checks, sha256, blob store writes, events) next to a raw
// parallel download of the same files into files, same parallelism.
func BenchmarkMirror50x1MiB(b *testing.B) {
	const n, size = 50, 1 << 20
	var nodeTime, rawTime time.Duration
	for range b.N {
		s := setupMirrorBench(b, n, size)
		files := publisherFiles(b, s.pub)
		// The raw download runs before and after the node's sync and counts
		// as their mean, so that neither gets the warmer machine.
		rawBefore := rawDownload(b, files, 4)
		start := time.Now()
		status, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source})
		nodeTime += time.Since(start)
		res, _ := body["syncResult"].(map[string]any)
		if status != 200 || res["mirroredCount"] != float64(n) {
			b.Fatalf("subscribe = %d %v", status, body)
		}
		rawTime += (rawBefore + rawDownload(b, files, 4)) / 2 // the node downloads 4 at once too
	}
	bytes := float64(n*size*b.N) / (1 << 20)
	nodeRate, rawRate := bytes/nodeTime.Seconds(), bytes/rawTime.Seconds()
	b.ReportMetric(nodeRate, "node_MiB/s")
	b.ReportMetric(rawRate, "raw_MiB/s")
	b.ReportMetric(nodeRate/rawRate, "ratio")
	b.Logf("mirror 50 x 1 MiB: node %.1f MiB/s, raw parallel download %.1f MiB/s, ratio %.2f", nodeRate, rawRate, nodeRate/rawRate)
}

// BenchmarkMirrorFirstSync50LogOnOff: a subscriber's first sync of 50
// small plugins (the answer waits for every read model, the transparency
// log's too when it is on) on a node with PFN_TRANSPARENCY_LOG=on and on
// one with off, in turns, so that neither gets the warmer machine; the
// slowdown is what the log costs a sync.
func BenchmarkMirrorFirstSync50LogOnOff(b *testing.B) {
	const n, size = 50, 16 << 10
	var on, off time.Duration
	firstSync := func(log string) time.Duration {
		s := setupMirrorBench(b, n, size, "PFN_TRANSPARENCY_LOG="+log)
		start := time.Now()
		status, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source})
		took := time.Since(start)
		res, _ := body["syncResult"].(map[string]any)
		if status != 200 || res["mirroredCount"] != float64(n) {
			b.Fatalf("subscribe with the log %s = %d %v", log, status, body)
		}
		b.Logf("log %s: %v", log, took)
		return took
	}
	for i := range b.N {
		if i%2 == 0 {
			on += firstSync("on")
			off += firstSync("off")
		} else {
			off += firstSync("off")
			on += firstSync("on")
		}
	}
	onMs, offMs := float64(on.Milliseconds())/float64(b.N), float64(off.Milliseconds())/float64(b.N)
	slowdown := 100 * (on.Seconds() - off.Seconds()) / off.Seconds()
	b.ReportMetric(onMs, "log_on_ms/sync")
	b.ReportMetric(offMs, "log_off_ms/sync")
	b.ReportMetric(slowdown, "slowdown_%")
	b.Logf("first sync of 50 x 16 KiB: log on %.0f ms, log off %.0f ms, slowdown %.1f%%", onMs, offMs, slowdown)
}

// BenchmarkMirrorPeakRSS200MiB: the node's peak resident memory (VmHWM)
// while mirroring one plugin of 200 MiB.
func BenchmarkMirrorPeakRSS200MiB(b *testing.B) {
	for range b.N {
		s := setupMirrorBench(b, 1, 200<<20, "PFN_MAX_PLUGIN_BYTES="+strconv.Itoa(300<<20))
		before := vmHWM(b, s.nodePID)
		status, body := s.api.do(http.MethodPost, "/federation/subscribe", s.admin, map[string]any{"sourceId": s.source})
		res, _ := body["syncResult"].(map[string]any)
		if status != 200 || res["mirroredCount"] != 1.0 {
			b.Fatalf("subscribe = %d %v", status, body)
		}
		peak := vmHWM(b, s.nodePID)
		b.ReportMetric(float64(peak)/1024, "peak_RSS_MiB")
		b.Logf("peak RSS of the node while mirroring 200 MiB: %.1f MiB (%.1f MiB before the sync)", float64(peak)/1024, float64(before)/1024)
	}
}

// vmHWM reads a process's peak resident set size in KiB.
func vmHWM(b *testing.B, pid int) int {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kib, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return kib
		}
	}
	b.Fatal("no VmHWM in /proc status")
	return 0
}

func rawDownload(b *testing.B, files []catalogEntry, workers int) time.Duration {
	dir := b.TempDir()
	jobs := make(chan catalogEntry)
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range jobs {
				resp, err := http.Get(f.URL)
				if err != nil {
					b.Error(err)
					continue
				}
				out, err := os.Create(filepath.Join(dir, f.Slug))
				if err != nil {
					b.Error(err)
				}
				h := sha256.New()
				_, err = io.Copy(io.MultiWriter(out, h), resp.Body)
				resp.Body.Close()
				if err == nil {
					err = out.Sync()
				}
				out.Close()
				if err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for _, f := range files {
		jobs <- f
	}
	close(jobs)
	wg.Wait()
	return time.Since(start)
}
