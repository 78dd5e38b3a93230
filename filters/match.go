package filters

import (
	"fmt"
	"strings"

	"github.com/cloudflare/ahocorasick"
)

// Hit is one occurrence of a pattern in a text: byte offsets [Start,End).
type Hit struct {
	Pattern    int32
	Start, End int32
}

// Matcher finds every occurrence of a fixed set of byte patterns in a text,
// overlapping ones included (FindAll semantics). Implementations are
// immutable after construction and safe for concurrent use.
type Matcher interface {
	// FindAll appends every occurrence of every pattern in text to dst, in
	// order of End (ties in any order), and returns the extended slice.
	FindAll(text string, dst []Hit) []Hit
	// Len is the number of patterns.
	Len() int
}

// Engine names for Options.Engine.
const (
	EngineCompact    = "compact"
	EngineCloudflare = "cloudflare"
)

// NewMatcher builds the named engine over patterns. Patterns must be
// non-empty and unique; pattern i is reported as Hit.Pattern == i.
func NewMatcher(engine string, patterns []string) (Matcher, error) {
	seen := make(map[string]struct{}, len(patterns))
	for i, p := range patterns {
		if p == "" {
			return nil, fmt.Errorf("filters: pattern %d is empty", i)
		}
		if _, dup := seen[p]; dup {
			return nil, fmt.Errorf("filters: pattern %q listed twice", p)
		}
		seen[p] = struct{}{}
	}
	switch engine {
	case "", EngineCompact:
		return NewCompact(patterns), nil
	case EngineCloudflare:
		return NewCloudflare(patterns), nil
	default:
		return nil, fmt.Errorf("filters: unknown engine %q (want %q or %q)", engine, EngineCompact, EngineCloudflare)
	}
}

// cloudflareMatcher adapts github.com/cloudflare/ahocorasick, the engine the
// design card names. That library reports only WHICH patterns occur, not
// where, so positions are recovered with strings.Index per reported
// pattern. It costs a 4 KiB node per pattern byte, so it suits small
// lexicons (about 10k terms at most); the compact engine is the default.
type cloudflareMatcher struct {
	m        *ahocorasick.Matcher
	patterns []string
}

// NewCloudflare builds the cloudflare/ahocorasick adapter.
func NewCloudflare(patterns []string) Matcher {
	ps := append([]string(nil), patterns...)
	return &cloudflareMatcher{m: ahocorasick.NewStringMatcher(ps), patterns: ps}
}

func (c *cloudflareMatcher) Len() int { return len(c.patterns) }

func (c *cloudflareMatcher) FindAll(text string, dst []Hit) []Hit {
	if len(c.patterns) == 0 || text == "" {
		return dst
	}
	// Match is not safe for concurrent use; MatchThreadSafe keeps its
	// state per call.
	ids := c.m.MatchThreadSafe([]byte(text))
	first := len(dst)
	for _, id := range ids {
		p := c.patterns[id]
		// Overlapping occurrences too: advance by one byte, not len(p).
		for off := 0; off < len(text); {
			j := strings.Index(text[off:], p)
			if j < 0 {
				break
			}
			s := off + j
			dst = append(dst, Hit{Pattern: int32(id), Start: int32(s), End: int32(s + len(p))})
			off = s + 1
		}
	}
	sortHitsByEnd(dst[first:])
	return dst
}

// sortHitsByEnd orders hits by End, then longer first, matching the
// compact engine's output order (insertion sort: hit lists are short).
func sortHitsByEnd(h []Hit) {
	for i := 1; i < len(h); i++ {
		x := h[i]
		j := i
		for ; j > 0 && hitLess(x, h[j-1]); j-- {
			h[j] = h[j-1]
		}
		h[j] = x
	}
}

func hitLess(a, b Hit) bool {
	if a.End != b.End {
		return a.End < b.End
	}
	if a.Start != b.Start {
		return a.Start < b.Start
	}
	return a.Pattern < b.Pattern
}
