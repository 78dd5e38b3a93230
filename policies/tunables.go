package policies

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/modgate/modgate"
)

// DataFile is the tunables file that sits next to the policies. Its
// top-level object is mounted at the root of OPA's data document, so rules
// read data.tunables.….
const DataFile = "data.json"

// TaxonomyKey is where the engine mounts the shipped taxonomy in OPA's data
// document (data.taxonomy.labels), so the policies read the label list from
// Go (modgate.Taxonomy) instead of keeping their own copy.
const TaxonomyKey = "taxonomy"

func taxonomyDoc() map[string]any {
	labels := make([]any, len(modgate.Labels))
	for i, l := range modgate.Labels {
		labels[i] = l
	}
	return map[string]any{"labels": labels}
}

// kinds of values in the tunables schema.
const (
	kInt     = "integer"
	kBool    = "boolean"
	kStrings = "list of strings"
	kObject  = "object" // free-form object (operator extensions)
	kProb    = "probability"
	kString  = "string"
	// kBucket is a count threshold the policies compare with a bucketed
	// conversation count (Bucket): it must be a bucket boundary, or it
	// would not mean what it says.
	kBucket = "count threshold"
	// kSteps is an ascending list of positive integers (velocity steps).
	kSteps = "list of ascending positive integers"
)

// mapOf is an object whose keys are chosen by the operator (model labels)
// and whose values all have the shape elem. A schema key ending in "?" is
// optional: absent means "off".
type mapOf struct{ elem any }

var mapKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// tunablesSchema is the shape data.json must have. Nested maps are objects
// whose keys are all required and no others are allowed, so a typo in a key
// is an error instead of a silently ignored setting; "custom" is free-form
// for operators' own rules.
var tunablesSchema = map[string]any{
	"tunables": map[string]any{
		"new_account_days":    kInt,
		"block_labels":        kStrings,
		"disabled_labels":     kStrings,
		"verified_org_exempt": kStrings,
		"contact": map[string]any{
			"detector_kinds":   kStrings,
			"flood_count":      kInt,
			"drainage_signals": kInt,
		},
		"ads": map[string]any{
			"promo_review_count":          kInt,
			"promo_with_contact_cue":      kInt,
			"promo_with_contact_detector": kInt,
		},
		"abuse": map[string]any{
			"mild_review_count": kInt,
		},
		"politics": map[string]any{
			"topic_review_count": kInt,
		},
		"reporting": map[string]any{
			"labels": kStrings,
		},
		"notice": map[string]any{
			"labels": kStrings,
		},
		"pii": map[string]any{
			"review_kinds":       kStrings,
			"exempt_group_kinds": kStrings,
			"phone_review_count": kInt,
		},
		"discipline": map[string]any{
			"remove_after_violations": kInt,
			"remove_after_ads":        kInt,
			"warn_after_violations":   kInt,
		},
		"custom": kObject,
		// conversation: split-message joining, cross-group floods and
		// sender velocity (conversation.rego; Go reads split and the
		// flood fingerprint settings, see ConversationSettings).
		"conversation": map[string]any{
			"split": map[string]any{
				"max_chars":       kInt,
				"max_gap_seconds": kInt,
				"max_messages":    kInt,
			},
			"flood": map[string]any{
				"min_chars":           kInt,
				"window_seconds":      kInt,
				"similarity":          kProb,
				"review_groups":       kBucket,
				"block_groups":        kBucket,
				"same_sender_groups":  kBucket,
				"model_score":         kProb,
				"exempt_verified_org": kBool,
				"label":               kString,
			},
			"velocity": map[string]any{
				"sender_group_review": kInt,
				"sender_review":       kInt,
				"steps":               kSteps,
				"exempt_verified_org": kBool,
				"label":               kString,
			},
		},
		// model: per model label (models/<label>.mgm), what its score
		// does. Thresholds are probabilities; a missing one is off.
		"model": mapOf{map[string]any{
			"label":                    kString,
			"review?":                  kProb,
			"block?":                   kProb,
			"review_with_signal?":      kProb,
			"signals?":                 kStrings,
			"signals_unless?":          kStrings,
			"review_with_weak_signal?": kProb,
			"weak_signals?":            kStrings,
			"review_with_contact?":     kProb,
			"contact_label?":           kString,
			// A kind model names what another model flagged: when the
			// model kind_of names fires and this score is at least kind,
			// this model's label is added.
			"kind_of?": kString,
			"kind?":    kProb,
			// kind_cues: per taxonomy label, lexicon subcategories
			// (label.sub) too weak to flag anything that name the kind of a
			// message this model flagged (porn.escort_person → porn).
			"kind_cues?": mapOf{kStrings},
			// review_with_cue: a score at or above it together with one
			// of kind_cues reviews with the cue's label.
			"review_with_cue?": kProb,
			// kind_cue_count: per label, how many distinct cue terms
			// name the kind (default 1).
			"kind_cue_count?": mapOf{kInt},
			// Scores below floor reach the policies as 0 (default: the
			// model's lowest threshold here); a custom rule that reads a
			// score below every threshold needs it lowered.
			"floor?": kProb,
		}},
	},
}

