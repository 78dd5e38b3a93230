package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/filters"
	"github.com/modgate/modgate/internal/api"
	"github.com/modgate/modgate/internal/screen"
)

func init() {
	register(command{
		Name:    "check",
		Summary: "screen texts offline: arguments, lines on stdin, or --jsonl requests",
		Run:     runCheck,
	})
}

// checkOptions configure the offline screener.
type checkOptions struct {
	LexiconDir   string // empty: the shipped lexicons
	PolicyDir    string // empty: the shipped policies
	ModelDir     string // empty: the shipped models; "none": no models
	Engine       string
	MaxTextBytes int
}

// screenFor builds the screener `check` uses: the same pipeline as the
// server (normalise, match, detect, Rego policies), so offline answers are
// the server's answers for the same files.
func screenFor(ctx context.Context, opts checkOptions) (modgate.Screener, error) {
	return screen.NewContext(ctx, screen.Config{
		LexiconDir: opts.LexiconDir, PolicyDir: opts.PolicyDir,
		ModelDir: strings.TrimPrefix(opts.ModelDir, "none"), NoModels: opts.ModelDir == "none",
		Engine: opts.Engine, MaxTextBytes: opts.MaxTextBytes,
		Logger: slog.New(slog.DiscardHandler),
	})
}

// matcherFlag registers --matcher (the name serve, its config key and
// MODGATE_MATCHER use) and --engine, its older alias.
func matcherFlag(fset *flag.FlagSet, p *string, def string) {
	fset.StringVar(p, "matcher", def, "lexicon matcher engine: compact or cloudflare")
	fset.StringVar(p, "engine", def, "deprecated alias of --matcher")
}

// lineError is the JSON object written for a line that could not be
// screened; the stream goes on.
type lineError struct {
	Line  int             `json:"line"`
	ID    string          `json:"id,omitempty"`
	Error api.ErrorDetail `json:"error"`
}

