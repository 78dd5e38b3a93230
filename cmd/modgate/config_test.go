package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/modgate/modgate/internal/api"
)

// TestConfigErrorsNameTheSetting: a mistake in the config file is reported
// with the file, the line and the setting, never the Go type behind it
// ("field adress not found in type main.Config" used to leak).
func TestConfigErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name string
		file string
		want string
	}{
		{"unknown key", "addr: 127.0.0.1:0\nadress: x\n", `line 2: unknown setting "adress"`},
		{"bad duration", "addr: x\ndedupe_window: soon\n", `line 2: "soon" is not a duration`},
		{"wrong type", "max_batch: [1, 2]\n", "line 1:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(f, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadConfig([]string{"--config", f}, func(string) string { return "" }, io.Discard)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, f) || !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q lacks the file or %q", msg, tc.want)
			}
			for _, leak := range []string{"main.", "Duration", "in type"} {
				if strings.Contains(msg, leak) {
					t.Fatalf("error %q leaks %q", msg, leak)
				}
			}
		})
	}
}

// TestPrintConfig: --print-config writes the effective configuration as a
// config file that loads back to the same values, with secrets redacted.
func TestPrintConfig(t *testing.T) {
	env := map[string]string{
		"MODGATE_API_KEYS": "t1=very-secret-tenant-key", "MODGATE_ADMIN_KEY": "very-secret-admin-key",
		"MODGATE_NATS_URL": "nats://user:very-secret-pw@127.0.0.1:4222", "MODGATE_PATROL_RATE": "0.2",
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--print-config", "--max-batch", "7"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if strings.Contains(out.String(), "very-secret") {
		t.Fatalf("secrets printed:\n%s", out.String())
	}
	var got map[string]any
	if err := yaml.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("not YAML: %v\n%s", err, out.String())
	}
	if got["api_keys"] != redacted || got["admin_key"] != redacted || got["max_batch"] != 7 || got["patrol_rate"] != 0.2 ||
		got["nats_url"] != "nats://***@127.0.0.1:4222" {
		t.Fatalf("printed config: %v", got)
	}
	// Without secrets the printed file loads back to the same configuration.
	for k := range env {
		t.Setenv(k, "")
	}
	out.Reset()
	if code := run(context.Background(), []string{"serve", "--print-config", "--matcher", "cloudflare"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	f := filepath.Join(t.TempDir(), "printed.yaml")
	if err := os.WriteFile(f, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := LoadConfig([]string{"--config", f}, func(string) string { return "" }, io.Discard)
	want := DefaultConfig()
	want.Matcher = "cloudflare"
	if err != nil || cfg != want {
		t.Fatalf("printed config loads as %+v, %v; want %+v", cfg, err, want)
	}
}

// TestMatcherFlagNames: --matcher is the name everywhere; --engine, the
// name check and eval used, is kept as an alias.
func TestMatcherFlagNames(t *testing.T) {
	for _, flag := range []string{"--matcher", "--engine"} {
		cfg, _, err := LoadConfig([]string{flag, "cloudflare"}, func(string) string { return "" }, io.Discard)
		if err != nil || cfg.Matcher != "cloudflare" {
			t.Fatalf("serve %s: %q, %v", flag, cfg.Matcher, err)
		}
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"check", flag, "cloudflare", "你好"}, strings.NewReader(""), &out, &errb); code != 0 {
			t.Fatalf("check %s: exit %d: %s", flag, code, errb.String())
		}
		if code := run(context.Background(), []string{"check", flag, "nosuch", "你好"}, strings.NewReader(""), &out, &errb); code == 0 {
			t.Fatalf("check %s nosuch: accepted", flag)
		}
	}
}

// TestExampleFiles: the shipped example config holds every setting with
// its default, and the example keys file loads with working keys.
func TestExampleFiles(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "modgate.yaml")
	cfg, _, err := LoadConfig([]string{"--config", path}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg != DefaultConfig() {
		t.Fatalf("example config differs from the defaults:\n got %+v\nwant %+v", cfg, DefaultConfig())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]any
	if err := yaml.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, f := range configFields() {
		name := strings.ToLower(strings.TrimPrefix(f.env, "MODGATE_"))
		if _, ok := keys[name]; !ok {
			t.Errorf("examples/modgate.yaml lacks %s", name)
		}
	}

	k := &api.Keys{}
	if err := k.LoadKeysFile(filepath.Join("..", "..", "examples", "keys.yaml")); err != nil {
		t.Fatal(err)
	}
	h := k.RequireTenant(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(api.PrincipalFrom(r.Context()).Tenant))
	}))
	for key, tenant := range map[string]string{"example-tenant-key-t1": "t1", "example-tenant-key-t2": "t2"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/v1/screen", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Body.String() != tenant {
			t.Errorf("key %s: %d %q, want tenant %s", key, rec.Code, rec.Body.String(), tenant)
		}
	}
	if nt, na := k.Counts(); nt != 2 || na != 1 {
		t.Fatalf("keys: %d tenant, %d admin", nt, na)
	}
}

func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"version"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "modgate ") || !strings.Contains(out.String(), "\ngo go1.") {
		t.Fatalf("version output %q", out.String())
	}
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}}}
	want := "modgate v1.2.3\nrevision abc123+dirty\nbuilt from a commit of 2026-01-02T03:04:05Z\ngo go1.26.0\n"
	if got := versionText(bi); got != want {
		t.Fatalf("versionText = %q, want %q", got, want)
	}
	if code := run(context.Background(), []string{"version", "extra"}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Fatalf("stray argument: exit %d", code)
	}
}
