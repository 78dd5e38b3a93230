package clustertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// repoRoot is the module root (the folder holding go.mod), found from the
// test's working directory.
func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("clustertest: go.mod not found above the test directory")
		}
		dir = parent
	}
}

// docTable is one markdown table between <!-- NAME:begin --> and
// <!-- NAME:end --> markers: the header cells and the rows, each a map
// from header to cell text (backticks kept; see code()).
type docTable struct {
	Header []string
	Rows   []map[string]string
	// Lines are the 1-based line numbers of the rows in the document, for
	// error messages.
	Lines []int
}

// parseDocTable extracts the marked table from a markdown document.
func parseDocTable(doc, name string) (docTable, error) {
	var t docTable
	begin, end := "<!-- "+name+":begin -->", "<!-- "+name+":end -->"
	in, found := false, false
	for i, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == begin:
			in, found = true, true
			continue
		case line == end:
			if !in {
				return t, errorf("%s: end marker before begin", name)
			}
			if len(t.Header) == 0 {
				return t, errorf("%s: no table between the markers", name)
			}
			return t, nil
		}
		if !in || line == "" {
			continue
		}
		if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") {
			return t, errorf("%s: line %d is not a table row: %q", name, i+1, line)
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		switch {
		case t.Header == nil:
			t.Header = cells
		case strings.Trim(strings.Join(cells, ""), "-: ") == "":
			// the |---|---| separator
		default:
			if len(cells) != len(t.Header) {
				return t, errorf("%s: line %d has %d cells, header has %d", name, i+1, len(cells), len(t.Header))
			}
			row := map[string]string{}
			for j, h := range t.Header {
				row[h] = cells[j]
			}
			t.Rows = append(t.Rows, row)
			t.Lines = append(t.Lines, i+1)
		}
	}
	if !found {
		return t, errorf("%s: begin marker not found", name)
	}
	return t, errorf("%s: end marker not found", name)
}

// codeSpans returns the `backticked` parts of a cell, in order.
func codeSpans(cell string) []string {
	var out []string
	for {
		i := strings.IndexByte(cell, '`')
		if i < 0 {
			return out
		}
		j := strings.IndexByte(cell[i+1:], '`')
		if j < 0 {
			return out
		}
		out = append(out, cell[i+1:i+1+j])
		cell = cell[i+1+j+1:]
	}
}

// code is the first code span of a cell ("" when none).
func code(cell string) string {
	if s := codeSpans(cell); len(s) > 0 {
		return s[0]
	}
	return ""
}

func errorf(format string, args ...any) error {
	return fmt.Errorf("docs/production.md: "+format, args...)
}

func TestParseDocTable(t *testing.T) {
	const doc = "intro\n<!-- t:begin -->\n| A | B |\n| --- | --- |\n| `x` | 1 |\n| y | `p`, `q` |\n<!-- t:end -->\n"
	tests := []struct {
		name    string
		doc     string
		table   string
		rows    int
		wantErr string
	}{
		{name: "two rows", doc: doc, table: "t", rows: 2},
		{name: "missing table", doc: doc, table: "other", wantErr: "begin marker not found"},
		{name: "unterminated", doc: "<!-- t:begin -->\n| A |\n", table: "t", wantErr: "end marker not found"},
		{name: "ragged row", doc: "<!-- t:begin -->\n| A | B |\n|---|---|\n| 1 |\n<!-- t:end -->", table: "t", wantErr: "has 1 cells"},
		{name: "prose inside", doc: "<!-- t:begin -->\nhello\n<!-- t:end -->", table: "t", wantErr: "not a table row"},
		{name: "empty", doc: "<!-- t:begin -->\n<!-- t:end -->", table: "t", wantErr: "no table"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab, err := parseDocTable(tc.doc, tc.table)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(tab.Rows) != tc.rows {
				t.Fatalf("rows = %d, want %d", len(tab.Rows), tc.rows)
			}
			if got := code(tab.Rows[0]["A"]); got != "x" {
				t.Fatalf("code(A) = %q", got)
			}
			if got := codeSpans(tab.Rows[1]["B"]); strings.Join(got, ",") != "p,q" {
				t.Fatalf("codeSpans(B) = %q", got)
			}
		})
	}
}