func runCheck(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("check", flag.ContinueOnError)
	fset.SetOutput(stderr)
	var opts checkOptions
	jsonl := fset.Bool("jsonl", false, "read one request object per line on stdin, write one verdict object per line")
	fset.StringVar(&opts.LexiconDir, "lexicons", "", "lexicon folder (default: the shipped lexicons)")
	fset.StringVar(&opts.PolicyDir, "policies", "", "Rego policy folder (default: the shipped policies)")
	fset.StringVar(&opts.ModelDir, "models", "", "classifier model folder (default: the shipped models; none: without models)")
	matcherFlag(fset, &opts.Engine, filters.EngineCompact)
	fset.IntVar(&opts.MaxTextBytes, "max-bytes", modgate.DefaultMaxTextBytes, "reject texts longer than this many bytes")
	fset.Usage = func() {
		fmt.Fprintln(stderr, `Usage: modgate check [flags] [TEXT...]

Screens each TEXT argument, or each line of stdin when there are none, and
writes one verdict (JSON) per line. With --jsonl, stdin holds request
objects ({"id":..., "text":...}) and each gets a verdict object in order.
A line that cannot be screened yields {"line":N,"error":{"code","message"}}
and a note on stderr; the rest continues. Exit code 1 if any line failed.

Verdicts come from the same pipeline as the server: the lexicons and the
Rego policies (their *_test.rego tests run first; a failure is reported
with file:line and exit code 1).

Flags:`)
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args); !ok {
		return code
	}
	if *jsonl && fset.NArg() > 0 {
		fmt.Fprintln(stderr, "modgate check: --jsonl reads stdin; do not pass TEXT arguments")
		return 2
	}
	if opts.MaxTextBytes <= 0 {
		fmt.Fprintln(stderr, "modgate check: --max-bytes must be positive")
		return 2
	}
	sc, err := screenFor(ctx, opts)
	if err != nil {
		fmt.Fprintf(stderr, "modgate check: %v\n", err)
		return 1
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	failed := false
	fail := func(line int, id, code, msg, where string) {
		failed = true
		_ = enc.Encode(lineError{Line: line, ID: id, Error: api.ErrorDetail{Code: code, Message: msg}})
		fmt.Fprintf(stderr, "%s:%d: %s: %s\n", where, line, code, msg)
	}
	screen := func(line int, m modgate.Message, where string) {
		v, err := sc.Screen(ctx, m)
		if err != nil {
			code, msg := textErrorCode(err)
			fail(line, m.ID, code, msg, where)
			return
		}
		if err := enc.Encode(v); err != nil {
			fail(line, m.ID, api.CodeInternal, err.Error(), where)
		}
	}

	if fset.NArg() > 0 {
		for i, text := range fset.Args() {
			screen(i+1, modgate.Message{Text: text}, "arg")
		}
		return exitCode(failed)
	}

	// The line limit leaves room for JSON escaping of a maximal text.
	limit := 6*opts.MaxTextBytes + 4096
	r := bufio.NewReaderSize(stdin, 64<<10)
	for lineNo := 1; ; lineNo++ {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "modgate check: interrupted")
			return 1
		}
		line, tooLong, err := readLine(r, limit)
		if err != nil && err != io.EOF {
			fmt.Fprintf(stderr, "modgate check: read stdin: %v\n", err)
			return 1
		}
		if len(line) == 0 && !tooLong && err == io.EOF {
			break
		}
		switch {
		case tooLong:
			fail(lineNo, "", api.CodeTooLarge, fmt.Sprintf("line longer than %d bytes", limit), "stdin")
		case len(bytes.TrimSpace(line)) == 0:
			// Blank lines separate nothing; skip them.
		case !*jsonl:
			screen(lineNo, modgate.Message{Text: string(line)}, "stdin")
		case !utf8.Valid(line):
			// encoding/json would silently turn bad bytes into U+FFFD.
			fail(lineNo, "", api.CodeInvalidUTF8, "line is not valid UTF-8", "stdin")
		default:
			var m modgate.Message
			if err := json.Unmarshal(line, &m); err != nil {
				fail(lineNo, "", api.CodeInvalidJSON, "invalid JSON: "+err.Error(), "stdin")
				continue
			}
			if m.Text == "" && !hasTextField(line) {
				fail(lineNo, m.ID, api.CodeMissingText, `request has no "text" field`, "stdin")
				continue
			}
			screen(lineNo, m, "stdin")
		}
		if err == io.EOF {
			break
		}
	}
	return exitCode(failed)
}

func exitCode(failed bool) int {
	if failed {
		return 1
	}
	return 0
}

func hasTextField(line []byte) bool {
	var probe struct {
		Text *string `json:"text"`
	}
	return json.Unmarshal(line, &probe) == nil && probe.Text != nil
}

// textErrorCode maps a screening error to the API's error codes.
func textErrorCode(err error) (code, msg string) {
	switch {
	case errors.Is(err, filters.ErrEmptyText):
		return api.CodeMissingText, "text is empty"
	case errors.Is(err, filters.ErrTooLarge):
		return api.CodeTooLarge, strings.TrimPrefix(err.Error(), "filters: ")
	case errors.Is(err, filters.ErrInvalidUTF8):
		return api.CodeInvalidUTF8, "text is not valid UTF-8"
	}
	return api.CodeInternal, err.Error()
}

// readLine reads one line without its line ending. A line longer than
// limit is consumed and reported as tooLong, so one bad line cannot stop
// the stream or exhaust memory.
func readLine(r *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			if len(buf)+len(chunk) > limit+2 {
				tooLong, buf = true, nil
			} else {
				buf = append(buf, chunk...)
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		buf = bytes.TrimSuffix(buf, []byte("\n"))
		buf = bytes.TrimSuffix(buf, []byte("\r"))
		return buf, tooLong, err
	}
}
