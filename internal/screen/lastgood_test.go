package screen

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFaultRestartWithBrokenFileServesLastGood: a broken policy or lexicon
// file in a watched folder used to stop the gateway from starting at all.
// With a last good engine saved, a restart serves that engine, reports the
// file:line error and the fallback, and swaps to the folders once they are
// fixed.
func TestFaultRestartWithBrokenFileServesLastGood(t *testing.T) {
	tests := []struct {
		name, dir, file, content, wantErr string
	}{
		{"rego syntax", "pol", "decision.rego", "package modgate\n\ndecision := {\n\tbroken\n", "decision.rego:"},
		{"lexicon line", "lex", "bad.txt", "# ok\n@severity 2\n没有分类的词\n", "bad.txt:3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			good := filepath.Join(f.root, "data", "engine")
			withLastGood := func(c *Config) { c.LastGoodDir = good }
			s := newScreener(t, f, withLastGood)
			rev := s.Revision()
			if s.Fallback() != "" {
				t.Fatalf("fresh start reports a fallback: %s", s.Fallback())
			}
			dir := f.pol
			if tc.dir == "lex" {
				dir = f.lex
			}
			writeFiles(t, dir, map[string]string{tc.file: tc.content})

			// Without a saved engine the start fails, as before.
			if _, err := New(Config{PolicyDir: f.pol, LexiconDir: f.lex}); err == nil {
				t.Fatal("start without a last good engine succeeded on a broken file")
			}
			s2, err := New(Config{PolicyDir: f.pol, LexiconDir: f.lex, LastGoodDir: good})
			if err != nil {
				t.Fatalf("restart with a last good engine: %v", err)
			}
			if s2.Revision() != rev {
				t.Fatalf("serving %+v, want the last good %+v", s2.Revision(), rev)
			}
			if v := screenText(t, s2, "保本保息"); v.Action != "review" || v.Revision != rev {
				t.Fatalf("verdict from the fallback: %+v", v)
			}
			if s2.LastError() == nil || !strings.Contains(s2.LastError().Error(), tc.wantErr) {
				t.Fatalf("LastError = %v, want %s", s2.LastError(), tc.wantErr)
			}
			if fb := s2.Fallback(); !strings.Contains(fb, "last good") || !strings.Contains(fb, rev.Policy) {
				t.Fatalf("Fallback = %q", fb)
			}
			if st := s2.Status(); st.Fallback == "" || st.LastError == "" {
				t.Fatalf("status = %+v", st)
			}
			// A reload that still fails keeps the fallback.
			if err := s2.Reload(context.Background()); err == nil || s2.Fallback() == "" {
				t.Fatalf("reload of broken files: %v, fallback %q", err, s2.Fallback())
			}
			// The fix is picked up and the fallback ends.
			if err := os.Remove(filepath.Join(dir, tc.file)); err != nil {
				t.Fatal(err)
			}
			writeFiles(t, f.pol, policyFiles("block"))
			if err := s2.Reload(context.Background()); err != nil {
				t.Fatal(err)
			}
			if s2.Fallback() != "" || s2.LastError() != nil || s2.Revision() == rev {
				t.Fatalf("after fix: fallback %q, err %v, rev %+v", s2.Fallback(), s2.LastError(), s2.Revision())
			}
			// And the new set is now the last good one.
			s3, err := New(Config{PolicyDir: f.pol, LexiconDir: f.lex, LastGoodDir: good})
			if err != nil || s3.Revision() != s2.Revision() {
				t.Fatalf("third start: %v", err)
			}
			ents, _ := os.ReadDir(good)
			snaps := 0
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "snap-") {
					snaps++
				}
			}
			if snaps != 1 {
				t.Fatalf("%d saved snapshots, want 1", snaps)
			}
		})
	}
}
