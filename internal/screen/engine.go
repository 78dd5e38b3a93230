package screen

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/filters"
	"github.com/modgate/modgate/lexicons"
	"github.com/modgate/modgate/models"
	"github.com/modgate/modgate/policies"
)

// Engine is one filter, one model set and one policy engine built together
// from one snapshot of the files. Immutable; safe for concurrent use.
type Engine struct {
	filter   *filters.Filter
	models   *models.Set
	policy   *policies.Engine
	rev      modgate.Revision
	source   string // hash of the snapshot it was built from
	loadedAt time.Time
	stale    []string // models trained under another normaliser
	// files are the policy and lexicon files it was built from (for the
	// admins' view of the serving rules).
	files map[string]fstest.MapFS
}

// Files returns the policy ("policy") or lexicon ("lexicon") files the
// serving engine was built from, by name.
func (s *Screener) Files(kind string) map[string][]byte {
	e := s.cur.Load()
	if e == nil {
		return nil
	}
	out := map[string][]byte{}
	for name, f := range e.files[kind] {
		out[name] = f.Data
	}
	return out
}

// StaleModels names the models trained under another text normaliser than
// this build's (see NormalizerFingerprint).
func (e *Engine) StaleModels() []string { return e.stale }

// Models is the engine's model set (empty when there are none).
func (e *Engine) Models() *models.Set { return e.models }

// Revision names the policy, lexicon and model sets of this engine.
func (e *Engine) Revision() modgate.Revision { return e.rev }

// Filter is the engine's filter (level 1, first half).
func (e *Engine) Filter() *filters.Filter { return e.filter }

// Policy is the engine's policy engine.
func (e *Engine) Policy() *policies.Engine { return e.policy }

// Kinds of files TryFile accepts.
const (
	KindPolicy  = "policy"
	KindLexicon = "lexicon"
	KindModel   = "model"
)

// ReloadError says why a new engine could not be built. Each part names the
// folder; the wrapped package errors name file:line inside it.
type ReloadError struct {
	PolicyDir, LexiconDir, ModelDir string // "" = embedded defaults
	Policy, Lexicon, Model          error
}

func (e *ReloadError) Error() string {
	var b strings.Builder
	b.WriteString("screen: engine not built")
	if e.Policy != nil {
		fmt.Fprintf(&b, "; policies in %s: %v", dirName(e.PolicyDir), e.Policy)
	}
	if e.Lexicon != nil {
		fmt.Fprintf(&b, "; lexicons in %s: %v", dirName(e.LexiconDir), e.Lexicon)
	}
	if e.Model != nil {
		fmt.Fprintf(&b, "; models in %s: %v", dirName(e.ModelDir), e.Model)
	}
	return b.String()
}

// Unwrap exposes both parts so errors.As finds *policies.LoadError.
func (e *ReloadError) Unwrap() []error {
	var errs []error
	if e.Policy != nil {
		errs = append(errs, e.Policy)
	}
	if e.Lexicon != nil {
		errs = append(errs, e.Lexicon)
	}
	if e.Model != nil {
		errs = append(errs, e.Model)
	}
	return errs
}

func dirName(d string) string {
	if d == "" {
		return "(embedded defaults)"
	}
	return d
}

// snapshot is the content of the policy and lexicon folders read once, so a
// build sees one consistent set even while files are being replaced.
type snapshot struct {
	policy, lexicon, model fstest.MapFS
}

// Which files each loader reads. Only the folder's top level counts: this
// skips Kubernetes' hidden ..data/..<timestamp> folders (their files are
// reached through the top-level symlinks) and Go/test fixtures that live in
// the repository's folders.
func policyFile(name string) bool {
	return strings.HasSuffix(name, ".rego") || name == policies.DataFile
}
func lexiconFile(name string) bool { return strings.HasSuffix(name, ".txt") }
func modelFile(name string) bool   { return strings.HasSuffix(name, models.Ext) }

