// Package lexicons reads the plain-text lexicon files compliance staff edit
// (lexicons/*.txt, format in the README and briefs/lexicon-format.md), checks
// them, and computes the content revision every verdict names.
package lexicons

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/modgate/modgate"
)

// Problem levels.
const (
	LevelError   = "error"
	LevelWarning = "warning"
)

// Problem is one finding about a lexicon file, addressed by file and line.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Level   string `json:"level"`
	Message string `json:"message"`
}

// String renders the problem the way compilers do, so editors can jump to it.
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Level, p.Message)
}

// DefaultSeverity applies when neither the line nor an @severity directive
// gives one: a human should look.
const DefaultSeverity = modgate.SeverityReview

// maxLineBytes bounds one line; longer lines are malformed (a pasted blob,
// not a term).
const maxLineBytes = 4096

// ParseFile parses one lexicon file. It returns every well-formed entry and
// a problem for each malformed line; parsing continues after errors so a
// linter can show them all at once.
func ParseFile(name string, r io.Reader) ([]modgate.Term, []Problem) {
	var (
		terms    []modgate.Term
		problems []Problem
		defCat   string
		defSub   string
		defSev   = 0
		defVar   string // @variants
		defBound string // @boundary
		labels   = map[string]bool{}
	)
	errf := func(line int, format string, args ...any) {
		problems = append(problems, Problem{File: name, Line: line, Level: LevelError, Message: fmt.Sprintf(format, args...)})
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		raw := sc.Bytes()
		if lineNo == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // editors on Windows add a BOM
		}
		if len(raw) > maxLineBytes {
			errf(lineNo, "line is %d bytes long (limit %d)", len(raw), maxLineBytes)
			continue
		}
		if !utf8.Valid(raw) {
			errf(lineNo, "line is not valid UTF-8")
			continue
		}
		line := strings.TrimSpace(stripComment(string(raw)))
		if line == "" {
			continue
		}
		switch {
		case strings.HasPrefix(line, "@"):
			name, arg, _ := strings.Cut(line[1:], " ")
			arg = strings.TrimSpace(arg)
			switch name {
			case "category":
				if arg == "" {
					errf(lineNo, "@category needs a value")
					continue
				}
				cat, sub, err := splitCategory(arg, labels)
				if err != nil {
					errf(lineNo, "%v", err)
					continue
				}
				defCat, defSub = cat, sub
			case "severity":
				sev, err := parseSeverity(arg)
				if err != nil {
					errf(lineNo, "%v", err)
					continue
				}
				defSev = sev
			case "label":
				if !validIdent(arg) {
					errf(lineNo, "@label %q: want lower-case letters, digits and _", arg)
					continue
				}
				labels[arg] = true
			case "variants":
				v, err := parseVariants(arg)
				if err != nil {
					errf(lineNo, "%v", err)
					continue
				}
				defVar = v
			case "boundary":
				switch arg {
				case "word":
					defBound = arg
				case "none":
					defBound = ""
				default:
					errf(lineNo, "@boundary %q: want word or none", arg)
				}
			default:
				errf(lineNo, "unknown directive @%s (want @category, @severity, @label, @variants or @boundary)", name)
			}
			continue
		case strings.HasPrefix(line, "!"):
			t, ok := parseEntry(line[1:], true, defCat, defSub, defSev, labels, func(f string, a ...any) { errf(lineNo, f, a...) })
			if ok {
				t.File, t.Line = name, lineNo
				terms = append(terms, t)
			}
		default:
			t, ok := parseEntry(line, false, defCat, defSub, defSev, labels, func(f string, a ...any) { errf(lineNo, f, a...) })
			if ok {
				t.File, t.Line = name, lineNo
				t.Variants, t.Boundary = defVar, defBound
				terms = append(terms, t)
			}
		}
	}
	if err := sc.Err(); err != nil {
		errf(lineNo+1, "read: %v", err)
	}
	return terms, problems
}

// parseVariants parses the argument of @variants: none, or a
// comma-separated list of pinyin and shape. It returns the canonical value
// of modgate.Term.Variants: "" (none), "shape" or "pinyin" (pinyin implies
// shape: a look-alike of a character reads like it).
func parseVariants(arg string) (string, error) {
	if arg == "" {
		return "", fmt.Errorf("@variants needs a value: pinyin, shape, pinyin,shape or none")
	}
	shape, pinyin, none := false, false, false
	for part := range strings.SplitSeq(arg, ",") {
		switch strings.TrimSpace(part) {
		case modgate.VariantPinyin:
			pinyin = true
		case modgate.VariantShape:
			shape = true
		case "none":
			none = true
		default:
			return "", fmt.Errorf("@variants %q: want pinyin, shape, pinyin,shape or none", arg)
		}
	}
	switch {
	case none && (shape || pinyin):
		return "", fmt.Errorf("@variants %q: none cannot be combined with other values", arg)
	case pinyin:
		return modgate.VariantPinyin, nil
	case shape:
		return modgate.VariantShape, nil
	}
	return "", nil
}

