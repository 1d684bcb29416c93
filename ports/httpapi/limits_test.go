package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pfn-network/pfn/adapters/postgres"
	"github.com/pfn-network/pfn/app"
	"github.com/pfn-network/pfn/eventstore"
	"github.com/pfn-network/pfn/migrations/pgtest"
	"github.com/pfn-network/pfn/ports/httpapi"
)

const testMasterKey = "master-key-for-the-limits-test-0123456789"

// serveLimited runs the API behind httpapi.NewServer, as pfn serve does,
// and returns its address.
func serveLimited(t *testing.T, d httpapi.Deps) string {
	t.Helper()
	if d.Log == nil {
		d.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httpapi.NewServer(httpapi.New(d), d.Limits)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// keyApp creates keys for real: the master key and the key store on
// PostgreSQL, so that a request appends events with metadata.
func keyApp(pool *pgxpool.Pool) *httpapi.App {
	keyStore := postgres.KeyStore{Pool: pool, Store: eventstore.New(pool), Waiter: noWait{}}
	now := func() time.Time { return time.Now().UTC() }
	return &httpapi.App{
		Authenticate: app.Authenticate{Keys: keyStore, MasterKey: testMasterKey},
		CreateKey:    app.CreateKey{Keys: keyStore, Random: rand.Reader, Now: now},
	}
}

// rawRequest sends text on a new connection and reads one response.
func rawRequest(t *testing.T, addr, text string) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, text); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return conn, r, resp
}

func TestServerCutsOffSlowAndOversizedClients(t *testing.T) {
	t.Parallel()
	addr := serveLimited(t, httpapi.Deps{Readiness: postgres.Readiness{Pool: pgtest.Pool(t)}, App: keyApp(pgtest.Pool(t)),
		Limits: httpapi.Limits{IdleTimeout: time.Second, ReadTimeout: 2 * time.Second, ReadHeaderTimeout: time.Second, MaxHeaderBytes: 4096}})

	t.Run("idle keep-alive connection is closed", func(t *testing.T) {
		t.Parallel()
		conn, r, resp := rawRequest(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("healthz = %d (close %v), want 200 on a kept-alive connection", resp.StatusCode, resp.Close)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
			t.Fatalf("idle connection: read %v, want EOF (closed by the server)", err)
		}
	})

	t.Run("trickled body is cut off", func(t *testing.T) {
		t.Parallel()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		const bodyLen = 40
		head := fmt.Sprintf("POST /federation/create-admin-key HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", testMasterKey, bodyLen)
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		answered := make(chan *http.Response, 1)
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				close(answered)
				return
			}
			answered <- resp
		}()
		sent := 0
		var resp *http.Response
		ok := true
	trickle:
		for sent < bodyLen-1 { // never the whole body
			select {
			case resp, ok = <-answered:
				break trickle
			case <-time.After(300 * time.Millisecond):
			}
			if _, err := conn.Write([]byte(" ")); err != nil {
				break
			}
			sent++
		}
		if sent >= bodyLen-1 {
			t.Fatalf("the server took %d bytes trickled over %s without cutting the request off", sent, time.Duration(sent)*300*time.Millisecond)
		}
		if resp == nil && ok {
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, ok = <-answered
		}
		if ok && resp.StatusCode < 400 {
			t.Fatalf("trickled request answered %d", resp.StatusCode)
		}
	})

	t.Run("oversized header gets 431", func(t *testing.T) {
		t.Parallel()
		_, _, resp := rawRequest(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("b", 20000)+"\r\n\r\n")
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("oversized header = %d, want 431", resp.StatusCode)
		}
	})
}

// syncBuffer is a log sink the server writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRequestIDsAreTheNodesUnlessValid(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t)
	var logs syncBuffer
	addr := serveLimited(t, httpapi.Deps{Log: slog.New(slog.NewJSONHandler(&logs, nil)), Readiness: postgres.Readiness{Pool: pool},
		App: keyApp(pool), Limits: httpapi.Limits{MaxHeaderBytes: 1 << 20}})

	createKey := func(requestID string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/federation/create-admin-key", strings.NewReader(`{"role":"consumer"}`))
		req.Header.Set("Authorization", "Bearer "+testMasterKey)
		req.Header.Set("X-Request-ID", requestID)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create key = %d %s", resp.StatusCode, body)
		}
		return resp.Header.Get("X-Request-ID")
	}
	huge := strings.Repeat("a", 200_000)
	generated := createKey(huge)
	if generated == huge || len(generated) == 0 || len(generated) > 64 {
		t.Fatalf("answer's X-Request-ID has %d characters, want a generated one", len(generated))
	}
	const valid = "client-req.42_X"
	if got := createKey(valid); got != valid {
		t.Fatalf("valid X-Request-ID %q answered as %q", valid, got)
	}
	for _, bad := range []string{"has space", "semi;colon", strings.Repeat("x", 65)} {
		if got := createKey(bad); got == bad {
			t.Fatalf("invalid X-Request-ID %q was kept", bad)
		}
	}

	rows, err := pool.Query(context.Background(), `SELECT coalesce(metadata->>'request_id', '') FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		if len(id) > 64 {
			t.Fatalf("an event's metadata holds a request id of %d characters", len(id))
		}
		ids[id]++
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if ids[generated] == 0 || ids[valid] == 0 {
		t.Fatalf("events' request ids %v lack the generated %q or the kept %q", ids, generated, valid)
	}
	if strings.Contains(logs.String(), strings.Repeat("a", 100)) {
		t.Fatal("the client's 200,000-character request id reached the log")
	}
	if !strings.Contains(logs.String(), generated) {
		t.Fatalf("log lacks the generated request id %q", generated)
	}
}

// blackHole accepts connections and never answers: a database that stopped
// responding (a network partition, a SIGSTOPped server).
func blackHole(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestRequestsEndAtTheirDeadlineWhenTheDatabaseHangs(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@"+blackHole(t)+"/none?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	plugins := postgres.PluginReader{Pool: pool}
	addr := serveLimited(t, httpapi.Deps{Readiness: postgres.Readiness{Pool: pool},
		App: &httpapi.App{Authenticate: keys{}, PublicCatalog: true, ListPlugins: app.ListPlugins{Plugins: plugins},
			FindPlugin: app.FindPlugin{Plugins: plugins}},
		Limits: httpapi.Limits{RequestTimeout: time.Second}})
	client := http.Client{Timeout: 20 * time.Second} // a hang fails the test instead of stalling it
	for _, path := range []string{"/federation/plugins?q=x", "/federation/download?source=alice%40a.example&plugin=tool"} {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("GET %s: %v (no answer)", path, err)
		}
		var body map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body["error"], "PFN_REQUEST_TIMEOUT") {
			t.Fatalf("GET %s with the database hanging = %d %v, want 503 naming the deadline", path, resp.StatusCode, body)
		}
	}
}
