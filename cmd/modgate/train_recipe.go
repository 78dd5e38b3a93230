package main

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/modgate/modgate/internal/screen"
	"github.com/modgate/modgate/models"
)

// recipe is everything `modgate train` needs to rebuild one model: the
// label, the feature config, the optimiser settings and the inputs. The
// shipped models each have one next to them (models/<label>.recipe), so
// anyone can retrain them with one command.
//
//	# comment
//	label        abuse
//	seed         1
//	orders       1 2 3
//	buckets_log2 19
//	boundary     true
//	fold_digits  true
//	extras       detector.phone detector.url
//	l2           1e-5 3e-6          # candidates; the best on dev wins
//	encoding     i8
//	dev_share    0.2                # held out from inputs without a split
//	max_iter     300
//	note         "free text for the model card"
//	input PATH [format=F] [weight=W] [pos_weight=W] [positive=a|b] [skip=c] [dev=share|split|none|all]
//	           [all=negative|positive] [restore=digits] [max=N] [name=N] [source="…"] [licence="…"]
//
// Input paths are relative to the recipe's folder.
type recipe struct {
	Label    string
	Seed     uint64
	Features models.Features
	L2       []float64
	Encoding string
	DevShare float64
	MaxIter  int
	Inputs   []trainInput
	Notes    []string // free text for the model card (note "…" lines)
	File     string   // where it was read from
}

type trainInput struct {
	Path     string
	Format   string
	Weight   float64
	PosScale float64  // extra factor on positive rows (pos_weight=)
	Positive []string // label-format rows with one of these labels are positive
	Skip     []string // label-format rows with one of these labels are dropped
	Dev      string   // share (default), split (the corpus's dev rows), none, all
	Restore  bool     // restore digits the corpus masked as x
	All      string   // "negative"/"positive": every row is of that class
	Max      int
	Name     string
	Source   string
	Licence  string
	Line     int // recipe line
}

// Dev modes of an input.
const (
	devShare = "share"
	devSplit = "split"
	devNone  = "none"
	devAll   = "all"
)

func defaultRecipe() recipe {
	return recipe{
		Seed: 1,
		Features: models.Features{Orders: []int{1, 2, 3}, BucketsLog2: 19, Boundary: true, FoldDigits: true,
			Hash: models.HashFNV1aFib},
		L2:       []float64{1e-5},
		Encoding: models.EncI8,
		DevShare: 0.2,
		MaxIter:  300,
	}
}