// parseEntry parses `term [| category[.sub] [| severity [| note]]]`.
func parseEntry(s string, allow bool, defCat, defSub string, defSev int, labels map[string]bool, errf func(string, ...any)) (modgate.Term, bool) {
	fields := strings.SplitN(s, "|", 4)
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
	}
	t := modgate.Term{Text: fields[0], Allow: allow, Category: defCat, Subcategory: defSub, Severity: defSev}
	if t.Text == "" {
		if allow {
			errf("empty allow phrase")
		} else {
			errf("empty term")
		}
		return t, false
	}
	if len(fields) > 1 && fields[1] != "" {
		cat, sub, err := splitCategory(fields[1], labels)
		if err != nil {
			errf("%v", err)
			return t, false
		}
		t.Category, t.Subcategory = cat, sub
	}
	if len(fields) > 2 && fields[2] != "" {
		sev, err := parseSeverity(fields[2])
		if err != nil {
			errf("%v", err)
			return t, false
		}
		t.Severity = sev
	}
	if len(fields) > 3 {
		t.Note = fields[3]
	}
	if allow {
		// Allow phrases need no category; keep one only if written on the line.
		if len(fields) < 2 || fields[1] == "" {
			t.Category, t.Subcategory = "", ""
		}
		if len(fields) < 3 || fields[2] == "" {
			t.Severity = 0
		}
		return t, true
	}
	if t.Category == "" {
		errf("term %q has no category (add `| category` or an @category line above it)", t.Text)
		return t, false
	}
	if t.Severity == 0 {
		t.Severity = DefaultSeverity
	}
	return t, true
}

// stripComment removes a trailing comment: whitespace followed by '#'. A
// line that starts with '#' is a comment as a whole.
func stripComment(s string) string {
	if strings.HasPrefix(strings.TrimLeft(s, " \t"), "#") {
		return ""
	}
	for i := 1; i < len(s); i++ {
		if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

func splitCategory(s string, labels map[string]bool) (cat, sub string, err error) {
	cat, sub, _ = strings.Cut(s, ".")
	if !validIdent(cat) {
		return "", "", fmt.Errorf("category %q: want a label such as %s", s, strings.Join(modgate.Labels, ", "))
	}
	if !modgate.IsLabel(cat) && !labels[cat] {
		return "", "", fmt.Errorf("unknown category %q (known: %s; declare custom labels with @label)", cat, strings.Join(modgate.Labels, ", "))
	}
	if strings.Contains(s, ".") && !validIdent(sub) {
		return "", "", fmt.Errorf("subcategory %q: want lower-case letters, digits and _", sub)
	}
	return cat, sub, nil
}

func parseSeverity(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < modgate.SeveritySignal || n > modgate.SeverityBlock {
		return 0, fmt.Errorf("severity %q: want 1 (signal), 2 (review) or 3 (block)", s)
	}
	return n, nil
}

func validIdent(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ErrNoFiles is returned when a lexicon folder holds no *.txt file.
var ErrNoFiles = errors.New("lexicons: no *.txt files")

// parseFS parses every *.txt file at the root of fsys (sorted by name) and
// computes the revision.
func parseFS(fsys fs.FS) (modgate.Lexicon, []Problem, error) {
	names, err := fs.Glob(fsys, "*.txt")
	if err != nil {
		return modgate.Lexicon{}, nil, fmt.Errorf("lexicons: list: %w", err)
	}
	if len(names) == 0 {
		return modgate.Lexicon{}, nil, ErrNoFiles
	}
	sort.Strings(names)
	h := sha256.New()
	var lex modgate.Lexicon
	var problems []Problem
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return modgate.Lexicon{}, nil, fmt.Errorf("lexicons: read %s: %w", name, err)
		}
		// Length-prefixed name and content: no two different sets hash alike.
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(name)))
		h.Write(n[:])
		h.Write([]byte(name))
		binary.BigEndian.PutUint64(n[:], uint64(len(data)))
		h.Write(n[:])
		h.Write(data)
		terms, probs := ParseFile(path.Base(name), bytes.NewReader(data))
		lex.Terms = append(lex.Terms, terms...)
		problems = append(problems, probs...)
	}
	lex.Revision = hex.EncodeToString(h.Sum(nil))
	return lex, problems, nil
}

// LoadFS loads every *.txt file at the root of fsys. Any malformed line
// makes it fail; the error names each file:line (up to ten of them).
func LoadFS(fsys fs.FS) (modgate.Lexicon, error) {
	lex, problems, err := parseFS(fsys)
	if err != nil {
		return modgate.Lexicon{}, err
	}
	if len(problems) > 0 {
		return modgate.Lexicon{}, problemsError(problems)
	}
	return lex, nil
}

// Load loads the lexicon folder dir.
func Load(dir string) (modgate.Lexicon, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return modgate.Lexicon{}, fmt.Errorf("lexicons: %w", err)
	}
	if !st.IsDir() {
		return modgate.Lexicon{}, fmt.Errorf("lexicons: %s is not a directory", dir)
	}
	lex, err := LoadFS(os.DirFS(dir))
	if errors.Is(err, ErrNoFiles) {
		return lex, fmt.Errorf("lexicons: %s: no *.txt files", dir)
	}
	return lex, err
}

func problemsError(problems []Problem) error {
	var b strings.Builder
	b.WriteString("lexicons: ")
	for i, p := range problems {
		if i == 10 {
			fmt.Fprintf(&b, "\n  ... and %d more", len(problems)-10)
			break
		}
		if i > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString(p.String())
	}
	return errors.New(b.String())
}
