package screen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"github.com/modgate/modgate/models"
)

// The last good engine: every engine built from the watched folders (so it
// compiled and passed its policy tests) is saved under Config.LastGoodDir.
// A restart whose folders hold a broken file then starts from that saved
// set instead of refusing to start, reports the file:line error and says it
// is degraded, and swaps to the folders as soon as they build again. This
// is OPA's rule for bundles: never activate a broken one, never go down
// because of one.
//
// Layout: LastGoodDir/current names the snapshot folder (snap-<hash>),
// which holds policies/, lexicons/ and models/ (only the parts that come
// from folders; embedded defaults come from the binary) and manifest.json.

const (
	lastGoodPointer  = "current"
	lastGoodManifest = "manifest.json"
)

type lastGoodManifestV1 struct {
	Hash       string    `json:"hash"`
	SavedAt    time.Time `json:"saved_at"`
	Policy     string    `json:"policy_revision"`
	Lexicon    string    `json:"lexicon_revision"`
	Model      string    `json:"model_revision,omitempty"`
	PolicyDir  string    `json:"policy_dir,omitempty"`
	LexiconDir string    `json:"lexicon_dir,omitempty"`
	ModelDir   string    `json:"model_dir,omitempty"`
}

// saveLastGood persists the snapshot e was built from (best effort: a
// failure is logged, serving goes on).
func (s *Screener) saveLastGood(sn snapshot, e *Engine) {
	dir := s.cfg.LastGoodDir
	if dir == "" || (s.cfg.PolicyDir == "" && s.cfg.LexiconDir == "" && s.cfg.ModelDir == "") {
		return
	}
	if err := writeLastGood(dir, sn, e, s.cfg.PolicyDir, s.cfg.LexiconDir, s.cfg.ModelDir); err != nil {
		s.log.Warn("screen: saving the last good engine failed; a restart with broken files will not be able to fall back", "err", err)
	}
}

