package screen

import (
	"context"
	"testing"

	"github.com/modgate/modgate"
)

// benchMessages is a realistic group-chat mix: the team-written quality set
// (about 70% everyday chat and near misses, 30% risky messages of every
// label), with sender metadata on some of them.
func benchMessages(b *testing.B) []modgate.Message {
	b.Helper()
	samples := readCorpusFile(b, "../../testdata/quality/chat.tsv", FormatLabel)
	msgs := make([]modgate.Message, len(samples))
	for i, s := range samples {
		m := modgate.Message{ID: "m", Text: s.Text, Tenant: "t1", Group: modgate.Group{ID: "g1", Kind: "personal"}}
		if i%3 == 0 {
			age := i % 30
			m.Sender = modgate.Sender{ID: "u1", AccountAgeDays: &age}
		}
		msgs[i] = m
	}
	return msgs
}

// BenchmarkScreen measures the whole pipeline (validate, normalise, match,
// detect, mask, policy, verdict) on one goroutine.
func BenchmarkScreen(b *testing.B) {
	s := shippedScreener(b)
	msgs := benchMessages(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Screen(ctx, msgs[i%len(msgs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScreenParallel is the same mix on GOMAXPROCS goroutines.
func BenchmarkScreenParallel(b *testing.B) {
	s := shippedScreener(b)
	msgs := benchMessages(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Screen(ctx, msgs[i%len(msgs)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
