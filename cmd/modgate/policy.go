package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/modgate/modgate/policies"
)

func init() {
	register(command{
		Name:    "policy",
		Summary: "policy tools: `policy test [DIR]` runs the Rego policy tests",
		Run:     runPolicy,
	})
}

func runPolicy(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runGroup("policy", "Usage: modgate policy test [-q] [-json] [DIR]\n\nSubcommands:\n  test       run every *_test.rego in DIR against the policies and data.json there",
		map[string]func([]string) int{"test": func(a []string) int { return runPolicyTest(ctx, a, stdout, stderr) }},
		args, stdout, stderr)
}

// defaultPolicyDir is ./policies when run from a checkout (so staff test
// what they are editing), else "" for the policies built into the binary.
func defaultPolicyDir() string {
	if m, _ := filepath.Glob(filepath.Join("policies", "*.rego")); len(m) > 0 {
		return "policies"
	}
	return ""
}

func runPolicyTest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("policy test", flag.ContinueOnError)
	fset.SetOutput(stderr)
	quiet := fset.Bool("q", false, "print only failures and the summary")
	asJSON := fset.Bool("json", false, "print the results as one JSON object")
	fset.Usage = func() {
		fmt.Fprintln(stderr, "Usage: modgate policy test [-q] [-json] [DIR]\n\n"+
			"Runs the Rego tests (*_test.rego) in DIR against the policies and data.json\n"+
			"beside them (default: ./policies when it exists, else the built-in policies),\n"+
			"then checks that the set loads as the gateway would load it.\n"+
			"Exit status: 0 all tests pass, 1 a test failed, 2 the policies do not load.")
		fset.PrintDefaults()
	}
	if code, ok := parseFlags(fset, args); !ok {
		return code
	}
	if fset.NArg() > 1 {
		fset.Usage()
		return 2
	}
	dir := defaultPolicyDir()
	if fset.NArg() == 1 {
		dir = fset.Arg(0)
	}
	name := dir
	if dir == "" {
		name = "built-in policies"
	}

	start := time.Now()
	var (
		results []policies.TestResult
		err     error
	)
	if dir == "" {
		results, err = policies.RunTests(ctx, policies.Default)
	} else {
		results, err = policies.RunTestsDir(ctx, dir)
	}
	if err != nil {
		return printLoadError(stderr, name, err)
	}
	// The tests passing is not enough: the set must also define the entry
	// point and prepare, exactly as the gateway loads it.
	var loadErr error
	if dir == "" {
		_, loadErr = policies.Load(ctx, policies.Default, policies.Options{SkipTests: true})
	} else {
		_, loadErr = policies.LoadDir(ctx, dir, policies.Options{SkipTests: true})
	}

	var pass, fail, skip int
	for _, r := range results {
		switch {
		case r.Skip:
			skip++
		case r.Pass:
			pass++
		default:
			fail++
		}
	}
	if *asJSON {
		out := struct {
			Dir     string                `json:"dir"`
			Results []policies.TestResult `json:"results"`
			Passed  int                   `json:"passed"`
			Failed  int                   `json:"failed"`
			Skipped int                   `json:"skipped"`
			Error   string                `json:"error,omitempty"`
		}{name, results, pass, fail, skip, errString(loadErr)}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "modgate policy test: %v\n", err)
			return 2
		}
	} else {
		for _, r := range results {
			switch {
			case r.Skip:
				if !*quiet {
					fmt.Fprintf(stdout, "SKIP %s %s\n", r.Location(), r.Name)
				}
			case r.Pass:
				if !*quiet {
					fmt.Fprintf(stdout, "PASS %s %s\n", r.Location(), r.Name)
				}
			default:
				fmt.Fprintf(stdout, "FAIL %s %s\n", r.Location(), r.Name)
				if r.Message != "" {
					fmt.Fprintf(stdout, "     %s\n", r.Message)
				}
			}
		}
		fmt.Fprintf(stdout, "%s: %d tests, %d passed, %d failed", name, len(results), pass, fail)
		if skip > 0 {
			fmt.Fprintf(stdout, ", %d skipped", skip)
		}
		fmt.Fprintf(stdout, " (%s)\n", time.Since(start).Round(time.Millisecond))
	}
	if loadErr != nil {
		return printLoadError(stderr, name, loadErr)
	}
	if fail > 0 {
		return 1
	}
	if len(results) == 0 {
		fmt.Fprintf(stderr, "modgate policy test: %s: no tests found (*_test.rego)\n", name)
		return 1
	}
	return 0
}

// printLoadError prints one `file:line: message` line per problem.
func printLoadError(w io.Writer, name string, err error) int {
	var le *policies.LoadError
	if errors.As(err, &le) {
		for _, p := range le.Problems {
			fmt.Fprintf(w, "%s\n", p)
		}
		fmt.Fprintf(w, "modgate policy test: %s: %d problem(s); the policies do not load\n", name, len(le.Problems))
		return 2
	}
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(w, "modgate policy test: %s: no such directory\n", name)
		return 2
	}
	fmt.Fprintf(w, "modgate policy test: %v\n", err)
	return 2
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