func writeLastGood(dir string, sn snapshot, e *Engine, policyDir, lexiconDir, modelDir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("screen: last good: %w", err)
	}
	name := "snap-" + e.source[:24]
	if cur, err := os.ReadFile(filepath.Join(dir, lastGoodPointer)); err == nil && strings.TrimSpace(string(cur)) == name {
		return nil // already saved
	}
	tmp, err := os.MkdirTemp(dir, "tmp-")
	if err != nil {
		return fmt.Errorf("screen: last good: %w", err)
	}
	defer os.RemoveAll(tmp) // gone after the rename; cleans up on failure
	parts := []struct {
		sub string
		on  bool
		fs  fstest.MapFS
	}{{"policies", policyDir != "", sn.policy}, {"lexicons", lexiconDir != "", sn.lexicon}, {"models", modelDir != "", sn.model}}
	for _, p := range parts {
		if !p.on {
			continue
		}
		d := filepath.Join(tmp, p.sub)
		if err := os.Mkdir(d, 0o750); err != nil {
			return fmt.Errorf("screen: last good: %w", err)
		}
		for n, f := range p.fs {
			if err := writeSynced(filepath.Join(d, n), f.Data); err != nil {
				return err
			}
		}
	}
	man, _ := json.MarshalIndent(lastGoodManifestV1{Hash: e.source, SavedAt: time.Now().UTC(), Policy: e.rev.Policy,
		Lexicon: e.rev.Lexicon, Model: e.rev.Model, PolicyDir: policyDir, LexiconDir: lexiconDir, ModelDir: modelDir}, "", "  ")
	if err := writeSynced(filepath.Join(tmp, lastGoodManifest), man); err != nil {
		return err
	}
	final := filepath.Join(dir, name)
	_ = os.RemoveAll(final)
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("screen: last good: %w", err)
	}
	// Point at it atomically, then drop older snapshots.
	ptr := filepath.Join(dir, lastGoodPointer)
	if err := writeSynced(ptr+".tmp", []byte(name+"\n")); err != nil {
		return err
	}
	if err := os.Rename(ptr+".tmp", ptr); err != nil {
		return fmt.Errorf("screen: last good: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	ents, _ := os.ReadDir(dir)
	for _, de := range ents {
		if de.IsDir() && de.Name() != name && (strings.HasPrefix(de.Name(), "snap-") || strings.HasPrefix(de.Name(), "tmp-")) {
			_ = os.RemoveAll(filepath.Join(dir, de.Name()))
		}
	}
	return nil
}

func writeSynced(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("screen: last good: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("screen: last good: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("screen: last good: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("screen: last good: %w", err)
	}
	return nil
}

// loadLastGood reads the saved snapshot; folder parts come from it, the
// embedded parts from the binary.
func (s *Screener) loadLastGood() (snapshot, lastGoodManifestV1, error) {
	var sn snapshot
	var man lastGoodManifestV1
	dir := s.cfg.LastGoodDir
	cur, err := os.ReadFile(filepath.Join(dir, lastGoodPointer))
	if err != nil {
		return sn, man, fmt.Errorf("screen: no last good engine in %s: %w", dir, err)
	}
	snapDir := filepath.Join(dir, strings.TrimSpace(string(cur)))
	b, err := os.ReadFile(filepath.Join(snapDir, lastGoodManifest))
	if err != nil {
		return sn, man, fmt.Errorf("screen: last good engine: %w", err)
	}
	if err := json.Unmarshal(b, &man); err != nil {
		return sn, man, fmt.Errorf("screen: last good engine manifest: %w", err)
	}
	// Start from what the configuration would read (embedded parts), then
	// replace the folder parts with the saved ones.
	emb := &Screener{cfg: s.cfg}
	emb.cfg.PolicyDir, emb.cfg.LexiconDir, emb.cfg.ModelDir = "", "", ""
	sn, err = emb.snapshot()
	if err != nil {
		return sn, man, err
	}
	if s.cfg.PolicyDir != "" {
		if sn.policy, err = readDir(filepath.Join(snapDir, "policies"), policyFile, 0); err != nil {
			return sn, man, fmt.Errorf("screen: last good policies: %w", err)
		}
	}
	if s.cfg.LexiconDir != "" {
		if sn.lexicon, err = readDir(filepath.Join(snapDir, "lexicons"), lexiconFile, 0); err != nil {
			return sn, man, fmt.Errorf("screen: last good lexicons: %w", err)
		}
	}
	if s.cfg.ModelDir != "" && !s.cfg.NoModels {
		if sn.model, err = readDir(filepath.Join(snapDir, "models"), modelFile, models.MaxFileBytes); err != nil {
			return sn, man, fmt.Errorf("screen: last good models: %w", err)
		}
	}
	return sn, man, nil
}

// startFromLastGood installs the saved engine after the first build from
// the folders failed with cause. It fails when there is none or it no
// longer builds (then the gateway cannot start, as before).
func (s *Screener) startFromLastGood(ctx context.Context, cause error) error {
	if s.cfg.LastGoodDir == "" {
		return cause
	}
	sn, man, err := s.loadLastGood()
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return cause
		}
		return errors.Join(cause, err)
	}
	e, err := s.build(ctx, sn)
	if err != nil {
		return errors.Join(cause, fmt.Errorf("screen: the last good engine saved %s no longer builds: %w", man.SavedAt.Format(time.RFC3339), err))
	}
	s.cur.Store(e)
	s.mu.Lock()
	s.fallback = fmt.Sprintf("serving the last good engine (policy %s, lexicon %s, model %s, saved %s): the watched files do not build",
		e.rev.Policy, e.rev.Lexicon, e.rev.Model, man.SavedAt.Format(time.RFC3339))
	s.lastErr, s.lastTry = cause, time.Now()
	s.mu.Unlock()
	s.log.Error("screen: the policy/lexicon files do not build; started from the last good engine instead", "err", cause,
		"policy", e.rev.Policy, "lexicon", e.rev.Lexicon, "saved_at", man.SavedAt)
	return nil
}

// Fallback describes why the serving engine is the saved last good one
// instead of the folders' ("" when it serves the folders).
func (s *Screener) Fallback() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fallback
}
