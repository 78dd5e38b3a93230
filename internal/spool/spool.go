// Package spool is an append-only, fsync'd on-disk queue of records. The
// gateway writes escalations here when JetStream cannot take them and
// replays them once NATS is back, so an acknowledged case is never lost.
//
// Layout: a directory of segment files spool-<seq>.log. Each record is
// framed as
//
//	uint32 little-endian payload length | uint32 CRC-32C of payload | payload
//
// and fsync'd before Append returns. On Open, a torn or corrupt tail (a crash
// in the middle of a write) is cut off at the last complete record. Drain
// seals the active segment, hands every sealed record to a callback and
// deletes a segment only after all its records were handled, so a crash
// during a drain re-delivers records (consumers de-duplicate) but never
// drops them.
package spool

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// MaxRecordSize bounds one record; larger appends are rejected and larger
// lengths on disk are treated as corruption.
const MaxRecordSize = 16 << 20

const headerSize = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("spool: closed")

// Spool is safe for concurrent use.
type Spool struct {
	dir string

	mu      sync.Mutex // guards active, seq, pending, closed
	active  *os.File
	size    int64
	seq     uint64
	pending int
	closed  bool

	drainMu sync.Mutex // one drain at a time

	// Truncated is how many bytes of torn/corrupt tail Open cut off.
	Truncated int64
}

// Open opens (creating if needed) the spool in dir, repairs torn tails and
// counts the pending records.
func Open(dir string) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool: mkdir %s: %w", dir, err)
	}
	s := &Spool{dir: dir}
	segs, err := s.segments()
	if err != nil {
		return nil, err
	}
	for _, seq := range segs {
		n, cut, err := repair(s.path(seq))
		if err != nil {
			return nil, err
		}
		s.pending += n
		s.Truncated += cut
		s.seq = seq
	}
	if len(segs) == 0 {
		s.seq = 1
	}
	if err := s.openActive(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Spool) path(seq uint64) string {
	return filepath.Join(s.dir, fmt.Sprintf("spool-%016d.log", seq))
}

// segments lists segment sequence numbers in ascending order.
func (s *Spool) segments() ([]uint64, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("spool: read dir: %w", err)
	}
	var out []uint64
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "spool-") || !strings.HasSuffix(name, ".log") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "spool-"), ".log"), 10, 64)
		if err != nil {
			continue
		}
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func (s *Spool) openActive() error {
	f, err := os.OpenFile(s.path(s.seq), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("spool: open segment: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("spool: stat segment: %w", err)
	}
	s.active, s.size = f, st.Size()
	return syncDir(s.dir)
}

// repair scans a segment, truncates it after the last valid record and
// returns the number of valid records and bytes cut.
func repair(path string) (records int, cut int64, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, 0, fmt.Errorf("spool: open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, fmt.Errorf("spool: stat %s: %w", path, err)
	}
	var good int64
	err = scan(f, func([]byte) error { return nil }, func(n int, off int64) { records, good = n, off })
	if err != nil && !errors.Is(err, errCorrupt) {
		return 0, 0, fmt.Errorf("spool: scan %s: %w", path, err)
	}
	if good < st.Size() {
		if err := f.Truncate(good); err != nil {
			return 0, 0, fmt.Errorf("spool: truncate %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			return 0, 0, fmt.Errorf("spool: sync %s: %w", path, err)
		}
	}
	return records, st.Size() - good, nil
}

var errCorrupt = errors.New("spool: corrupt or torn record")

// scan calls fn for each valid record and progress(count, endOffset) after
// each; it stops at EOF (nil) or at the first torn/corrupt record
// (errCorrupt), or when fn fails (that error).
func scan(r io.Reader, fn func([]byte) error, progress func(int, int64)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var hdr [headerSize]byte
	var off int64
	n := 0
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if err == io.EOF {
				return nil
			}
			return errCorrupt // partial header: torn write
		}
		size := binary.LittleEndian.Uint32(hdr[0:4])
		sum := binary.LittleEndian.Uint32(hdr[4:8])
		if size == 0 || size > MaxRecordSize {
			return errCorrupt
		}
		buf := make([]byte, size)
		if _, err := io.ReadFull(br, buf); err != nil {
			return errCorrupt
		}
		if crc32.Checksum(buf, castagnoli) != sum {
			return errCorrupt
		}
		if err := fn(buf); err != nil {
			return err
		}
		n++
		off += headerSize + int64(size)
		progress(n, off)
	}
}

// Append writes one record and fsyncs it before returning.
func (s *Spool) Append(rec []byte) error {
	if len(rec) == 0 || len(rec) > MaxRecordSize {
		return fmt.Errorf("spool: record size %d out of range", len(rec))
	}
	frame := make([]byte, headerSize+len(rec))
	binary.LittleEndian.PutUint32(frame[0:4], uint32(len(rec)))
	binary.LittleEndian.PutUint32(frame[4:8], crc32.Checksum(rec, castagnoli))
	copy(frame[headerSize:], rec)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if _, err := s.active.Write(frame); err != nil {
		// Cut a partial frame so later records stay readable.
		_ = s.active.Truncate(s.size)
		return fmt.Errorf("spool: write: %w", err)
	}
	if err := s.active.Sync(); err != nil {
		_ = s.active.Truncate(s.size)
		return fmt.Errorf("spool: fsync: %w", err)
	}
	s.size += int64(len(frame))
	s.pending++
	return nil
}

// Pending is the number of records not yet drained.
func (s *Spool) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}

// Drain hands every spooled record to fn, oldest first. A segment is deleted
// once all its records succeeded; on the first error Drain stops and returns
// it, keeping that segment (its records are offered again next time, so fn
// must be idempotent). It returns how many records were handled and removed.
func (s *Spool) Drain(fn func(rec []byte) error) (int, error) {
	s.drainMu.Lock()
	defer s.drainMu.Unlock()

	// Seal the active segment if it holds anything, so appends during the
	// drain go to a fresh file.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, ErrClosed
	}
	if s.size > 0 {
		if err := s.active.Close(); err != nil {
			s.mu.Unlock()
			return 0, fmt.Errorf("spool: seal: %w", err)
		}
		s.seq++
		if err := s.openActive(); err != nil {
			s.mu.Unlock()
			return 0, err
		}
	}
	activeSeq := s.seq
	s.mu.Unlock()

	segs, err := s.segments()
	if err != nil {
		return 0, err
	}
	done := 0
	for _, seq := range segs {
		if seq >= activeSeq {
			break
		}
		n, err := s.drainSegment(seq, fn)
		done += n
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

func (s *Spool) drainSegment(seq uint64, fn func([]byte) error) (int, error) {
	path := s.path(seq)
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("spool: open %s: %w", path, err)
	}
	count := 0
	err = scan(f, fn, func(n int, _ int64) { count = n })
	f.Close()
	if err != nil && !errors.Is(err, errCorrupt) {
		return 0, err
	}
	// A corrupt record inside a sealed segment cannot be recovered (the
	// framing is lost after it); Open already cut torn tails, so this only
	// happens on disk corruption. Drop the unreadable rest with the file.
	if err := os.Remove(path); err != nil {
		return 0, fmt.Errorf("spool: remove %s: %w", path, err)
	}
	if err := syncDir(s.dir); err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.pending -= count
	if s.pending < 0 {
		s.pending = 0
	}
	s.mu.Unlock()
	return count, nil
}

// Close closes the active segment. Pending records stay on disk.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.active.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("spool: open dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("spool: sync dir: %w", err)
	}
	return nil
}
