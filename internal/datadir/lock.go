// Package datadir guards a gateway's data directory: one `modgate serve`
// at a time may use it (two embedded JetStream servers on one store, or two
// spool writers on one spool, corrupt both).
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the lock's name inside the data directory.
const LockFile = "modgate.lock"

// ErrLocked is returned when another process holds the directory.
var ErrLocked = errors.New("datadir: in use by another modgate process")

// Lock is a held data-directory lock; it is released by Unlock or when the
// process exits (however it exits: the kernel drops flock locks).
type Lock struct {
	f    *os.File
	path string
}

// Acquire creates dir if needed and takes its lock without waiting. When
// another process holds it, the error wraps ErrLocked and names that
// process's pid.
func Acquire(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("datadir: %w", err)
	}
	path := filepath.Join(dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("datadir: open %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		holder := ""
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf(" (pid %d)", pid)
			}
		}
		f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, fmt.Errorf("%w%s: data directory %s; stop it first or give this one its own --data-dir", ErrLocked, holder, dir)
		}
		return nil, fmt.Errorf("datadir: lock %s: %w", path, err)
	}
	// The pid is informative only (the flock is what excludes).
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f, path: path}, nil
}

// Unlock releases the lock (the file stays; its content is stale then).
func (l *Lock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor drops the flock
	l.f = nil
	if err != nil {
		return fmt.Errorf("datadir: unlock %s: %w", l.path, err)
	}
	return nil
}
