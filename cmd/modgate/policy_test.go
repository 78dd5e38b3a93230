package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestPolicyTest(t *testing.T) {
	pol := filepath.Join("..", "..", "policies")
	td := filepath.Join(pol, "testdata")
	cases := []struct {
		name       string
		args       []string
		code       int
		stdout     []string
		stderr     []string
		notInStdio string
	}{
		{name: "built-in policies (no ./policies here)", args: []string{"-q"}, code: 0,
			stdout: []string{"built-in policies:", "0 failed"}, notInStdio: "PASS"},
		{name: "shipped folder", args: []string{pol}, code: 0,
			stdout: []string{"PASS ", "finance_test.rego:", "test_topic_alone_allowed", " 0 failed"}},
		{name: "failing test", args: []string{filepath.Join(td, "failing_test")}, code: 1,
			stdout: []string{"PASS " + filepath.Join(td, "failing_test", "modgate_test.rego") + ":5 test_passes",
				"FAIL " + filepath.Join(td, "failing_test", "modgate_test.rego") + ":9 test_expects_block",
				"failed at " + filepath.Join(td, "failing_test", "modgate_test.rego") + ":10",
				"2 tests, 1 passed, 1 failed"}},
		{name: "parse error", args: []string{filepath.Join(td, "parse_error")}, code: 2,
			stderr: []string{filepath.Join(td, "parse_error", "modgate.rego") + ":8:", "do not load"}},
		{name: "compile error", args: []string{filepath.Join(td, "compile_error")}, code: 2,
			stderr: []string{filepath.Join(td, "compile_error", "modgate.rego") + ":6:", "no_such_function"}},
		{name: "data.json of the wrong shape", args: []string{filepath.Join(td, "bad_data_type")}, code: 2,
			stderr: []string{filepath.Join(td, "bad_data_type", "data.json") + ":18:", "must be an integer"}},
		{name: "no decision rule", args: []string{filepath.Join(td, "no_decision")}, code: 2,
			stderr: []string{"data.modgate.decision"}},
		{name: "missing folder", args: []string{filepath.Join(td, "nope")}, code: 2,
			stderr: []string{"no such directory"}},
		{name: "two folders", args: []string{pol, pol}, code: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), append([]string{"policy", "test"}, tc.args...), strings.NewReader(""), &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errb.String())
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range tc.stderr {
				if !strings.Contains(errb.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errb.String())
				}
			}
			if tc.notInStdio != "" && strings.Contains(out.String(), tc.notInStdio) {
				t.Errorf("stdout has %q with -q:\n%s", tc.notInStdio, out.String())
			}
		})
	}
}

func TestPolicyTestJSON(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"policy", "test", "-json", filepath.Join("..", "..", "policies", "testdata", "failing_test")},
		strings.NewReader(""), &out, &errb)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %s", code, errb.String())
	}
	var got struct {
		Passed, Failed int
		Results        []struct {
			Name string
			Pass bool
			Line int
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if got.Passed != 1 || got.Failed != 1 || len(got.Results) != 2 {
		t.Fatalf("got %+v", got)
	}
}

func TestPolicyHelp(t *testing.T) {
	for _, args := range [][]string{{"policy", "--help"}, {"policy", "test", "--help"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, strings.NewReader(""), &out, &errb); code != 0 {
			t.Errorf("%v: exit %d", args, code)
		}
		if !strings.Contains(out.String()+errb.String(), "policy test") {
			t.Errorf("%v: no usage text", args)
		}
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"policy", "frobnicate"}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Errorf("unknown subcommand: exit %d, want 2", code)
	}
}