// readDir reads the matching regular files at the top of dir, following
// symlinks. Hidden names (editor swap files, ..data) are skipped; a file that
// vanishes between listing and reading (an editor's rename dance) is skipped
// too, the next event triggers another reload.
func readDir(dir string, want func(string) bool, maxBytes int64) (fstest.MapFS, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	m := fstest.MapFS{}
	for _, de := range ents {
		name := de.Name()
		if strings.HasPrefix(name, ".") || !want(name) {
			continue
		}
		full := filepath.Join(dir, name)
		st, err := os.Stat(full)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		if !st.Mode().IsRegular() {
			continue
		}
		if maxBytes > 0 && st.Size() > maxBytes {
			// Refused before reading: a stray huge file must not cost
			// its size in memory on every reload.
			return nil, fmt.Errorf("%s: %d bytes, limit %d", name, st.Size(), maxBytes)
		}
		data, err := os.ReadFile(full)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, err
		}
		m[name] = &fstest.MapFile{Data: data, Mode: 0o444, ModTime: st.ModTime()}
	}
	return m, nil
}

// readFS copies the matching top-level files of an embedded FS.
func readFS(fsys fs.FS, want func(string) bool) (fstest.MapFS, error) {
	ents, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	m := fstest.MapFS{}
	for _, de := range ents {
		if de.IsDir() || !want(de.Name()) {
			continue
		}
		data, err := fs.ReadFile(fsys, de.Name())
		if err != nil {
			return nil, err
		}
		m[de.Name()] = &fstest.MapFile{Data: data, Mode: 0o444}
	}
	return m, nil
}

func (s *Screener) snapshot() (snapshot, error) {
	var sn snapshot
	var err error
	if s.cfg.PolicyDir != "" {
		sn.policy, err = readDir(s.cfg.PolicyDir, policyFile, 0)
	} else {
		sn.policy, err = readFS(policies.Default, policyFile)
	}
	if err != nil {
		return sn, fmt.Errorf("screen: read policies %s: %w", dirName(s.cfg.PolicyDir), err)
	}
	if s.cfg.LexiconDir != "" {
		sn.lexicon, err = readDir(s.cfg.LexiconDir, lexiconFile, 0)
	} else {
		sn.lexicon, err = readFS(lexicons.FS(), lexiconFile)
	}
	if err != nil {
		return sn, fmt.Errorf("screen: read lexicons %s: %w", dirName(s.cfg.LexiconDir), err)
	}
	switch {
	case s.cfg.NoModels:
		sn.model = fstest.MapFS{}
	case s.cfg.ModelDir != "":
		sn.model, err = readDir(s.cfg.ModelDir, modelFile, models.MaxFileBytes)
	default:
		sn.model, err = readFS(models.Default, modelFile)
	}
	if err != nil {
		return sn, fmt.Errorf("screen: read models %s: %w", dirName(s.cfg.ModelDir), err)
	}
	return sn, nil
}

