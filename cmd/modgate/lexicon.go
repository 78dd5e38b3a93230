package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"

	"github.com/modgate/modgate/filters"
	"github.com/modgate/modgate/lexicons"
)

func init() {
	register(command{
		Name:    "lexicon",
		Summary: "lexicon tools: `lexicon lint [DIR]` checks lexicon files",
		Run:     runLexicon,
	})
}

func runLexicon(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runGroup("lexicon", "Usage: modgate lexicon lint [DIR]\n\nSubcommands:\n  lint       report malformed lines, unknown categories, duplicates,\n             single-character terms and terms the normaliser changes",
		map[string]func([]string) int{"lint": func(a []string) int { return runLexiconLint(a, stdout, stderr) }},
		args, stdout, stderr)
}

func runLexiconLint(args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("lexicon lint", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() {
		fmt.Fprintln(stderr, "Usage: modgate lexicon lint [DIR]\n\nLints every *.txt file in DIR (default: the shipped lexicons).\nPrints file:line: level: message; exits 1 if any error was found.")
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args); !ok {
		return code
	}
	if fset.NArg() > 1 {
		fset.Usage()
		return 2
	}
	var (
		problems []lexicons.Problem
		err      error
		where    = "shipped lexicons"
	)
	if fset.NArg() == 1 {
		where = fset.Arg(0)
		problems, err = lexicons.LintDir(where, filters.NormalizeString)
	} else {
		problems, err = lexicons.LintFS(lexicons.FS(), filters.NormalizeString)
	}
	if err != nil {
		if errors.Is(err, lexicons.ErrNoFiles) || errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(stderr, "modgate lexicon lint: %s: %v\n", where, err)
		} else {
			fmt.Fprintf(stderr, "modgate lexicon lint: %v\n", err)
		}
		return 1
	}
	var nErr, nWarn int
	for _, p := range problems {
		fmt.Fprintln(stdout, p.String())
		if p.Level == lexicons.LevelError {
			nErr++
		} else {
			nWarn++
		}
	}
	fmt.Fprintf(stderr, "%s: %d error(s), %d warning(s)\n", where, nErr, nWarn)
	if nErr > 0 {
		return 1
	}
	return 0
}
