package spool

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func appendN(t *testing.T, s *Spool, from, n int) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := s.Append([]byte(fmt.Sprintf("rec-%04d", i))); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

func drainAll(t *testing.T, s *Spool) []string {
	t.Helper()
	var got []string
	if _, err := s.Drain(func(b []byte) error { got = append(got, string(b)); return nil }); err != nil {
		t.Fatalf("drain: %v", err)
	}
	return got
}

func activePath(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "spool-*.log"))
	if err != nil || len(m) == 0 {
		t.Fatalf("no segment in %s: %v", dir, err)
	}
	return m[len(m)-1]
}

func TestAppendReopenDrain(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 0, 5)
	if s.Pending() != 5 {
		t.Fatalf("pending = %d, want 5", s.Pending())
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Pending() != 5 {
		t.Fatalf("pending after reopen = %d, want 5", s.Pending())
	}
	got := drainAll(t, s)
	if len(got) != 5 || got[0] != "rec-0000" || got[4] != "rec-0004" {
		t.Fatalf("drained %v", got)
	}
	if s.Pending() != 0 {
		t.Fatalf("pending after drain = %d", s.Pending())
	}
	if again := drainAll(t, s); len(again) != 0 {
		t.Fatalf("second drain returned %v", again)
	}
}

func TestTornTail(t *testing.T) {
	tests := []struct {
		name    string
		corrupt func(t *testing.T, path string)
	}{
		{"partial header", func(t *testing.T, path string) { appendBytes(t, path, []byte{9, 0, 0}) }},
		{"partial payload", func(t *testing.T, path string) {
			appendBytes(t, path, []byte{20, 0, 0, 0, 1, 2, 3, 4, 'a', 'b'})
		}},
		{"bad crc", func(t *testing.T, path string) {
			appendBytes(t, path, []byte{2, 0, 0, 0, 1, 2, 3, 4, 'a', 'b'})
		}},
		{"absurd length", func(t *testing.T, path string) {
			appendBytes(t, path, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
		}},
		{"truncated last record", func(t *testing.T, path string) {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, st.Size()-3); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			appendN(t, s, 0, 3)
			s.Close()
			tc.corrupt(t, activePath(t, dir))

			s, err = Open(dir)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer s.Close()
			if s.Truncated == 0 {
				t.Fatalf("expected a truncated tail")
			}
			// Appending after repair must yield readable records.
			appendN(t, s, 100, 1)
			got := drainAll(t, s)
			want := []string{"rec-0000", "rec-0001", "rec-0002", "rec-0100"}
			if tc.name == "truncated last record" {
				want = []string{"rec-0000", "rec-0001", "rec-0100"}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
		})
	}
}

func appendBytes(t *testing.T, path string, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
}

func TestDrainErrorKeepsRecords(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	appendN(t, s, 0, 4)
	boom := errors.New("nats down")
	calls := 0
	n, err := s.Drain(func(b []byte) error {
		calls++
		if calls == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || n != 0 {
		t.Fatalf("drain = %d, %v; want 0, boom", n, err)
	}
	if s.Pending() != 4 {
		t.Fatalf("pending = %d, want 4", s.Pending())
	}
	appendN(t, s, 4, 1)
	got := drainAll(t, s)
	want := "[rec-0000 rec-0001 rec-0002 rec-0003 rec-0004]"
	if fmt.Sprint(got) != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}

func TestConcurrentAppendDuringDrain(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const writers, per = 4, 50
	var wg sync.WaitGroup
	seen := map[string]int{}
	var mu sync.Mutex
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				if err := s.Append([]byte(fmt.Sprintf("w%d-%d", w, i))); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	stop := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			_, _ = s.Drain(func(b []byte) error { mu.Lock(); seen[string(b)]++; mu.Unlock(); return nil })
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-drained
	_, _ = s.Drain(func(b []byte) error { seen[string(b)]++; return nil })
	if len(seen) != writers*per {
		t.Fatalf("saw %d distinct records, want %d", len(seen), writers*per)
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("record %s delivered %d times", k, n)
		}
	}
	if s.Pending() != 0 {
		t.Fatalf("pending = %d", s.Pending())
	}
}

func TestAppendRejectsBadSizes(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Append(nil); err == nil {
		t.Fatal("empty record accepted")
	}
	s.Close()
	if err := s.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}

// TestPoisonRecordDoesNotBlockTheRest: a record the callback can never
// deliver goes to the dead-letter log and every later record is still
// drained (before, the drain stopped at it forever).
func TestPoisonRecordDoesNotBlockTheRest(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 0, 3)
	if err := s.Append([]byte("poison")); err != nil {
		t.Fatal(err)
	}
	appendN(t, s, 3, 3)
	var got []string
	n, err := s.Drain(func(b []byte) error {
		if string(b) == "poison" {
			return Permanent(errors.New("message over max_payload"))
		}
		got = append(got, string(b))
		return nil
	})
	if err != nil || n != 7 {
		t.Fatalf("drain = %d, %v; want 7, nil", n, err)
	}
	if len(got) != 6 || s.Pending() != 0 {
		t.Fatalf("delivered %v, pending %d", got, s.Pending())
	}
	if s.DeadCount() != 1 {
		t.Fatalf("dead letters = %d, want 1", s.DeadCount())
	}
	s.Close()

	// Kept across a restart, readable without opening the spool.
	dls, err := DeadLetters(dir)
	if err != nil || len(dls) != 1 || string(dls[0].Record) != "poison" || dls[0].Reason != "message over max_payload" || dls[0].At.IsZero() {
		t.Fatalf("dead letters = %+v, %v", dls, err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.DeadCount() != 1 || s.Pending() != 0 {
		t.Fatalf("after reopen: dead %d pending %d", s.DeadCount(), s.Pending())
	}

	// After the cause is fixed an operator requeues it.
	if n, err := s.RequeueDeadLetters(); err != nil || n != 1 {
		t.Fatalf("requeue = %d, %v", n, err)
	}
	if s.DeadCount() != 0 || s.Pending() != 1 {
		t.Fatalf("after requeue: dead %d pending %d", s.DeadCount(), s.Pending())
	}
	if got := drainAll(t, s); len(got) != 1 || got[0] != "poison" {
		t.Fatalf("requeued drain = %v", got)
	}
	if _, err := os.Stat(filepath.Join(dir, DeadLetterFile)); !os.IsNotExist(err) {
		t.Fatalf("dead-letter log still there: %v", err)
	}
}

// TestTransientErrorStillStops: a plain error (NATS down) keeps the order:
// the drain stops and nothing is dead-lettered.
func TestTransientErrorStillStops(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	appendN(t, s, 0, 4)
	down := errors.New("nats: connection closed")
	if n, err := s.Drain(func([]byte) error { return down }); !errors.Is(err, down) || n != 0 {
		t.Fatalf("drain = %d, %v", n, err)
	}
	if s.Pending() != 4 || s.DeadCount() != 0 {
		t.Fatalf("pending %d dead %d", s.Pending(), s.DeadCount())
	}
}

// TestMaxBytes: past the limit Append answers ErrFull and stores nothing;
// draining frees the room again.
func TestMaxBytes(t *testing.T) {
	dir := t.TempDir()
	rec := make([]byte, 100)
	for i := range rec {
		rec[i] = 'x'
	}
	s, err := OpenOptions(dir, Options{MaxBytes: 5 * (headerSize + 100)})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := s.Append(rec); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	if err := s.Append(rec); !errors.Is(err, ErrFull) {
		t.Fatalf("6th append = %v, want ErrFull", err)
	}
	if s.Pending() != 5 || s.PendingBytes() != 5*(headerSize+100) {
		t.Fatalf("pending %d bytes %d", s.Pending(), s.PendingBytes())
	}
	s.Close()
	// The limit holds across a restart (sizes come from the files).
	s, err = OpenOptions(dir, Options{MaxBytes: 5 * (headerSize + 100)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Append(rec); !errors.Is(err, ErrFull) {
		t.Fatalf("append after reopen = %v, want ErrFull", err)
	}
	if got := drainAll(t, s); len(got) != 5 {
		t.Fatalf("drained %d", len(got))
	}
	if err := s.Append(rec); err != nil {
		t.Fatalf("append after drain: %v", err)
	}
	if n, b, err := PendingRecords(dir); err != nil || n != 1 || b != headerSize+100 {
		t.Fatalf("PendingRecords = %d, %d, %v", n, b, err)
	}
}
