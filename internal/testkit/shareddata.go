package testkit

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// NUSTexts returns the chat lines of the NUS SMS corpus (Chinese part) in
// ../shared/data, or skips the test or benchmark when it is absent.
func NUSTexts(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open(filepath.Join(SharedData(tb), "benign_nus_sms_zh.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var texts []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if cols := strings.Split(sc.Text(), "\t"); len(cols) == 3 && cols[0] != "id" && strings.TrimSpace(cols[2]) != "" {
			texts = append(texts, cols[2])
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return texts
}
