package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modgate/modgate/internal/review"
)

func runUserCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"user"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUserCommand(t *testing.T) {
	for _, ext := range []string{"json", "yaml"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "users."+ext)
			steps := []struct {
				name  string
				stdin string
				args  []string
				code  int
				want  string
			}{
				{"add", "s3cret-pass\n", []string{"add", "alice", "--role", "reviewer", "--users", path, "--password-stdin"}, 0, "added alice"},
				{"add lead flags first", "lead-pass-1\n", []string{"add", "--users", path, "--password-stdin", "--role", "lead", "lena"}, 0, "added lena"},
				{"duplicate", "another-pass\n", []string{"add", "alice", "--role", "reviewer", "--users", path, "--password-stdin"}, 1, "user exists"},
				{"bad role", "another-pass\n", []string{"add", "bob", "--role", "boss", "--users", path, "--password-stdin"}, 1, "role"},
				{"no role", "another-pass\n", []string{"add", "bob", "--users", path}, 2, "--role is required"},
				{"short password", "short\n", []string{"add", "bob", "--role", "reviewer", "--users", path, "--password-stdin"}, 1, "at least 8"},
				{"empty stdin", "", []string{"add", "bob", "--role", "reviewer", "--users", path, "--password-stdin"}, 1, "no password"},
				{"bad name", "another-pass\n", []string{"add", "bad name", "--role", "reviewer", "--users", path, "--password-stdin"}, 1, "invalid user name"},
				{"passwd", "new-secret-9\n", []string{"passwd", "alice", "--users", path, "--password-stdin"}, 0, "changed"},
				{"passwd unknown", "new-secret-9\n", []string{"passwd", "nobody", "--users", path, "--password-stdin"}, 1, "no such user"},
				{"stdin without the flag", "another-pass\n", []string{"add", "bob", "--role", "reviewer", "--users", path}, 2, "pass --password-stdin"},
				{"list", "", []string{"list", "--users", path}, 0, "alice\treviewer\nlena\tlead\n"},
				{"remove", "", []string{"remove", "lena", "--users", path}, 0, "removed lena"},
				{"remove unknown", "", []string{"remove", "lena", "--users", path}, 1, "no such user"},
				{"unknown sub", "", []string{"grant", "alice", "--users", path}, 2, "unknown subcommand"},
			}
			for _, s := range steps {
				code, out, errs := runUserCmd(t, s.stdin, s.args...)
				if code != s.code || !strings.Contains(out+errs, s.want) {
					t.Fatalf("%s: code %d out %q err %q; want %d containing %q", s.name, code, out, errs, s.code, s.want)
				}
			}
			u, err := review.OpenUsers(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := u.Authenticate("alice", "new-secret-9"); err != nil {
				t.Fatalf("new password: %v", err)
			}
			if _, err := u.Authenticate("alice", "s3cret-pass"); err == nil {
				t.Fatal("old password still works")
			}
			st, _ := os.Stat(path)
			if st.Mode().Perm() != 0o600 {
				t.Fatalf("users file mode %v, want 0600", st.Mode().Perm())
			}
			b, _ := os.ReadFile(path)
			if strings.Contains(string(b), "new-secret-9") {
				t.Fatal("password stored in clear")
			}
		})
	}
}
