package testkit

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var noticeOnce sync.Once

// SharedData returns the public data folder beside the repository
// (../shared/data, see its README) or skips the test when it is absent.
// go test prints skips only with -v, so the first such skip of a test
// binary also writes one line to the terminal, when there is one: a
// newcomer sees why the measurements on public corpora did not run.
func SharedData(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(filepath.Dir(RepoRoot()), "shared", "data")
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir
	}
	msg := fmt.Sprintf("%s not found: tests that measure on the public corpora are skipped", dir)
	noticeOnce.Do(func() {
		if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
			fmt.Fprintf(tty, "modgate tests: %s (%s)\n", msg, tb.Name())
			tty.Close()
		}
	})
	tb.Skip(msg)
	return ""
}
