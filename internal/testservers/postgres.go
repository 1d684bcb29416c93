package testservers

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
)

// Cluster is a PostgreSQL cluster of the test's own, started from initdb:
// a new transaction id counter, as after moving a database to a new
// server, and a server the test may stop and start again.
type Cluster struct {
	Bin, Dir string
	Port     int
}

// URL names a database of the cluster.
func (c Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// pgBin finds the server's binaries: PFN_PG_BIN, or the newest under
// /usr/lib/postgresql.
func pgBin(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("PFN_PG_BIN"); d != "" {
		return d
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi < vj
	})
	if len(dirs) == 0 {
		t.Fatal("no PostgreSQL server binaries (set PFN_PG_BIN to the directory holding initdb)")
	}
	return dirs[len(dirs)-1]
}

// asServerUser runs a server binary; initdb and postgres refuse to run as
// root, so as root they run as the postgres user.
func asServerUser(bin string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	}
	return exec.Command(bin, args...)
}

// StartCluster runs initdb into a temporary directory and starts the
// server on a free loopback port; it stops when the test ends.
func StartCluster(t testing.TB) Cluster {
	t.Helper()
	c := Cluster{Bin: pgBin(t)}
	dir, err := os.MkdirTemp("", "pfn-cluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root without a postgres user to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	c.Dir = dir
	if out, err := asServerUser(filepath.Join(c.Bin, "initdb"), "-D", c.data(), "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.Port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c.Start(t)
	t.Cleanup(func() {
		if out, err := c.pgCtl("-m", "immediate", "stop").CombinedOutput(); err != nil {
			t.Logf("pg_ctl stop (already stopped?): %v\n%s", err, out)
		}
	})
	return c
}

func (c Cluster) data() string { return filepath.Join(c.Dir, "data") }

func (c Cluster) pgCtl(args ...string) *exec.Cmd {
	return asServerUser(filepath.Join(c.Bin, "pg_ctl"), append([]string{"-D", c.data()}, args...)...)
}

// Start starts the server (again) and waits until it accepts connections.
func (c Cluster) Start(t testing.TB) {
	t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off", c.Port, c.Dir)
	if out, err := c.pgCtl("-o", opts, "-l", filepath.Join(c.Dir, "log"), "-w", "start").CombinedOutput(); err != nil {
		logs, _ := os.ReadFile(filepath.Join(c.Dir, "log"))
		t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, logs)
	}
}

// Stop stops the server at once, as a crash or a lost network would:
// every session ends.
func (c Cluster) Stop(t testing.TB) {
	t.Helper()
	if out, err := c.pgCtl("-m", "immediate", "-w", "stop").CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl stop: %v\n%s", err, out)
	}
}
