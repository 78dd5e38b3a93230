package clustertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modgate/modgate/internal/testkit"
)

// The gateway replicas run as real `modgate serve` subprocesses
// (internal/testkit): the most faithful stand-in for a container, and the
// only way to kill one with SIGKILL.

func TestMain(m *testing.M) { os.Exit(testkit.Main(m)) }

func modgateBinary(tb testing.TB) string { return testkit.Binary(tb) }

// gateway is one replica; its first start picks a port, restarts keep it
// and the data directory.
type gateway struct {
	name string
	env  map[string]string
	dir  string
	proc *testkit.Gateway
}

func newGateway(tb testing.TB, name string, env map[string]string) *gateway {
	tb.Helper()
	e := map[string]string{"MODGATE_LOG_FORMAT": "json"}
	for k, v := range env {
		e[k] = v
	}
	return &gateway{name: name, env: e, dir: filepath.Join(tb.TempDir(), "data")}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// baseURL is the replica's HTTP root.
func (g *gateway) baseURL() string { return g.proc.URL() }

// start runs the replica and waits until it serves.
func (g *gateway) start(tb testing.TB) {
	tb.Helper()
	if g.proc == nil {
		g.proc = testkit.Start(tb, testkit.Options{Name: g.name, Env: g.env, DataDir: g.dir})
		return
	}
	g.proc.Restart(tb)
}

// kill sends SIGKILL (no drain, no flush: a crash) and waits for the exit.
func (g *gateway) kill() { g.proc.Kill() }

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
