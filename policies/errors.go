package policies

import (
	"errors"
	"fmt"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/topdown"
)

// Problem is one thing wrong with a policy set, located by file and line.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	switch {
	case p.File == "":
		return p.Message
	case p.Line <= 0:
		return p.File + ": " + p.Message
	default:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Message)
	}
}

// LoadError lists every problem that kept a policy set from loading.
type LoadError struct{ Problems []Problem }

func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("policies: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// problemsFromAST turns OPA parse/compile errors into located problems.
func problemsFromAST(err error) []Problem {
	var astErrs ast.Errors
	if errors.As(err, &astErrs) {
		out := make([]Problem, 0, len(astErrs))
		for _, e := range astErrs {
			out = append(out, problemFromASTError(e))
		}
		return out
	}
	var astErr *ast.Error
	if errors.As(err, &astErr) {
		return []Problem{problemFromASTError(astErr)}
	}
	var tdErr *topdown.Error
	if errors.As(err, &tdErr) {
		p := Problem{Message: tdErr.Code + ": " + tdErr.Message}
		if tdErr.Location != nil {
			p.File, p.Line = tdErr.Location.File, tdErr.Location.Row
		}
		return []Problem{p}
	}
	return []Problem{{Message: err.Error()}}
}

func problemFromASTError(e *ast.Error) Problem {
	p := Problem{Message: e.Code + ": " + e.Message}
	if e.Location != nil {
		p.File, p.Line = e.Location.File, e.Location.Row
	}
	return p
}
