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
//
// A record the callback can never deliver (it returns a Permanent error) is
// moved to the dead-letter log dead-letters.log (same framing, each payload a
// JSON DeadLetter) and the drain goes on with the rest: one poison record
// must not hold every later one back. Dead letters are kept until an
// operator requeues them (RequeueDeadLetters) or deletes the file.
//
// Options.MaxBytes bounds the pending segments on disk; an Append past it
// fails with ErrFull (the caller answers "not stored" instead of filling the
// disk).
package spool

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
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
	"time"
)

// MaxRecordSize bounds one record; larger appends are rejected and larger
// lengths on disk are treated as corruption.
const MaxRecordSize = 16 << 20

const headerSize = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("spool: closed")

// ErrFull is returned by Append when the record would take the pending
// segments past Options.MaxBytes.
var ErrFull = errors.New("spool: full")

// DeadLetterFile is the dead-letter log's name inside the spool directory.
const DeadLetterFile = "dead-letters.log"

// Options tune a spool.
type Options struct {
	// MaxBytes bounds the bytes of pending segments (0 = unlimited).
	MaxBytes int64
}

// Spool is safe for concurrent use.
type Spool struct {
	dir  string
	opts Options

	mu      sync.Mutex // guards active, seq, pending, closed, total, dead
	active  *os.File
	size    int64
	total   int64 // bytes in all pending segments (sealed and active)
	seq     uint64
	pending int
	closed  bool
	dead    int // records in the dead-letter log

	drainMu sync.Mutex // one drain at a time

	// Truncated is how many bytes of torn/corrupt tail Open cut off.
	Truncated int64
}

// Open opens (creating if needed) the spool in dir, repairs torn tails and
// counts the pending records.
func Open(dir string) (*Spool, error) { return OpenOptions(dir, Options{}) }

// OpenOptions is Open with options.
func OpenOptions(dir string, o Options) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool: mkdir %s: %w", dir, err)
	}
	s := &Spool{dir: dir, opts: o}
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
		if st, err := os.Stat(s.path(seq)); err == nil {
			s.total += st.Size()
		}
	}
	if len(segs) == 0 {
		s.seq = 1
	}
	dl, cut, err := repairDead(filepath.Join(dir, DeadLetterFile))
	if err != nil {
		return nil, err
	}
	s.dead = dl
	s.Truncated += cut
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
	if s.opts.MaxBytes > 0 && s.total+int64(len(frame)) > s.opts.MaxBytes {
		return fmt.Errorf("%w: %d bytes pending, limit %d", ErrFull, s.total, s.opts.MaxBytes)
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
	s.total += int64(len(frame))
	s.pending++
	return nil
}

// Pending is the number of records not yet drained.
func (s *Spool) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending
}

