package policies

import (
	"context"
	"encoding/json"
	"io/fs"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/modgate/modgate"
)

// regoLabels collects every label a shipped rule can put on a verdict: the
// "label" value of hit objects written out, and the label argument of
// hit(rule, label, ...) calls.
func regoLabels(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	names, err := fs.Glob(Default, "*.rego")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.rego") {
			continue
		}
		src, err := fs.ReadFile(Default, name)
		if err != nil {
			t.Fatal(err)
		}
		mod, err := ast.ParseModuleWithOpts(name, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		ast.WalkTerms(mod, func(term *ast.Term) bool {
			switch v := term.Value.(type) {
			case ast.Object:
				if l := v.Get(ast.StringTerm("label")); l != nil {
					if s, ok := l.Value.(ast.String); ok {
						out[string(s)] = append(out[string(s)], name)
					}
				}
			case ast.Call:
				if len(v) >= 3 && v[0].String() == "hit" {
					if s, ok := v[2].Value.(ast.String); ok {
						out[string(s)] = append(out[string(s)], name)
					}
				}
			}
			return false
		})
	}
	return out
}

// TestTaxonomyOneSource fails when the policies, data.json and Go's
// taxonomy (modgate.Taxonomy) disagree about the labels.
func TestTaxonomyOneSource(t *testing.T) {
	got := regoLabels(t)
	for l, files := range got {
		if !modgate.IsLabel(l) {
			t.Errorf("rego files %v produce label %q, which is not in modgate.Taxonomy", files, l)
		}
	}
	for _, l := range modgate.Labels {
		if _, ok := got[l]; !ok {
			t.Errorf("label %q is in modgate.Taxonomy but no shipped rule produces it", l)
		}
	}
	// data.json: every label-valued tunable names shipped labels.
	src, err := fs.ReadFile(Default, DataFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tunables struct {
			BlockLabels    []string `json:"block_labels"`
			DisabledLabels []string `json:"disabled_labels"`
			Exempt         []string `json:"verified_org_exempt"`
		} `json:"tunables"`
	}
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	for _, l := range slices.Concat(doc.Tunables.BlockLabels, doc.Tunables.DisabledLabels) {
		if !modgate.IsLabel(l) {
			t.Errorf("data.json names label %q, which is not in modgate.Taxonomy", l)
		}
	}
	for _, r := range doc.Tunables.Exempt {
		if l, _, _ := strings.Cut(r, "."); !modgate.IsLabel(l) {
			t.Errorf("data.json verified_org_exempt rule %q: label %q is not in modgate.Taxonomy", r, l)
		}
	}
}

// evalQuery evaluates a query against the shipped policies and the data
// document the engine builds (data.json plus data.taxonomy).
func evalQuery(t *testing.T, query string) any {
	t.Helper()
	set, err := readSet(Default, "")
	if err != nil {
		t.Fatal(err)
	}
	opts := []func(*rego.Rego){rego.Query(query), rego.Store(set.store())}
	for _, m := range set.modules {
		opts = append(opts, rego.ParsedModule(m))
	}
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil || len(rs) != 1 || len(rs[0].Expressions) != 1 {
		t.Fatalf("eval %s: %v %v", query, rs, err)
	}
	return rs[0].Expressions[0].Value
}

// TestShippedLabelsFromGo checks the policies see Go's list: the Rego set
// shipped_labels equals modgate.Labels.
func TestShippedLabelsFromGo(t *testing.T) {
	v := evalQuery(t, "data.modgate.shipped_labels")
	var got []string
	for _, x := range v.([]any) {
		got = append(got, x.(string))
	}
	want := slices.Clone(modgate.Labels)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Fatalf("shipped_labels = %v, want %v", got, want)
	}
}

// TestDataJSONMissingSectionTakesShippedDefault: a data.json written before
// a release added a tunable keeps loading.
func TestDataJSONMissingSectionTakesShippedDefault(t *testing.T) {
	src, err := fs.ReadFile(Default, DataFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc["tunables"].(map[string]any), "politics")
	old, _ := json.Marshal(doc)
	fsys := fstest.MapFS{DataFile: {Data: old}}
	names, _ := fs.Glob(Default, "*.rego")
	for _, n := range names {
		b, _ := fs.ReadFile(Default, n)
		fsys[n] = &fstest.MapFile{Data: b}
	}
	e, err := Load(context.Background(), fsys, Options{})
	if err != nil {
		t.Fatalf("data.json without the politics section: %v", err)
	}
	d, err := e.Decide(context.Background(), Input{Findings: &modgate.Findings{Matches: []modgate.Match{
		{Term: "a", Category: "politics", Subcategory: "topic", Severity: 1, Start: 0, End: 1, Source: modgate.SourceLexicon},
		{Term: "b", Category: "politics", Subcategory: "topic", Severity: 1, Start: 2, End: 3, Source: modgate.SourceLexicon},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if d.Action != modgate.ActionReview {
		t.Fatalf("two politics topics with the defaulted count: action %q, want review", d.Action)
	}
}
