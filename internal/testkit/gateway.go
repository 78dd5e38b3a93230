package testkit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The gateway harness: real `modgate serve` subprocesses built once per test
// binary from cmd/modgate, on random loopback ports, each reporting where it
// listens through its ready file. The most faithful stand-in for a
// deployment, and the only way to kill one with SIGKILL.

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

// Main runs the tests and removes the built binary; call it from TestMain:
// func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	return code
}

// RepoRoot is the repository's root directory.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(filepath.Dir(file)))
}

// Binary builds cmd/modgate once per test binary and returns its path.
func Binary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "modgate-test-bin-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "modgate")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", buildBin, "./cmd/modgate")
		cmd.Dir = RepoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/modgate: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildBin
}

// Options configure a gateway subprocess.
type Options struct {
	// Name labels the gateway's log.
	Name string
	// Args are extra `modgate serve` flags.
	Args []string
	// Env holds MODGATE_* settings; the test process's own MODGATE_*
	// variables are not passed on.
	Env map[string]string
	// DataDir is the data directory (default: a temp dir). Restarts keep it.
	DataDir string
}

// Gateway is one `modgate serve` subprocess. Its first start listens on a
// port the OS picks; Restart reuses that port and the data directory, as a
// restarted container keeps its address and volume.
type Gateway struct {
	Name    string
	HTTP    string // host:port of the API
	NATS    string // the NATS URL it uses
	DataDir string
	Log     *Buffer

	opts Options
	port int
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs a gateway and waits until it serves HTTP. At cleanup it gets
// SIGTERM (SIGKILL after 20 s); a failed test shows the end of its log.
func Start(tb testing.TB, o Options) *Gateway {
	tb.Helper()
	if o.Name == "" {
		o.Name = "modgate"
	}
	if o.DataDir == "" {
		o.DataDir = filepath.Join(tb.TempDir(), "data")
	}
	g := &Gateway{Name: o.Name, DataDir: o.DataDir, Log: &Buffer{}, opts: o}
	tb.Cleanup(func() {
		stop := time.Now()
		g.Stop(20 * time.Second)
		if tb.Failed() {
			tb.Logf("---- %s output (last 8 KiB) ----\n%s", g.Name, tail(g.Log.String(), 8<<10))
		} else {
			tb.Logf("%s stopped in %v", g.Name, time.Since(stop).Round(time.Millisecond))
		}
	})
	g.Restart(tb)
	return g
}

// URL is the gateway's HTTP root.
func (g *Gateway) URL() string { return "http://" + g.HTTP }

// Restart starts the gateway again (it must be stopped or killed) on the
// same port and data directory, and waits until it serves.
func (g *Gateway) Restart(tb testing.TB) {
	tb.Helper()
	if err := os.MkdirAll(g.DataDir, 0o755); err != nil {
		tb.Fatal(err)
	}
	ready := filepath.Join(filepath.Dir(g.DataDir), g.Name+"-ready.json")
	os.Remove(ready)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MODGATE_") {
			env = append(env, kv)
		}
	}
	for k, v := range g.opts.Env {
		env = append(env, k+"="+v)
	}
	args := append([]string{"serve", "--addr", "127.0.0.1:" + strconv.Itoa(g.port), "--data-dir", g.DataDir,
		"--ready-file", ready, "--nats-listen", "127.0.0.1:-1"}, g.opts.Args...)
	cmd := exec.Command(Binary(tb), args...)
	cmd.Env = env
	cmd.Dir = filepath.Dir(g.DataDir)
	fmt.Fprintf(g.Log, "==== start %s at %s\n", g.Name, time.Now().Format(time.RFC3339Nano))
	cmd.Stdout, cmd.Stderr = g.Log, g.Log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatalf("%s: start: %v", g.Name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	g.mu.Lock()
	g.cmd, g.done = cmd, done
	g.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
			var rf struct{ HTTP, NATS string }
			port := 0
			if json.Unmarshal(b, &rf) == nil {
				if _, p, err := net.SplitHostPort(rf.HTTP); err == nil {
					port, _ = strconv.Atoi(p)
				}
			}
			if port == 0 || g.port != 0 && port != g.port {
				tb.Fatalf("%s: ready file says %q (port before: %d)", g.Name, b, g.port)
			}
			g.port, g.HTTP, g.NATS = port, rf.HTTP, rf.NATS
			tb.Logf("%s ready in %v", g.Name, time.Since(start).Round(time.Millisecond))
			return
		}
		select {
		case <-done:
			tb.Fatalf("%s exited before it was ready (%v):\n%s", g.Name, cmd.ProcessState, tail(g.Log.String(), 4<<10))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s not ready after 60s:\n%s", g.Name, tail(g.Log.String(), 4<<10))
		}
	}
}

// Kill sends SIGKILL (no drain, no flush: a crash) and waits for the exit.
func (g *Gateway) Kill() { g.signal(syscall.SIGKILL, 0) }

// Stop sends SIGTERM (a graceful shutdown), waits up to timeout, then
// kills. It reports whether the process stopped by itself.
func (g *Gateway) Stop(timeout time.Duration) bool { return g.signal(syscall.SIGTERM, timeout) }

func (g *Gateway) signal(sig syscall.Signal, timeout time.Duration) bool {
	g.mu.Lock()
	cmd, done := g.cmd, g.done
	g.cmd = nil
	g.mu.Unlock()
	if cmd == nil {
		return true
	}
	_ = cmd.Process.Signal(sig)
	if sig == syscall.SIGKILL {
		<-done
		return true
	}
	select {
	case <-done:
		return cmd.ProcessState.Success()
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-done
		return false
	}
}

// Buffer collects a subprocess's output; safe for concurrent use.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
