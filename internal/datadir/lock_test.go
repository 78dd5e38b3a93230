package datadir

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestSecondHolderRefused: a second lock on the same directory (in this
// process, through another descriptor, as a second `serve` would) fails
// with ErrLocked naming the holder's pid; after Unlock it succeeds.
func TestSecondHolderRefused(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second acquire: %v", err)
	}
	if !strings.Contains(err.Error(), "pid ") {
		t.Fatalf("error does not name the holder: %v", err)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := Acquire(dir)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	defer l2.Unlock()
}

// TestOtherProcessRefused: another process cannot take the lock while we
// hold it (the kill -9 fault test shows a killed holder leaves none).
func TestOtherProcessRefused(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("flock(1) not installed")
	}
	dir := t.TempDir()
	if _, err := Acquire(dir); err != nil {
		t.Fatal(err)
	}
	// flock(1) on the same file from another process is refused while we hold it.
	out, err := exec.Command("flock", "-n", dir+"/"+LockFile, "true").CombinedOutput()
	if err == nil {
		t.Fatalf("another process took the lock: %s", out)
	}
	if _, err := os.Stat(dir + "/" + LockFile); err != nil {
		t.Fatal(err)
	}
}
