package clustertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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

// The gateway replicas run as real `modgate serve` subprocesses built from
// cmd/modgate: the most faithful stand-in for a container, and the only way
// to kill one with SIGKILL.

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// modgateBinary builds cmd/modgate once per test run.
func modgateBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "modgate-clustertest-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "modgate")
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		cmd := exec.Command(goBin, "build", "-o", buildBin, "./cmd/modgate")
		cmd.Dir = repoRoot(tb)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/modgate: %v\n%s", err, out.String())
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return buildBin
}

// lockedBuffer collects a subprocess's output for failure reports.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// gateway is one `modgate serve` replica. Its first start listens on a port
// the OS picks (read back from the ready file); restarts reuse that port and
// the data directory, as a restarted container keeps its address and volume.
type gateway struct {
	name    string
	bin     string
	port    int
	dataDir string
	env     []string // MODGATE_* settings
	log     *lockedBuffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func newGateway(tb testing.TB, name string, env map[string]string) *gateway {
	tb.Helper()
	g := &gateway{
		name: name,
		bin:  modgateBinary(tb),
		// 0 until the first start binds an OS-chosen port (see start).
		dataDir: filepath.Join(tb.TempDir(), "data"),
		log:     &lockedBuffer{},
	}
	for k, v := range env {
		g.env = append(g.env, k+"="+v)
	}
	tb.Cleanup(func() {
		g.kill()
		if tb.Failed() {
			tb.Logf("---- %s output (last 8 KiB) ----\n%s", g.name, tail(g.log.String(), 8<<10))
		}
	})
	return g
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// baseURL is the replica's HTTP root.
func (g *gateway) baseURL() string { return "http://127.0.0.1:" + strconv.Itoa(g.port) }

// start runs the replica and waits until it has written its ready file
// (the HTTP server accepts connections then).
func (g *gateway) start(tb testing.TB) {
	tb.Helper()
	ready := filepath.Join(g.dataDir, "..", "ready.json")
	os.Remove(ready)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MODGATE_") {
			env = append(env, kv)
		}
	}
	env = append(env, g.env...)
	env = append(env,
		"MODGATE_ADDR=127.0.0.1:"+strconv.Itoa(g.port), // 0 on the first start
		"MODGATE_DATA_DIR="+g.dataDir,
		"MODGATE_READY_FILE="+ready,
		"MODGATE_LOG_FORMAT=json",
	)
	cmd := exec.Command(g.bin, "serve")
	cmd.Env = env
	cmd.Dir = filepath.Dir(g.dataDir)
	fmt.Fprintf(g.log, "==== start %s at %s\n", g.name, time.Now().Format(time.RFC3339Nano))
	cmd.Stdout, cmd.Stderr = g.log, g.log
	if err := cmd.Start(); err != nil {
		tb.Fatalf("%s: start: %v", g.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	g.mu.Lock()
	g.cmd, g.done = cmd, done
	g.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(ready); err == nil {
			var rf struct {
				HTTP string `json:"http"`
			}
			var port int
			if err := json.Unmarshal(b, &rf); err == nil {
				if _, p, err := net.SplitHostPort(rf.HTTP); err == nil {
					port, _ = strconv.Atoi(p)
				}
			}
			if port == 0 || (g.port != 0 && port != g.port) {
				tb.Fatalf("%s: ready file %s says %q (port before: %d)", g.name, ready, b, g.port)
			}
			if g.port == 0 {
				g.port = port // the first start's pick; restarts keep it
			}
			return
		}
		select {
		case <-done:
			tb.Fatalf("%s exited before it was ready (%v):\n%s", g.name, cmd.ProcessState, tail(g.log.String(), 4<<10))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s not ready after 60s:\n%s", g.name, tail(g.log.String(), 4<<10))
		}
	}
}

// kill sends SIGKILL (no drain, no flush: a crash) and waits for the exit.
func (g *gateway) kill() {
	g.mu.Lock()
	cmd, done := g.cmd, g.done
	g.cmd = nil
	g.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// client is a small JSON-over-HTTP client for the tests.
type client struct {
	http  *http.Client
	token string // bearer token
}

func newClient() *client {
	return &client{http: &http.Client{
		Timeout:   15 * time.Second,
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64},
	}}
}

// do sends a JSON request and decodes a JSON answer into out (when not nil
// and the status is 2xx). It returns the status; transport errors return 0.
func (c *client) do(ctx context.Context, method, url, token string, body, out any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, nil, err
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, b, fmt.Errorf("decode %s %s: %w", method, url, err)
		}
	}
	return resp.StatusCode, b, nil
}

// waitReady polls /readyz until it answers 200.
func waitReady(tb testing.TB, c *client, base string, timeout time.Duration) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var last string
	for {
		st, b, err := c.do(ctx, http.MethodGet, base+"/readyz", "", nil, nil)
		if st == http.StatusOK {
			return
		}
		last = fmt.Sprintf("%d %s %v", st, b, err)
		select {
		case <-ctx.Done():
			tb.Fatalf("%s/readyz not 200 after %s: %s", base, timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestServeHelpNamesComposeEnv: every variable compose.yaml sets (and the
// docs table documents) is one `modgate serve` actually reads, per its own
// --help.
func TestServeHelpNamesComposeEnv(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/modgate")
	}
	var out bytes.Buffer
	cmd := exec.Command(modgateBinary(t), "serve", "--help")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		t.Fatalf("serve --help: %v\n%s", err, out.String())
	}
	help := out.String()
	table := docTableOf(t, "compose-env")
	for i, row := range table.Rows {
		name := code(row["Variable"])
		if !strings.Contains(help, name) {
			t.Errorf("docs/production.md:%d: %s is not a setting of `modgate serve` (not in serve --help)", table.Lines[i], name)
		}
	}
}
