package policies

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/tester"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// TestResult is the outcome of one Rego test rule.
type TestResult struct {
	Name     string        `json:"name"`
	Package  string        `json:"package"`
	File     string        `json:"file"`
	Line     int           `json:"line"`
	Pass     bool          `json:"pass"`
	Skip     bool          `json:"skip,omitempty"`
	Message  string        `json:"message,omitempty"` // why it failed
	Duration time.Duration `json:"duration"`
}

// Location is "file:line".
func (r TestResult) Location() string { return fmt.Sprintf("%s:%d", r.File, r.Line) }

// RunTests runs the *_test.rego files in the root of fsys against the
// policies and data.json there, and returns one result per test in file and
// line order. Parse or compile problems return a *LoadError.
func RunTests(ctx context.Context, fsys fs.FS) ([]TestResult, error) {
	set, err := readSet(fsys, "")
	if err != nil {
		return nil, err
	}
	return runTests(ctx, set, true)
}

// RunTestsDir is RunTests on a folder; files are named dir/file.
func RunTestsDir(ctx context.Context, dir string) ([]TestResult, error) {
	fsys, err := dirFS(dir)
	if err != nil {
		return nil, err
	}
	set, err := readSet(fsys, dir)
	if err != nil {
		return nil, err
	}
	return runTests(ctx, set, true)
}

// runTests runs the tests; with trace set, failures name the expression that
// failed (tracing costs time, so Load runs without it).
func runTests(ctx context.Context, set *policySet, trace bool) ([]TestResult, error) {
	mods := copyModules(set.modules)
	for k, m := range set.tests {
		mods[k] = m.Copy()
	}
	runner := tester.NewRunner().
		SetDefaultRegoVersion(ast.RegoV1).
		SetModules(mods).
		SetStore(set.store()).
		SetTimeout(30 * time.Second).
		RaiseBuiltinErrors(true).
		EnableTracing(trace)
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		return nil, &LoadError{Problems: problemsFromAST(err)}
	}
	var out []TestResult
	for r := range ch {
		tr := TestResult{Name: r.Name, Package: strings.TrimPrefix(r.Package, "data."), Duration: r.Duration,
			Pass: r.Pass(), Skip: r.Skip}
		if r.Location != nil {
			tr.File, tr.Line = r.Location.File, r.Location.Row
		}
		switch {
		case r.Error != nil:
			tr.Pass = false
			tr.Message = r.Error.Error()
		case r.Fail:
			tr.Message = "the test was false or undefined"
			if loc := failedAt(r.Trace); loc != nil {
				tr.Message = fmt.Sprintf("failed at %s:%d: %s", loc.File, loc.Row, oneLine(string(loc.Text)))
			}
		}
		out = append(out, tr)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("policies: tests: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		return out[i].Line < out[j].Line
	})
	return out, nil
}

// failedAt finds the expression of a test file that failed last, the way
// `opa test` reports a failure line.
func failedAt(trace []*topdown.Event) *ast.Location {
	var fallback *ast.Location
	for _, e := range slices.Backward(trace) {
		if e.Op != topdown.FailOp || e.Location == nil || e.QueryID == 0 {
			continue
		}
		if strings.HasSuffix(e.Location.File, "_test.rego") {
			return e.Location
		}
		if fallback == nil {
			fallback = e.Location
		}
	}
	return fallback
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}
