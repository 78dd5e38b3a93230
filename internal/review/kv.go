package review

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// KV is the part of a key-value bucket the small stores (sessions, rate
// limits, reporters, strikes) use. In a gateway it is a JetStream KV bucket
// (NATSKV), shared by every replica; MemoryKV holds one in memory for tests
// of code above the stores, where a NATS server adds nothing.
type KV interface {
	// Get returns the value and its revision, or ErrNoKey.
	Get(ctx context.Context, key string) ([]byte, uint64, error)
	// Create writes a new key; errConflict when it exists.
	Create(ctx context.Context, key string, value []byte) (uint64, error)
	// Update writes key if its revision is still last; errConflict if not.
	Update(ctx context.Context, key string, value []byte, last uint64) (uint64, error)
	// Purge removes key and its history.
	Purge(ctx context.Context, key string) error
	// Keys lists the keys matching a NATS subject filter ("m.*.x", ">").
	Keys(ctx context.Context, filter string) ([]string, error)
}

// ErrNoKey means the key does not exist.
var ErrNoKey = errors.New("review: no such key")

// errConflict means another writer changed the key first: the
// read-modify-write is retried (see retryCAS).
var errConflict = errors.New("review: concurrent update")

// casTries bounds every compare-and-set loop: past it the caller gets
// ErrContended and retries later.
const casTries = 16

// retryCAS runs attempt until it ends with anything but errConflict, at
// most tries times (then ErrContended). It is the package's one
// compare-and-set loop: every read-modify-write goes through it.
func retryCAS[T any](tries int, attempt func(try int) (T, error)) (T, error) {
	for try := 0; try < tries; try++ {
		v, err := attempt(try)
		if !errors.Is(err, errConflict) {
			return v, err
		}
	}
	var zero T
	return zero, ErrContended
}

// put writes value with compare-and-set on rev (0: the key must not exist).
func put(ctx context.Context, kv KV, key string, value []byte, rev uint64) (uint64, error) {
	if rev == 0 {
		return kv.Create(ctx, key, value)
	}
	return kv.Update(ctx, key, value, rev)
}

// getJSON reads the JSON record at key; a missing key is the zero value at
// revision 0.
func getJSON[T any](ctx context.Context, kv KV, key string) (T, uint64, error) {
	var v T
	b, rev, err := kv.Get(ctx, key)
	if errors.Is(err, ErrNoKey) {
		return v, 0, nil
	}
	if err != nil {
		return v, 0, err
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, 0, fmt.Errorf("review: decode %s: %w", key, err)
	}
	return v, rev, nil
}

// updateJSON reads the JSON record at key (the zero value when absent),
// lets fn change it and writes it back with compare-and-set, retrying when
// another writer got there first. fn returns errSkip to write nothing.
func updateJSON[T any](ctx context.Context, kv KV, key string, fn func(v *T) error) (T, error) {
	return retryCAS(casTries, func(int) (T, error) {
		v, rev, err := getJSON[T](ctx, kv, key)
		if err != nil {
			return v, err
		}
		if err := fn(&v); err != nil {
			if errors.Is(err, errSkip) {
				return v, nil
			}
			return v, err
		}
		b, err := json.Marshal(v)
		if err != nil {
			return v, fmt.Errorf("review: encode %s: %w", key, err)
		}
		_, err = put(ctx, kv, key, b, rev)
		return v, err
	})
}

// NATSKV adapts a JetStream KV bucket.
func NATSKV(kv jetstream.KeyValue) KV { return natsKV{kv} }

type natsKV struct{ kv jetstream.KeyValue }

func (n natsKV) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	e, err := n.kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, ErrNoKey
	}
	if err != nil {
		return nil, 0, fmt.Errorf("review: %s get: %w", n.kv.Bucket(), err)
	}
	return e.Value(), e.Revision(), nil
}

func (n natsKV) write(rev uint64, err error, key string) (uint64, error) {
	if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, errConflict
	}
	if err != nil {
		return 0, fmt.Errorf("review: %s write %s: %w", n.kv.Bucket(), key, err)
	}
	return rev, nil
}

func (n natsKV) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := n.kv.Create(ctx, key, value)
	return n.write(rev, err, key)
}

func (n natsKV) Update(ctx context.Context, key string, value []byte, last uint64) (uint64, error) {
	rev, err := n.kv.Update(ctx, key, value, last)
	return n.write(rev, err, key)
}

func (n natsKV) Purge(ctx context.Context, key string) error {
	if err := n.kv.Purge(ctx, key); err != nil {
		return fmt.Errorf("review: %s purge: %w", n.kv.Bucket(), err)
	}
	return nil
}

func (n natsKV) Keys(ctx context.Context, filter string) ([]string, error) {
	l, err := n.kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("review: %s keys: %w", n.kv.Bucket(), err)
	}
	var keys []string
	for k := range l.Keys() {
		keys = append(keys, k)
	}
	return keys, nil
}

// MemoryKV is a KV in memory with the same compare-and-set rules (one
// revision counter per bucket, create-only, update-if-unchanged). It has no
// TTL: the stores check their own expiries. For tests and tools; a gateway
// shares its buckets through NATS.
type MemoryKV struct {
	mu  sync.Mutex
	rev uint64
	m   map[string]memEntry
}

type memEntry struct {
	value []byte
	rev   uint64
}

// NewMemoryKV returns an empty in-memory bucket.
func NewMemoryKV() *MemoryKV { return &MemoryKV{m: map[string]memEntry{}} }

// Get implements KV.
func (m *MemoryKV) Get(_ context.Context, key string) ([]byte, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.m[key]
	if !ok {
		return nil, 0, ErrNoKey
	}
	return slices.Clone(e.value), e.rev, nil
}

// Create implements KV.
func (m *MemoryKV) Create(_ context.Context, key string, value []byte) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.m[key]; ok {
		return 0, errConflict
	}
	return m.set(key, value), nil
}

// Update implements KV.
func (m *MemoryKV) Update(_ context.Context, key string, value []byte, last uint64) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.m[key]; !ok || e.rev != last {
		return 0, errConflict
	}
	return m.set(key, value), nil
}

func (m *MemoryKV) set(key string, value []byte) uint64 {
	m.rev++
	m.m[key] = memEntry{value: slices.Clone(value), rev: m.rev}
	return m.rev
}

// Purge implements KV.
func (m *MemoryKV) Purge(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, key)
	return nil
}

// Keys implements KV with NATS subject matching: "*" matches one token,
// a final ">" the rest.
func (m *MemoryKV) Keys(_ context.Context, filter string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var keys []string
	for k := range m.m {
		if subjectMatch(filter, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

func subjectMatch(filter, key string) bool {
	f, k := strings.Split(filter, "."), strings.Split(key, ".")
	for i, tok := range f {
		if tok == ">" {
			return i < len(k)
		}
		if i >= len(k) || tok != "*" && tok != k[i] {
			return false
		}
	}
	return len(f) == len(k)
}

// jsonMarshal encodes a record for a KV value.
func jsonMarshal(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("review: encode: %w", err)
	}
	return b, nil
}