// parseTunables decodes and validates data.json. It returns the document for
// OPA's store, the new-account threshold Go needs to bucket account age, and
// problems located by line.
func parseTunables(file string, src []byte) (map[string]any, int, []Problem) {
	lines, err := keyLines(src)
	if err != nil {
		return nil, 0, []Problem{{File: file, Line: lineOf(src, jsonErrOffset(err, src)), Message: "invalid JSON: " + err.Error()}}
	}
	var doc any
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, 0, []Problem{{File: file, Line: lineOf(src, jsonErrOffset(err, src)), Message: "invalid JSON: " + err.Error()}}
	}
	var problems []Problem
	checkShape(file, lines, "", doc, tunablesSchema, true, &problems)
	if len(problems) == 0 {
		checkKinds(file, lines, doc, &problems)
	}
	if len(problems) > 0 {
		return nil, 0, problems
	}
	// Re-decode with plain numbers for the store.
	var data map[string]any
	if err := json.Unmarshal(src, &data); err != nil {
		return nil, 0, []Problem{{File: file, Line: 1, Message: "invalid JSON: " + err.Error()}}
	}
	fillDefaults(data, shippedTunables(), tunablesSchema)
	days := int(data["tunables"].(map[string]any)["new_account_days"].(float64))
	return data, days, nil
}

// checkKinds checks that a kind model refines another model entry and
// gives its threshold: a kind_of that names nothing would silently never
// fire.
func checkKinds(file string, lines map[string]int, doc any, out *[]Problem) {
	tun, _ := doc.(map[string]any)["tunables"].(map[string]any)
	mod, _ := tun["model"].(map[string]any)
	names := make([]string, 0, len(mod))
	for k := range mod {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		o, _ := mod[name].(map[string]any)
		of, hasOf := o["kind_of"].(string)
		_, hasKind := o["kind"]
		path := "tunables.model." + name
		switch {
		case hasOf && !hasKind:
			*out = append(*out, Problem{File: file, Line: max(lines[path+".kind_of"], 1),
				Message: fmt.Sprintf("%s.kind_of needs %s.kind (the score at which the label is added)", path, path)})
		case hasKind && !hasOf:
			*out = append(*out, Problem{File: file, Line: max(lines[path+".kind"], 1),
				Message: fmt.Sprintf("%s.kind needs %s.kind_of (the model whose flags it names)", path, path)})
		case hasOf && (of == name || mod[of] == nil):
			*out = append(*out, Problem{File: file, Line: max(lines[path+".kind_of"], 1),
				Message: fmt.Sprintf("%s.kind_of is %q: want another entry of tunables.model", path, of)})
		}
	}
}

// shippedTunables is the embedded data.json. A key an operator's data.json
// lacks takes its shipped value, so a data.json written for an older
// release keeps loading when a release adds a tunable; a misspelt key is
// still an error (unknown key).
var shippedTunables = sync.OnceValue(func() map[string]any {
	src, err := fs.ReadFile(Default, DataFile)
	if err != nil {
		return nil
	}
	var d map[string]any
	if json.Unmarshal(src, &d) != nil {
		return nil
	}
	return d
})

