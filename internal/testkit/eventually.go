// Package testkit holds what tests across the repository share: a polling
// wait instead of sleeps, and a harness that runs real `modgate serve`
// subprocesses. Only tests import it.
package testkit

import (
	"testing"
	"time"
)

// Eventually polls cond until it holds and returns how long that took. It
// backs off from 5 ms to 100 ms between polls and fails the test, naming
// what it waited for, once timeout has passed.
func Eventually(tb testing.TB, what string, timeout time.Duration, cond func() bool) time.Duration {
	tb.Helper()
	start := time.Now()
	deadline := start.Add(timeout)
	pause := 5 * time.Millisecond
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(pause)
		pause = min(2*pause, 100*time.Millisecond)
	}
	return time.Since(start)
}
