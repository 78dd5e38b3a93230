package policies

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/modgate/modgate"
)

// Query is the entry point every policy set must define.
const Query = "data.modgate.decision"

// Options tune Load.
type Options struct {
	// SkipTests skips running *_test.rego at load (they run by default).
	SkipTests bool
	// NoMemo disables the decision memo even when the policies allow it
	// (benchmarks compare both).
	NoMemo bool
}

// Input is what level 1 found about one message.
type Input struct {
	Message    *modgate.Message
	Findings   *modgate.Findings
	Violations modgate.Violations
	// ScoreLabels and Scores are the model scores (calibrated
	// probabilities), Scores[i] for model label ScoreLabels[i]. The
	// policies read them as input.scores.<label>, floored to steps of
	// 0.01 (see Band).
	ScoreLabels []string
	Scores      []float64
	// Conversation is what the group's recent window adds (nil: the
	// window is off or unavailable; the policies then see window.parts 1
	// and empty flood and velocity).
	Conversation *Conversation
}

// Decision is the policy's answer for one message; modgate.NewVerdict
// turns it into the verdict.
type Decision = modgate.PolicyDecision

// Engine is one loaded, tested and prepared policy set. It is immutable and
// safe for concurrent use; a new revision is a new Engine (and a new memo).
type Engine struct {
	revision       string
	query          rego.PreparedEvalQuery
	newAccountDays int
	memo           *memo // nil when the policies are not memo-safe
	memoReason     string
	needMatches    bool // a rule reads input.matches: build it per message
	modelTun       map[string]ModelTunables
	bands          map[string]scoreBands // per model: how its score is banded for the policies
	conv           modgate.ConversationSettings
	velSteps       []int
	memoStats      memoCounters
	// consequence is data.modgate.consequence prepared (nil when the set
	// does not define it): what a reviewer's decision triggers.
	consequence *rego.PreparedEvalQuery
}

// ModelTunables is one entry of data.tunables.model: what a model's score
// does (thresholds are 0 when absent, i.e. off).
type ModelTunables struct {
	Label            string
	Review           float64
	Block            float64
	ReviewWithSignal float64
	Signals          []string
	// ReviewWithWeakSignal is the lower threshold at which one of
	// WeakSignals (shopping words customers use too) is enough.
	ReviewWithWeakSignal float64
	WeakSignals          []string
	// ReviewWithContact is the threshold at which a contact detector hit
	// (phone, id, link) is enough.
	ReviewWithContact float64
	// Thresholds holds every threshold of the entry, named above or not
	// (review_with_cue, and tiers the Rego adds later): each probability
	// key but floor. The score floor is the lowest of them.
	Thresholds []float64
	// KindOf names the model whose flags this one labels, at Kind.
	KindOf string
	Kind   float64
	// Floor, when set, replaces the lowest threshold as the score below
	// which the policies see 0 (0: every band reaches them).
	Floor    float64
	HasFloor bool
}

// ModelTunables returns data.tunables.model by model label, for tools that
// report figures at the shipped thresholds (modgate eval).
func (e *Engine) ModelTunables() map[string]ModelTunables { return e.modelTun }

// Revision is the hex sha256 of the policy files and data.json.
func (e *Engine) Revision() string { return e.revision }

// Memoised reports whether decisions are memoised and, if not, why.
func (e *Engine) Memoised() (bool, string) { return e.memo != nil, e.memoReason }

// LoadDir loads the policy folder dir (top-level *.rego and data.json;
// subfolders such as testdata are ignored). Problems name files as dir/file.
func LoadDir(ctx context.Context, dir string, opts Options) (*Engine, error) {
	fsys, err := dirFS(dir)
	if err != nil {
		return nil, err
	}
	return load(ctx, fsys, dir, opts)
}

func dirFS(dir string) (fs.FS, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("policies: %s is not a directory", dir)
	}
	return os.DirFS(dir), nil
}

// Load loads the policy set in the root of fsys.
func Load(ctx context.Context, fsys fs.FS, opts Options) (*Engine, error) {
	return load(ctx, fsys, "", opts)
}

// policySet is a parsed policy folder.
type policySet struct {
	modules        map[string]*ast.Module // production modules (no tests)
	tests          map[string]*ast.Module // *_test.rego
	data           map[string]any
	newAccountDays int
	conv           modgate.ConversationSettings
	velSteps       []int
	revision       string
}

