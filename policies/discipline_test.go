package policies

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/modgate/modgate"
)

// The review side's 3-2-1 question goes to the same data.json numbers as
// the screening verdicts: changing them changes what a decision triggers.
func TestConsequence(t *testing.T) {
	shipped := loadShipped(t, Options{SkipTests: true})
	v := func(c, a int) modgate.Violations { return modgate.Violations{Count: c, Ads: a} }
	tests := []struct {
		name string
		in   modgate.DisciplineInput
		want modgate.Consequence
	}{
		{"approve counts nothing", modgate.DisciplineInput{Action: "approve", Labels: []string{"ads"}, Violations: v(1, 1)},
			modgate.Consequence{Violations: v(1, 1)}},
		{"first ads offence removes", modgate.DisciplineInput{Action: "remove", Labels: []string{"contact", "ads"}},
			modgate.Consequence{Violation: true, Violations: v(1, 1), Enforcement: "remove_member", Rule: "ads"}},
		{"first abuse offence: nothing", modgate.DisciplineInput{Action: "remove", Labels: []string{"abuse"}},
			modgate.Consequence{Violation: true, Violations: v(1, 0)}},
		{"second violation removes", modgate.DisciplineInput{Action: "remove", Labels: []string{"abuse"}, Violations: v(1, 0)},
			modgate.Consequence{Violation: true, Violations: v(2, 0), Enforcement: "remove_member", Rule: "violations"}},
		{"warn warns", modgate.DisciplineInput{Action: "warn", Labels: []string{"abuse"}},
			modgate.Consequence{Violation: true, Violations: v(1, 0), Enforcement: "warn", Rule: "action"}},
		{"explicit removal", modgate.DisciplineInput{Action: "remove_member", Labels: []string{"abuse"}},
			modgate.Consequence{Violation: true, Violations: v(1, 0), Enforcement: "remove_member", Rule: "action"}},
		{"cannot judge", modgate.DisciplineInput{Action: "cannot_judge", Violations: v(3, 0)},
			modgate.Consequence{Violations: v(3, 0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := shipped.Consequence(context.Background(), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}

	// An operator raises the ads threshold in data.json: a first ads
	// offence no longer removes the member.
	fsys := copyFS(t, Default)
	var data map[string]any
	if err := json.Unmarshal(fsys["data.json"].Data, &data); err != nil {
		t.Fatal(err)
	}
	data["tunables"].(map[string]any)["discipline"].(map[string]any)["remove_after_ads"] = 2
	fsys["data.json"].Data, _ = json.Marshal(data)
	e, err := Load(context.Background(), fsys, Options{}) // the policy tests pass: they pin their own numbers
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.Consequence(context.Background(), modgate.DisciplineInput{Action: "remove", Labels: []string{"ads"}})
	if err != nil {
		t.Fatal(err)
	}
	if got.Enforcement != "" || got.Violations != v(1, 1) {
		t.Errorf("with remove_after_ads 2: %+v, want no enforcement", got)
	}

	// A policy set without the rule says so.
	delete(fsys, "discipline.rego")
	delete(fsys, "discipline_test.rego")
	fsys["zz_enforcement.rego"] = &fstest.MapFile{Data: []byte("package modgate\n\ndefault enforcement := \"\"\n")}
	e, err = Load(context.Background(), fsys, Options{SkipTests: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Consequence(context.Background(), modgate.DisciplineInput{Action: "remove"}); !errors.Is(err, ErrNoConsequence) {
		t.Errorf("without discipline.rego: %v, want ErrNoConsequence", err)
	}
}

func copyFS(t *testing.T, src fs.FS) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(src, p)
		out[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func BenchmarkConsequence(b *testing.B) {
	e := loadShipped(b, Options{SkipTests: true})
	in := modgate.DisciplineInput{Action: "remove", Labels: []string{"ads", "contact"}, Violations: modgate.Violations{Count: 1}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Consequence(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}
