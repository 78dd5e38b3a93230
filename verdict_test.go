package modgate

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNewVerdict(t *testing.T) {
	tests := []struct {
		name     string
		d        PolicyDecision
		f        Findings
		severity int
	}{
		{"degraded: a bare action", PolicyDecision{Action: ActionReview}, Findings{}, 0},
		{"engine: the higher of rule and match severity", PolicyDecision{Action: ActionReview, Labels: []string{LabelAds}, Severity: 2},
			Findings{Normalized: "加微信", Matches: []Match{{Term: "加微信", Severity: 3}}}, 3},
		{"engine: rule severity above the matches", PolicyDecision{Action: ActionBlock, Severity: 3},
			Findings{Matches: []Match{{Term: "x", Severity: 1}}}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := NewVerdict("m-1", "d-1", tc.d, tc.f, Revision{Policy: "p"})
			if v.Severity != tc.severity || v.Action != tc.d.Action || v.Normalized != tc.f.Normalized || v.Revision.Policy != "p" {
				t.Fatalf("verdict %+v", v)
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			// The contract promises arrays, never null; the normalised text
			// stays out of the platform's answer.
			for _, want := range []string{`"labels":[`, `"matches":[`, `"reasons":[`} {
				if !strings.Contains(string(b), want) {
					t.Errorf("%s lacks %s", b, want)
				}
			}
			if strings.Contains(string(b), "null") || strings.Contains(string(b), "normalized") {
				t.Errorf("verdict JSON %s", b)
			}
		})
	}
}