func readSet(fsys fs.FS, prefix string) (*policySet, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("policies: read %s: %w", displayDir(prefix), err)
	}
	set := &policySet{modules: map[string]*ast.Module{}, tests: map[string]*ast.Module{}}
	var problems []Problem
	h := sha256.New()
	var haveData bool
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() || e.Type()&fs.ModeSymlink != 0 {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		if !strings.HasSuffix(name, ".rego") && name != DataFile {
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || isDir(fsys, name) {
				continue // dangling symlink or a folder named *.rego
			}
			return nil, fmt.Errorf("policies: read %s: %w", name, err)
		}
		file := displayName(prefix, name)
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(src))
		h.Write(src)
		if name == DataFile {
			haveData = true
			data, days, ps := parseTunables(file, src)
			problems = append(problems, ps...)
			if data != nil {
				data[TaxonomyKey] = taxonomyDoc()
			}
			set.data, set.newAccountDays = data, days
			if data != nil {
				set.conv, set.velSteps = conversationSettings(data), velocitySteps(data)
			}
			continue
		}
		mod, err := ast.ParseModuleWithOpts(file, string(src), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			problems = append(problems, problemsFromAST(err)...)
			continue
		}
		if mod == nil {
			problems = append(problems, Problem{File: file, Line: 1, Message: "empty policy file (no package)"})
			continue
		}
		if strings.HasSuffix(name, "_test.rego") {
			set.tests[file] = mod
		} else {
			set.modules[file] = mod
		}
	}
	if !haveData {
		problems = append(problems, Problem{File: displayName(prefix, DataFile), Message: "missing: the policies read their tunables from it"})
	}
	if len(set.modules) == 0 && len(problems) == 0 {
		problems = append(problems, Problem{File: displayDir(prefix), Message: "no policy (*.rego) files"})
	}
	if len(problems) > 0 {
		return nil, &LoadError{Problems: problems}
	}
	set.revision = hex.EncodeToString(h.Sum(nil))
	return set, nil
}

func isDir(fsys fs.FS, name string) bool {
	st, err := fs.Stat(fsys, name)
	return err == nil && st.IsDir()
}

func displayName(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return filepath.Join(prefix, name)
}

func displayDir(prefix string) string {
	if prefix == "" {
		return "."
	}
	return prefix
}

func (s *policySet) store() storage.Store {
	return inmem.NewFromObjectWithOpts(s.data, inmem.OptRoundTripOnWrite(false), inmem.OptReturnASTValuesOnRead(true))
}

func load(ctx context.Context, fsys fs.FS, prefix string, opts Options) (*Engine, error) {
	set, err := readSet(fsys, prefix)
	if err != nil {
		return nil, err
	}
	compiler := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1)
	compiler.Compile(copyModules(set.modules))
	if compiler.Failed() {
		return nil, &LoadError{Problems: problemsFromAST(compiler.Errors)}
	}
	if len(compiler.GetRulesExact(ast.MustParseRef(Query))) == 0 {
		return nil, &LoadError{Problems: []Problem{{File: displayDir(prefix),
			Message: "no rule defines " + Query + " (package modgate, rule decision)"}}}
	}
	if !opts.SkipTests {
		results, err := runTests(ctx, set, false)
		if err != nil {
			return nil, err
		}
		var problems []Problem
		for _, r := range results {
			if !r.Pass && !r.Skip {
				problems = append(problems, Problem{File: r.File, Line: r.Line, Message: "test " + r.Name + " failed" + suffix(r.Message)})
			}
		}
		if len(problems) > 0 {
			return nil, &LoadError{Problems: problems}
		}
	}
	pq, err := rego.New(
		rego.Query(Query),
		rego.Compiler(compiler),
		rego.Store(set.store()),
		// Hand back the AST result: decoding it directly into a Decision
		// skips OPA's conversion to Go maps.
		rego.GenerateJSON(func(t *ast.Term, _ *rego.EvalContext) (any, error) { return t, nil }),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, &LoadError{Problems: problemsFromAST(err)}
	}
	e := &Engine{revision: set.revision, query: pq, newAccountDays: set.newAccountDays,
		needMatches: readsPerMessage(compiler) != "", modelTun: modelTunables(set.data), conv: set.conv, velSteps: set.velSteps}
	e.bands = modelBands(set.data, e.modelTun)
	if e.consequence, err = prepareConsequence(ctx, compiler, set); err != nil {
		return nil, err
	}
	if reason := memoUnsafe(compiler); reason != "" {
		e.memoReason = reason
	} else if opts.NoMemo {
		e.memoReason = "disabled by option"
	} else {
		e.memo = newMemo(memoSize)
	}
	return e, nil
}

func suffix(msg string) string {
	if msg == "" {
		return ""
	}
	return ": " + msg
}

func copyModules(in map[string]*ast.Module) map[string]*ast.Module {
	out := make(map[string]*ast.Module, len(in))
	for k, m := range in {
		out[k] = m.Copy()
	}
	return out
}