// PendingBytes is the size of the pending segments on disk.
func (s *Spool) PendingBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// permanentError marks a record that can never be delivered.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent wraps err to tell Drain that retrying the record cannot help:
// Drain moves it to the dead-letter log and goes on.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Drain hands every spooled record to fn, oldest first. A segment is deleted
// once all its records were handled; on the first error Drain stops and
// returns it, keeping that segment (its records are offered again next
// time, so fn must be idempotent). A Permanent error is not a stop: the
// record goes to the dead-letter log and the drain continues. It returns how
// many records were handled and removed (dead-lettered ones included).
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
	st, _ := f.Stat()
	count := 0
	var end int64
	err = scan(f, func(rec []byte) error {
		err := fn(rec)
		if IsPermanent(err) {
			if derr := s.DeadLetter(rec, err.Error()); derr != nil {
				return fmt.Errorf("spool: dead-letter a record (%v): %w", err, derr)
			}
			return nil
		}
		return err
	}, func(n int, off int64) { count, end = n, off })
	f.Close()
	if err != nil && !errors.Is(err, errCorrupt) {
		return 0, err
	}
	if errors.Is(err, errCorrupt) && st != nil && end < st.Size() {
		// A corrupt record inside a sealed segment cannot be framed again;
		// Open already cut torn tails, so this is disk corruption. Keep the
		// file for an operator (listed with the dead letters) instead of
		// deleting what might still be recovered by hand.
		bad := filepath.Join(s.dir, fmt.Sprintf("corrupt-%016d.log", seq))
		if err := os.Rename(path, bad); err != nil {
			return 0, fmt.Errorf("spool: set aside corrupt %s: %w", path, err)
		}
	} else if err := os.Remove(path); err != nil {
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
	if st != nil {
		s.total -= st.Size()
		if s.total < 0 {
			s.total = 0
		}
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

// DeadLetter is one record the spool could never deliver.
type DeadLetter struct {
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
	Record []byte    `json:"record"`
}

// repairDead counts the dead letters and cuts a torn tail.
func repairDead(path string) (int, int64, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return 0, 0, nil
	}
	return repair(path)
}

// DeadLetter appends rec with the reason to the dead-letter log (fsync'd).
func (s *Spool) DeadLetter(rec []byte, reason string) error {
	b, err := json.Marshal(DeadLetter{At: time.Now().UTC(), Reason: reason, Record: rec})
	if err != nil {
		return fmt.Errorf("spool: encode dead letter: %w", err)
	}
	if len(b) > MaxRecordSize {
		return fmt.Errorf("spool: dead letter of %d bytes is over the record limit", len(b))
	}
	frame := make([]byte, headerSize+len(b))
	binary.LittleEndian.PutUint32(frame[0:4], uint32(len(b)))
	binary.LittleEndian.PutUint32(frame[4:8], crc32.Checksum(b, castagnoli))
	copy(frame[headerSize:], b)
	s.mu.Lock()
	defer s.mu.Unlock()
	path := filepath.Join(s.dir, DeadLetterFile)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("spool: open dead letters: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("spool: stat dead letters: %w", err)
	}
	if _, err := f.Write(frame); err != nil {
		_ = f.Truncate(st.Size())
		f.Close()
		return fmt.Errorf("spool: write dead letter: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Truncate(st.Size())
		f.Close()
		return fmt.Errorf("spool: fsync dead letter: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("spool: close dead letters: %w", err)
	}
	s.dead++
	return syncDir(s.dir)
}

// DeadCount is the number of dead letters kept.
func (s *Spool) DeadCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dead
}

// DeadLetters reads the dead-letter log of the spool in dir without opening
// the spool (safe while a gateway runs: the log is append-only and a torn
// tail is ignored).
func DeadLetters(dir string) ([]DeadLetter, error) {
	f, err := os.Open(filepath.Join(dir, DeadLetterFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spool: open dead letters: %w", err)
	}
	defer f.Close()
	var out []DeadLetter
	err = scan(f, func(b []byte) error {
		var d DeadLetter
		if err := json.Unmarshal(b, &d); err != nil {
			d = DeadLetter{Reason: "undecodable dead-letter entry", Record: append([]byte(nil), b...)}
		}
		out = append(out, d)
		return nil
	}, func(int, int64) {})
	if err != nil && !errors.Is(err, errCorrupt) {
		return out, fmt.Errorf("spool: read dead letters: %w", err)
	}
	return out, nil
}

// CorruptSegments lists segments set aside because a record inside them
// was unreadable (disk corruption).
func CorruptSegments(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, "corrupt-*.log"))
	if err != nil {
		return nil, fmt.Errorf("spool: list corrupt segments: %w", err)
	}
	return m, nil
}

// PendingRecords counts the records waiting in the spool in dir without
// opening it (read-only; a torn tail is not counted).
func PendingRecords(dir string) (records int, bytes int64, err error) {
	s := &Spool{dir: dir}
	segs, err := s.segments()
	if err != nil {
		return 0, 0, err
	}
	for _, seq := range segs {
		f, err := os.Open(s.path(seq))
		if err != nil {
			return 0, 0, fmt.Errorf("spool: open %s: %w", s.path(seq), err)
		}
		n := 0
		_ = scan(f, func([]byte) error { return nil }, func(c int, _ int64) { n = c })
		if st, err := f.Stat(); err == nil {
			bytes += st.Size()
		}
		f.Close()
		records += n
	}
	return records, bytes, nil
}

// RequeueDeadLetters moves every dead letter back into the pending spool
// (after the cause was fixed, e.g. NATS max_payload raised). Records that do
// not fit (ErrFull) stay dead letters. It returns how many were requeued.
func (s *Spool) RequeueDeadLetters() (int, error) {
	s.drainMu.Lock()
	defer s.drainMu.Unlock()
	dls, err := DeadLetters(s.dir)
	if err != nil {
		return 0, err
	}
	n := 0
	var appendErr error
	for _, d := range dls {
		if appendErr = s.Append(d.Record); appendErr != nil {
			break
		}
		n++
	}
	// Rewrite the log with what is left (atomically: tmp + rename).
	rest := dls[n:]
	path := filepath.Join(s.dir, DeadLetterFile)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return n, fmt.Errorf("spool: rewrite dead letters: %w", err)
	}
	for _, d := range rest {
		b, _ := json.Marshal(d)
		var hdr [headerSize]byte
		binary.LittleEndian.PutUint32(hdr[0:4], uint32(len(b)))
		binary.LittleEndian.PutUint32(hdr[4:8], crc32.Checksum(b, castagnoli))
		if _, err := f.Write(append(hdr[:], b...)); err != nil {
			f.Close()
			return n, fmt.Errorf("spool: rewrite dead letters: %w", err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return n, fmt.Errorf("spool: rewrite dead letters: %w", err)
	}
	f.Close()
	if len(rest) == 0 {
		_ = os.Remove(tmp)
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, fmt.Errorf("spool: remove dead letters: %w", err)
		}
	} else if err := os.Rename(tmp, path); err != nil {
		return n, fmt.Errorf("spool: rewrite dead letters: %w", err)
	}
	s.mu.Lock()
	s.dead = len(rest)
	s.mu.Unlock()
	if err := syncDir(s.dir); err != nil {
		return n, err
	}
	if appendErr != nil {
		return n, appendErr
	}
	return n, nil
}