// parseRecipe reads a recipe; errors name file:line.
func parseRecipe(r io.Reader, file string) (*recipe, error) {
	rc := defaultRecipe()
	rc.File = file
	dir := filepath.Dir(file)
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		toks, err := splitFields(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", file, line, err)
		}
		if len(toks) == 0 {
			continue
		}
		key, args := toks[0], toks[1:]
		bad := func(format string, a ...any) error {
			return fmt.Errorf("%s:%d: %s: %s", file, line, key, fmt.Sprintf(format, a...))
		}
		one := func() (string, error) {
			if len(args) != 1 {
				return "", bad("want one value, got %d", len(args))
			}
			return args[0], nil
		}
		switch key {
		case "label":
			v, err := one()
			if err != nil {
				return nil, err
			}
			if !models.LabelRe.MatchString(v) {
				return nil, bad("%q: want lower-case letters, digits and _", v)
			}
			rc.Label = v
		case "seed":
			v, err := one()
			if err != nil {
				return nil, err
			}
			if rc.Seed, err = strconv.ParseUint(v, 10, 64); err != nil {
				return nil, bad("%v", err)
			}
		case "orders":
			rc.Features.Orders = nil
			for _, a := range args {
				n, err := strconv.Atoi(a)
				if err != nil {
					return nil, bad("%v", err)
				}
				rc.Features.Orders = append(rc.Features.Orders, n)
			}
		case "buckets_log2", "max_iter":
			v, err := one()
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, bad("%v", err)
			}
			if key == "max_iter" {
				rc.MaxIter = n
			} else {
				rc.Features.BucketsLog2 = n
			}
		case "boundary", "fold_digits":
			v, err := one()
			if err != nil {
				return nil, err
			}
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, bad("%v", err)
			}
			if key == "boundary" {
				rc.Features.Boundary = b
			} else {
				rc.Features.FoldDigits = b
			}
		case "note":
			rc.Notes = append(rc.Notes, strings.Join(args, " "))
		case "extras":
			rc.Features.Extras = append([]string(nil), args...)
		case "l2":
			rc.L2 = nil
			for _, a := range args {
				f, err := strconv.ParseFloat(a, 64)
				if err != nil || f < 0 {
					return nil, bad("%q: want a number ≥ 0", a)
				}
				rc.L2 = append(rc.L2, f)
			}
			if len(rc.L2) == 0 {
				return nil, bad("want at least one value")
			}
		case "encoding":
			v, err := one()
			if err != nil {
				return nil, err
			}
			if v != models.EncF32 && v != models.EncI8 {
				return nil, bad("%q: want f32 or i8", v)
			}
			rc.Encoding = v
		case "dev_share":
			v, err := one()
			if err != nil {
				return nil, err
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f <= 0 || f >= 1 {
				return nil, bad("%q: want a number between 0 and 1", v)
			}
			rc.DevShare = f
		case "input":
			if len(args) == 0 {
				return nil, bad("want a path")
			}
			in := trainInput{Path: args[0], Format: screen.FormatAuto, Weight: 1, PosScale: 1, Dev: devShare, Line: line}
			if !filepath.IsAbs(in.Path) {
				in.Path = filepath.Join(dir, in.Path)
			}
			in.Name = strings.TrimSuffix(filepath.Base(in.Path), filepath.Ext(in.Path))
			for _, kv := range args[1:] {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return nil, bad("%q: want key=value", kv)
				}
				switch k {
				case "format":
					in.Format = v
				case "weight":
					f, err := strconv.ParseFloat(v, 64)
					if err != nil || !(f > 0) {
						return nil, bad("weight %q: want a number > 0", v)
					}
					in.Weight = f
				case "pos_weight":
					f, err := strconv.ParseFloat(v, 64)
					if err != nil || !(f > 0) {
						return nil, bad("pos_weight %q: want a number > 0", v)
					}
					in.PosScale = f
				case "positive":
					in.Positive = strings.Split(v, "|")
				case "skip":
					in.Skip = strings.Split(v, "|")
				case "dev":
					switch v {
					case devShare, devSplit, devNone, devAll:
					default:
						return nil, bad("dev=%q: want share, split, none or all", v)
					}
					in.Dev = v
				case "all":
					if v != "negative" && v != "positive" {
						return nil, bad("all=%q: want negative or positive", v)
					}
					in.All = v
				case "restore":
					if v != "digits" {
						return nil, bad("restore=%q: only digits is known", v)
					}
					in.Restore = true
				case "max":
					n, err := strconv.Atoi(v)
					if err != nil || n <= 0 {
						return nil, bad("max=%q: want a positive integer", v)
					}
					in.Max = n
				case "name":
					in.Name = v
				case "source":
					in.Source = v
				case "licence", "license":
					in.Licence = v
				default:
					return nil, bad("unknown option %q", k)
				}
			}
			rc.Inputs = append(rc.Inputs, in)
		default:
			return nil, fmt.Errorf("%s:%d: unknown key %q", file, line, key)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if rc.Label == "" {
		return nil, fmt.Errorf("%s: no label line", file)
	}
	if len(rc.Inputs) == 0 {
		return nil, fmt.Errorf("%s: no input lines", file)
	}
	if err := rc.Features.Validate(); err != nil {
		return nil, fmt.Errorf("%s: features: %v", file, err)
	}
	if err := screen.CheckExtras(rc.Features.Extras); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	return &rc, nil
}

// splitFields splits a recipe line into fields: whitespace separates,
// double quotes group (key="two words"), # starts a comment.
func splitFields(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in, quoted, has := false, false, false
	for _, r := range s {
		switch {
		case quoted:
			if r == '"' {
				quoted = false
			} else {
				cur.WriteRune(r)
			}
		case r == '"':
			quoted, has = true, true
		case r == '#' && !in:
			goto done
		case r == ' ' || r == '\t':
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
			in = false
			continue
		default:
			cur.WriteRune(r)
			has = true
		}
		in = true
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote")
	}
done:
	if has {
		out = append(out, cur.String())
	}
	return out, nil
}