// memoUnsafe explains why decisions of this policy set may not be memoised
// on the feature vector: a rule reads per-message data (see readsPerMessage)
// or calls a non-deterministic builtin (time, random, http). Empty means
// memo-safe.
func memoUnsafe(c *ast.Compiler) string {
	if r := readsPerMessage(c); r != "" {
		return r
	}
	var reason string
	for _, name := range sortedKeys(c.Modules) {
		mod := c.Modules[name]
		ast.WalkTerms(mod, func(t *ast.Term) bool {
			if call, ok := t.Value.(ast.Call); ok && reason == "" {
				if r := nondeterministic(call[0]); r != "" {
					reason = fmt.Sprintf("%s:%d calls non-deterministic builtin %s", locFile(t), locRow(t), r)
				}
			}
			return reason != ""
		})
		ast.WalkExprs(mod, func(x *ast.Expr) bool {
			if reason == "" && x.IsCall() {
				if r := nondeterministic(ast.NewTerm(x.Operator())); r != "" {
					reason = fmt.Sprintf("%s:%d calls non-deterministic builtin %s", x.Location.File, x.Location.Row, r)
				}
			}
			return reason != ""
		})
		if reason != "" {
			return reason
		}
	}
	return ""
}

// readsPerMessage explains where a rule reads input beyond the feature
// vector (input.matches, the whole input, input under a variable key); such
// policies get the matches list and are not memoised. Empty means none.
func readsPerMessage(c *ast.Compiler) string {
	var reason string
	for _, name := range sortedKeys(c.Modules) {
		ast.WalkTerms(c.Modules[name], func(t *ast.Term) bool {
			if reason != "" {
				return true
			}
			if v, ok := t.Value.(ast.Ref); ok && v.HasPrefix(ast.InputRootRef) {
				if len(v) < 2 {
					reason = fmt.Sprintf("%s:%d reads the whole input", locFile(t), locRow(t))
				} else if s, ok := v[1].Value.(ast.String); !ok || !memoFeature[string(s)] {
					reason = fmt.Sprintf("%s:%d reads %v, which is per-message data", locFile(t), locRow(t), v)
				}
			}
			return false
		})
		if reason != "" {
			return reason
		}
	}
	return ""
}

func nondeterministic(op *ast.Term) string {
	ref, ok := op.Value.(ast.Ref)
	if !ok {
		return ""
	}
	if b, ok := ast.BuiltinMap[ref.String()]; ok && b.Nondeterministic {
		return b.Name
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func locFile(t *ast.Term) string {
	if t.Location == nil {
		return "?"
	}
	return t.Location.File
}

func locRow(t *ast.Term) int {
	if t.Location == nil {
		return 0
	}
	return t.Location.Row
}

// scoreBands is how one model's score is banded before the policies (and
// the memo key) see it: bands below floor become 0, and a kind model's
// score becomes its one threshold band (kind) or 0.
type scoreBands struct{ floor, kind int }

// band applies b to a score's band n.
func (b scoreBands) band(n int) int {
	if n < b.floor {
		n = 0
	}
	if b.kind > 0 {
		n = min(n/b.kind*b.kind, b.kind)
	}
	return n
}

// modelBands derives each model's scoreBands from data.json. floor is the
// band of its lowest threshold (its own thresholds, a floor key when set,
// and the flood rule's model_score for a model with the flood label): below
// it no rule can tell two scores apart, so they share one memo key, where
// ordinary messages scoring 0.00–0.30 would otherwise spread over dozens.
// Thresholds are rounded, not floored, to bands: 0.29 is band 29 however
// the float multiplies out.
func modelBands(data map[string]any, tun map[string]ModelTunables) map[string]scoreBands {
	floodLabel, floodScore := "", 0.0
	if c, ok := lookup(data, "tunables.conversation.flood"); ok {
		m, _ := c.(map[string]any)
		floodLabel, _ = m["label"].(string)
		floodScore, _ = m["model_score"].(float64)
	}
	out := map[string]scoreBands{}
	for l, t := range tun {
		var b scoreBands
		low := math.Inf(1)
		for _, v := range t.Thresholds {
			if v > 0 {
				low = min(low, v)
			}
		}
		if t.Label == floodLabel && floodScore > 0 {
			low = min(low, floodScore)
		}
		if t.HasFloor {
			low = t.Floor
		}
		if k := int(math.Round(low * ScoreBands)); !math.IsInf(low, 1) && k >= 1 {
			b.floor = k
		}
		if k := int(math.Round(t.Kind * ScoreBands)); t.KindOf != "" && k >= 1 {
			b.kind = k
		}
		if b != (scoreBands{}) {
			out[l] = b
		}
	}
	return out
}
