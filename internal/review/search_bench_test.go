package review

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modgate/modgate"
	"github.com/nats-io/nats.go/jetstream"
)

// The search index could live in a KV bucket (one key per posting, looked
// up with a filtered watch) or in a stream with a subject per posting
// (looked up with stream info's subject filter; chosen: MODGATE_SEARCH).
// These benchmarks measure both on the same postings; BENCHMARKS.md has
// the figures.
//
//	go test ./internal/review/ -run '^$' -bench 'SearchIndex' -benchmem -benchtime 20x

const benchCases = 20000

// benchCase is a synthetic case: 200 senders, 4 labels, a short text.
func benchCase(i int) *modgate.Case {
	labels := []string{[]string{"ads", "contact", "finance", "abuse"}[i%4]}
	return &modgate.Case{ID: fmt.Sprintf("c-bench%06d", i), Tenant: "t1", Labels: labels,
		Message:    modgate.Message{ID: fmt.Sprintf("m-%d", i), Sender: modgate.Sender{ID: fmt.Sprintf("u-%d", i%200)}, Group: modgate.Group{ID: fmt.Sprintf("g-%d", i%50)}},
		MaskedText: fmt.Sprintf("第%d条消息 加微信 138******78 领取福利 %s", i, strings.Repeat("测试", i%5)),
		Created:    time.Now().UTC()}
}

func setupSearchBench(b *testing.B) (*Queue, jetstream.KeyValue) {
	b.Helper()
	s := startNATS(b, b.TempDir())
	nc := connect(b, s)
	q := openQueue(b, nc, testConfig())
	ctx := context.Background()
	kv, err := q.js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "BENCH_SEARCH", Storage: jetstream.FileStorage})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < benchCases; i++ {
		c := benchCase(i)
		q.indexCase(c, nil)
		// The same postings as keys of a KV bucket.
		for _, k := range fieldKeys(summarize(c)) {
			if _, err := q.jsIndex.PublishAsync("$KV.BENCH_SEARCH."+k+"."+c.ID, nil, jetstream.WithStallWait(10*time.Second)); err != nil {
				b.Fatal(err)
			}
		}
		for g, pos := range textPostings(c.MaskedText) {
			if _, err := q.jsIndex.PublishAsync("$KV.BENCH_SEARCH.tx."+g+"."+c.ID+"."+positionsToken(pos), nil, jetstream.WithStallWait(10*time.Second)); err != nil {
				b.Fatal(err)
			}
		}
	}
	<-q.jsIndex.PublishAsyncComplete()
	b.Logf("indexed %d cases twice (stream and KV) in %v", benchCases, time.Since(start).Round(time.Millisecond))
	return q, kv
}

// kvPostings is the KV alternative of Queue.postings.
func kvPostings(ctx context.Context, kv jetstream.KeyValue, filter string) (int, error) {
	l, err := kv.ListKeysFiltered(ctx, filter)
	if err != nil {
		return 0, err
	}
	n := 0
	for range l.Keys() {
		n++
	}
	return n, nil
}

func BenchmarkSearchIndex(b *testing.B) {
	q, kv := setupSearchBench(b)
	ctx := context.Background()
	lookups := []struct {
		name, filter string
		want         int
	}{
		{"sender_100", "sd." + keyPart("t1") + "." + keyPart("u-7") + ".*", benchCases / 200},
		{"label_5000", "lb.ads.*", benchCases / 4},
		{"gram_20000", "tx." + gramKey('微', '信') + ".*.*", benchCases},
	}
	for _, l := range lookups {
		b.Run("stream/"+l.name, func(b *testing.B) {
			for b.Loop() {
				ps, _, err := q.postings(ctx, l.filter)
				if err != nil || len(ps) != l.want {
					b.Fatalf("%d postings (%v), want %d", len(ps), err, l.want)
				}
			}
		})
		b.Run("kv/"+l.name, func(b *testing.B) {
			for b.Loop() {
				n, err := kvPostings(ctx, kv, l.filter)
				if err != nil || n != l.want {
					b.Fatalf("%d keys (%v), want %d", n, err, l.want)
				}
			}
		})
	}
	b.Run("search/sender_text", func(b *testing.B) {
		for b.Loop() {
			if _, err := q.Search(ctx, SearchQuery{Sender: "u-7", Text: "领取福利"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkIndexCase is the cost of writing one new case's postings.
func BenchmarkIndexCase(b *testing.B) {
	s := startNATS(b, b.TempDir())
	q := openQueue(b, connect(b, s), testConfig())
	i := 0
	for b.Loop() {
		q.indexCase(benchCase(i), nil)
		i++
	}
	<-q.jsIndex.PublishAsyncComplete()
}