// hash identifies the snapshot so a reload with nothing changed (an editor
// touching a file, a noisy parent folder) costs a read, not a rebuild.
func (sn snapshot) hash() string {
	h := sha256.New()
	for _, part := range []fstest.MapFS{sn.policy, sn.lexicon, sn.model} {
		names := make([]string, 0, len(part))
		for n := range part {
			names = append(names, n)
		}
		sort.Strings(names)
		var n8 [8]byte
		binary.BigEndian.PutUint64(n8[:], uint64(len(names)))
		h.Write(n8[:])
		for _, n := range names {
			binary.BigEndian.PutUint64(n8[:], uint64(len(n)))
			h.Write(n8[:])
			h.Write([]byte(n))
			binary.BigEndian.PutUint64(n8[:], uint64(len(part[n].Data)))
			h.Write(n8[:])
			h.Write(part[n].Data)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// build compiles a whole engine from a snapshot. Both halves are always
// attempted so one error report shows every problem.
func (s *Screener) build(ctx context.Context, sn snapshot) (*Engine, error) {
	rerr := &ReloadError{PolicyDir: s.cfg.PolicyDir, LexiconDir: s.cfg.LexiconDir, ModelDir: s.cfg.ModelDir}
	var f *filters.Filter
	lex, err := lexicons.LoadFS(sn.lexicon)
	if err == nil {
		f, err = filters.New(lex, filters.Options{Engine: s.cfg.Engine, MaxTextBytes: s.cfg.MaxTextBytes})
	}
	rerr.Lexicon = err
	ms, err := models.LoadFS(sn.model)
	if err == nil {
		if xerr := CheckExtras(ms.Extras()); xerr != nil {
			err = fmt.Errorf("models: %w", xerr)
		}
	}
	rerr.Model = err
	pe, err := policies.Load(ctx, sn.policy, policies.Options{SkipTests: s.cfg.SkipPolicyTests, NoMemo: s.cfg.NoMemo})
	rerr.Policy = err
	if rerr.Policy != nil || rerr.Lexicon != nil || rerr.Model != nil {
		return nil, rerr
	}
	return &Engine{
		filter:   f,
		models:   ms,
		policy:   pe,
		rev:      modgate.Revision{Policy: pe.Revision(), Lexicon: f.Revision(), Model: ms.Revision()},
		stale:    staleModels(ms),
		source:   sn.hash(),
		loadedAt: time.Now(),
		files:    map[string]fstest.MapFS{KindPolicy: sn.policy, KindLexicon: sn.lexicon},
	}, nil
}

// Reload reads the folders and, when they changed, builds a new engine and
// swaps it in. On failure the old engine keeps serving and the error is
// returned and kept for LastError.
func (s *Screener) Reload(ctx context.Context) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	err := s.reload(ctx)
	s.mu.Lock()
	s.lastErr, s.lastTry = err, time.Now()
	if err == nil {
		s.fallback = "" // the folders build: they serve now
	}
	s.mu.Unlock()
	if err != nil {
		s.log.Error("screen: reload failed; previous engine keeps serving", "err", err, "revision", s.Revision())
	}
	if s.cfg.OnReload != nil {
		s.cfg.OnReload(s.Revision(), err)
	}
	return err
}

func (s *Screener) reload(ctx context.Context) error {
	sn, err := s.snapshot()
	if err != nil {
		return err
	}
	old := s.cur.Load()
	if old != nil && old.source == sn.hash() {
		return nil
	}
	e, err := s.build(ctx, sn)
	if err != nil {
		return err
	}
	s.cur.Store(e)
	s.log.Info("screen: engine loaded", "policy", e.rev.Policy, "lexicon", e.rev.Lexicon, "model", e.rev.Model,
		"terms", e.filter.Len(), "models", strings.Join(e.models.Labels(), ","))
	if len(e.stale) > 0 {
		s.log.Warn("screen: models trained under another text normaliser; they still score, retrain them (modgate train models/*.recipe)",
			"models", strings.Join(e.stale, ","))
	}
	s.saveLastGood(sn, e)
	return nil
}

// TryFile builds, but does not install, an engine from the current folders
// with one file replaced or added, so an upload can be checked before it is
// written. It returns the build error (file:line) or nil.
func (s *Screener) TryFile(ctx context.Context, kind, name string, content []byte) error {
	if name == "" || name != path.Base(name) || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return fmt.Errorf("screen: invalid file name %q: want a plain file name", name)
	}
	sn, err := s.snapshot()
	if err != nil {
		return err
	}
	file := &fstest.MapFile{Data: content, Mode: 0o444, ModTime: time.Now()}
	switch kind {
	case KindPolicy:
		if !policyFile(name) {
			return fmt.Errorf("screen: policy file %q: want *.rego or %s", name, policies.DataFile)
		}
		sn.policy[name] = file
	case KindLexicon:
		if !lexiconFile(name) {
			return fmt.Errorf("screen: lexicon file %q: want *.txt", name)
		}
		sn.lexicon[name] = file
	case KindModel:
		if !modelFile(name) {
			return fmt.Errorf("screen: model file %q: want *%s", name, models.Ext)
		}
		sn.model[name] = file
	default:
		return fmt.Errorf("screen: unknown file kind %q (want %q, %q or %q)", kind, KindPolicy, KindLexicon, KindModel)
	}
	_, err = s.build(ctx, sn)
	return err
}