// lookup finds the value at a dotted path.
func lookup(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// fillDefaults copies keys of the schema that dst lacks from def.
func fillDefaults(dst, def map[string]any, schema map[string]any) {
	for k, sub := range schema {
		dv, ok := def[k]
		if !ok {
			continue
		}
		cur, have := dst[k]
		if !have {
			dst[k] = dv
			continue
		}
		if subSchema, ok := sub.(map[string]any); ok {
			cm, ok1 := cur.(map[string]any)
			dm, ok2 := dv.(map[string]any)
			if ok1 && ok2 {
				fillDefaults(cm, dm, subSchema)
			}
		}
	}
}

// checkShape checks v against schema. With defaults, a missing key that the
// shipped data.json has is fine (fillDefaults supplies it); inside an
// operator-keyed map (mapOf) there is no shipped counterpart to fall back
// on, so every required key must be there.
func checkShape(file string, lines map[string]int, path string, v any, schema any, defaults bool, out *[]Problem) {
	line := lines[path]
	if line == 0 {
		line = 1
	}
	bad := func(format string, args ...any) {
		*out = append(*out, Problem{File: file, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	name := path
	if name == "" {
		name = "top level"
	}
	switch s := schema.(type) {
	case mapOf:
		obj, ok := v.(map[string]any)
		if !ok {
			bad("%s must be an object, got %s", name, jsonKind(v))
			return
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !mapKeyRe.MatchString(k) {
				*out = append(*out, Problem{File: file, Line: max(lines[join(path, k)], 1),
					Message: fmt.Sprintf("%s: key %q must be lower-case letters, digits and _ (a model or verdict label)", name, k)})
				continue
			}
			checkShape(file, lines, join(path, k), obj[k], s.elem, false, out)
		}
	case map[string]any:
		obj, ok := v.(map[string]any)
		if !ok {
			bad("%s must be an object, got %s", name, jsonKind(v))
			return
		}
		keys := make([]string, 0, len(s))
		for k := range s {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, sk := range keys {
			k, optional := strings.CutSuffix(sk, "?")
			sub, ok := obj[k]
			if !ok {
				if optional {
					continue
				}
				if _, shipped := lookup(shippedTunables(), join(path, k)); shipped && defaults {
					continue // filled from the shipped data.json (fillDefaults)
				}
				bad("%s: missing key %q", name, k)
				continue
			}
			checkShape(file, lines, join(path, k), sub, s[sk], defaults, out)
		}
		extra := make([]string, 0)
		for k := range obj {
			_, req := s[k]
			_, opt := s[k+"?"]
			if !req && !opt {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		for _, k := range extra {
			*out = append(*out, Problem{File: file, Line: max(lines[join(path, k)], 1),
				Message: fmt.Sprintf("unknown key %q (operator settings go under tunables.custom)", join(path, k))})
		}
	case string:
		switch s {
		case kInt:
			n, ok := v.(json.Number)
			if !ok {
				bad("%s must be an integer, got %s", name, jsonKind(v))
				return
			}
			i, err := n.Int64()
			if err != nil || i < 0 {
				bad("%s must be a non-negative integer, got %s", name, n)
			}
		case kBool:
			if _, ok := v.(bool); !ok {
				bad("%s must be true or false, got %s", name, jsonKind(v))
			}
		case kStrings:
			arr, ok := v.([]any)
			if !ok {
				bad("%s must be a list of strings, got %s", name, jsonKind(v))
				return
			}
			for i, e := range arr {
				if _, ok := e.(string); !ok {
					bad("%s[%d] must be a string, got %s", name, i, jsonKind(e))
				}
			}
		case kProb:
			n, ok := v.(json.Number)
			if !ok {
				bad("%s must be a number between 0 and 1, got %s", name, jsonKind(v))
				return
			}
			f, err := n.Float64()
			if err != nil || f < 0 || f > 1 {
				bad("%s must be a number between 0 and 1, got %s", name, n)
				return
			}
			// Rego sees scores in steps of 0.01 (see input.go), so a
			// finer threshold would not mean what it says.
			if math.Abs(f*100-math.Round(f*100)) > 1e-9 {
				bad("%s: %s has more than two decimals (scores reach the policies in steps of 0.01)", name, n)
			}
		case kBucket:
			n, ok := v.(json.Number)
			if !ok {
				bad("%s must be an integer, got %s", name, jsonKind(v))
				return
			}
			i, err := n.Int64()
			if err != nil || i < 0 || i > int64(bucketBounds[len(bucketBounds)-1]) {
				bad("%s must be an integer from 0 to %d, got %s", name, bucketBounds[len(bucketBounds)-1], n)
				return
			}
			if Bucket(int(i)) != int(i) {
				bad("%s: %s is not a count the policies can see (counts above 10 reach them in steps: %s); use %d or %d",
					name, n, bucketList(), Bucket(int(i)), nextBucket(int(i)))
			}
		case kSteps:
			arr, ok := v.([]any)
			if !ok {
				bad("%s must be a list of integers, got %s", name, jsonKind(v))
				return
			}
			prev := int64(0)
			for i, e := range arr {
				n, ok := e.(json.Number)
				x, err := n.Int64()
				if !ok || err != nil || x <= prev || x > 1_000_000 {
					bad("%s[%d] must be an integer above the one before it (and above 0), got %v", name, i, e)
					return
				}
				prev = x
			}
		case kString:
			if _, ok := v.(string); !ok {
				bad("%s must be a string, got %s", name, jsonKind(v))
			}
		case kObject:
			if _, ok := v.(map[string]any); !ok {
				bad("%s must be an object, got %s", name, jsonKind(v))
			}
		}
	}
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "the number " + x.String()
	case string:
		return fmt.Sprintf("the string %q", x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// keyLines maps each object key path ("tunables.ads.promo_review_count") to
// the line it is written on, so shape errors point at the offending line.
func keyLines(src []byte) (map[string]int, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	lines := map[string]int{}
	type frame struct {
		path  string
		isObj bool
		key   bool // next string token in this object is a key
	}
	var stack []frame
	cur := func() string {
		if len(stack) == 0 {
			return ""
		}
		return stack[len(stack)-1].path
	}
	pendingKey := ""
	for {
		off := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return lines, nil
		}
		if err != nil {
			return nil, err
		}
		if len(stack) > 0 && stack[len(stack)-1].isObj && stack[len(stack)-1].key {
			if k, ok := tok.(string); ok {
				pendingKey = join(cur(), k)
				// The key starts after any whitespace/comma before it.
				lines[pendingKey] = lineOf(src, skipSpace(src, int(off)))
				stack[len(stack)-1].key = false
				continue
			}
		}
		valuePath := cur()
		if len(stack) > 0 && stack[len(stack)-1].isObj {
			valuePath = pendingKey
			stack[len(stack)-1].key = true
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{path: valuePath, isObj: true, key: true})
		case json.Delim('['):
			stack = append(stack, frame{path: valuePath})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].isObj {
				stack[len(stack)-1].key = true
			}
		}
	}
}

func skipSpace(src []byte, off int) int {
	for off < len(src) && strings.IndexByte(" \t\r\n,:", src[off]) >= 0 {
		off++
	}
	return off
}

func lineOf(src []byte, off int) int {
	if off > len(src) {
		off = len(src)
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(src[:off], []byte("\n")) + 1
}

func jsonErrOffset(err error, src []byte) int {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return int(se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return int(te.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return len(src)
	}
	return 0
}

// modelTunables extracts data.tunables.model from a validated document.
func modelTunables(data map[string]any) map[string]ModelTunables {
	out := map[string]ModelTunables{}
	tun, _ := data["tunables"].(map[string]any)
	mod, _ := tun["model"].(map[string]any)
	for name, v := range mod {
		o, _ := v.(map[string]any)
		num := func(k string) float64 { f, _ := o[k].(float64); return f }
		strs := func(k string) []string {
			var out []string
			sl, _ := o[k].([]any)
			for _, s := range sl {
				if str, ok := s.(string); ok {
					out = append(out, str)
				}
			}
			return out
		}
		mt := ModelTunables{Review: num("review"), Block: num("block"), ReviewWithSignal: num("review_with_signal"),
			Signals: strs("signals"), ReviewWithWeakSignal: num("review_with_weak_signal"), WeakSignals: strs("weak_signals"),
			ReviewWithContact: num("review_with_contact"), Kind: num("kind")}
		// The schema types every threshold as a probability and nothing
		// else of an entry as a number: a new tier needs no change here.
		for k, v := range o {
			if f, ok := v.(float64); ok && k != "floor" {
				mt.Thresholds = append(mt.Thresholds, f)
			}
		}
		mt.KindOf, _ = o["kind_of"].(string)
		mt.Floor, mt.HasFloor = o["floor"].(float64)
		mt.Label, _ = o["label"].(string)
		out[name] = mt
	}
	return out
}
