package policies

import (
	"context"
	"errors"
	"fmt"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"

	"github.com/modgate/modgate"
)

// ConsequenceQuery is the rule the review queue evaluates before every
// decision (discipline.rego): the one place the 3-2-1 rule lives, read by
// the screening verdicts and the reviewers' decisions alike.
const ConsequenceQuery = "data.modgate.consequence"

// ErrNoConsequence is returned by Consequence when the policy set does not
// define data.modgate.consequence.
var ErrNoConsequence = errors.New("policies: " + ConsequenceQuery + " is not defined by this policy set (see policies/discipline.rego)")

func prepareConsequence(ctx context.Context, compiler *ast.Compiler, set *policySet) (*rego.PreparedEvalQuery, error) {
	if len(compiler.GetRulesExact(ast.MustParseRef(ConsequenceQuery))) == 0 {
		return nil, nil
	}
	pq, err := rego.New(rego.Query(ConsequenceQuery), rego.Compiler(compiler), rego.Store(set.store())).PrepareForEval(ctx)
	if err != nil {
		return nil, &LoadError{Problems: problemsFromAST(err)}
	}
	return &pq, nil
}

// Consequence evaluates what a reviewer's decision triggers for the member
// (data.modgate.consequence): whether it is a confirmed violation, the
// member's violations after it and the enforcement, from the same
// data.tunables.discipline numbers the screening verdicts use.
func (e *Engine) Consequence(ctx context.Context, in modgate.DisciplineInput) (modgate.Consequence, error) {
	if e.consequence == nil {
		return modgate.Consequence{}, ErrNoConsequence
	}
	labels := make([]*ast.Term, len(in.Labels))
	for i, l := range in.Labels {
		labels[i] = ast.StringTerm(l)
	}
	input := ast.NewObject(
		ast.Item(ast.StringTerm("review"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("action"), ast.StringTerm(in.Action)),
			ast.Item(ast.StringTerm("labels"), ast.ArrayTerm(labels...)))),
		ast.Item(ast.StringTerm("violations"), ast.ObjectTerm(
			ast.Item(ast.StringTerm("count"), ast.IntNumberTerm(in.Violations.Count)),
			ast.Item(ast.StringTerm("ads"), ast.IntNumberTerm(in.Violations.Ads)))),
	)
	rs, err := e.consequence.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return modgate.Consequence{}, fmt.Errorf("policies: eval %s: %w", ConsequenceQuery, err)
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return modgate.Consequence{}, fmt.Errorf("policies: %s is undefined for action %q", ConsequenceQuery, in.Action)
	}
	obj, ok := rs[0].Expressions[0].Value.(map[string]any)
	if !ok {
		return modgate.Consequence{}, fmt.Errorf("policies: %s must be an object, got %T", ConsequenceQuery, rs[0].Expressions[0].Value)
	}
	var c modgate.Consequence
	c.Violation, _ = obj["violation"].(bool)
	c.Enforcement, _ = obj["enforcement"].(string)
	c.Rule, _ = obj["rule"].(string)
	vs, _ := obj["violations"].(map[string]any)
	c.Violations.Count = jsonInt(vs["count"])
	c.Violations.Ads = jsonInt(vs["ads"])
	switch c.Enforcement {
	case "", modgate.DecisionWarn, modgate.DecisionRemoveMember:
	default:
		return modgate.Consequence{}, fmt.Errorf("policies: %s.enforcement must be \"\", warn or remove_member, got %q", ConsequenceQuery, c.Enforcement)
	}
	return c, nil
}

// jsonInt reads a number OPA returned as json.Number or a float.
func jsonInt(v any) int {
	switch n := v.(type) {
	case interface{ Int64() (int64, error) }:
		i, _ := n.Int64()
		return int(i)
	case float64:
		return int(n)
	case int:
		return n
	}
	return 0
}
