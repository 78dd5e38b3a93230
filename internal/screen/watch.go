package screen

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch reloads the engine when the policy, lexicon or model folders change, until
// ctx is done. It watches the folders, never single files: editors save by
// writing a temporary file and renaming it over the original (a watch on the
// file would follow the old inode), and Kubernetes updates a ConfigMap volume
// by atomically re-pointing the hidden ..data symlink, so the visible files
// never change, only what they resolve to. The parent folders are watched
// too, so a folder that is itself a symlink, or is replaced, is re-resolved.
// Bursts of events are debounced into one reload; a reload that fails keeps
// the old engine (see Reload).
func (s *Screener) Watch(ctx context.Context) error {
	var dirs []string
	for _, d := range []string{s.cfg.PolicyDir, s.cfg.LexiconDir, s.cfg.ModelDir} {
		if d == "" || (d == s.cfg.ModelDir && s.cfg.NoModels) {
			continue
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return fmt.Errorf("screen: watch %s: %w", d, err)
		}
		dirs = append(dirs, abs)
	}
	if len(dirs) == 0 { // embedded defaults never change
		<-ctx.Done()
		return nil
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("screen: watch: %w", err)
	}
	defer w.Close()

	// resolved[dir] is the real folder currently watched for dir.
	resolved := map[string]string{}
	parents := map[string]bool{}
	for _, d := range dirs {
		p := filepath.Dir(d)
		if !parents[p] {
			if err := w.Add(p); err != nil {
				s.log.Warn("screen: cannot watch parent folder; folder replacement will not be noticed", "dir", p, "err", err)
			}
			parents[p] = true
		}
	}
	resolve := func() {
		for _, d := range dirs {
			real, err := filepath.EvalSymlinks(d)
			if err != nil {
				real = "" // gone for now; the parent watch sees it come back
			}
			if real == resolved[d] {
				continue
			}
			if old := resolved[d]; old != "" && !sharedWatch(resolved, d, old) {
				_ = w.Remove(old) // may already be gone with the folder
			}
			resolved[d] = ""
			if real == "" {
				continue
			}
			if err := w.Add(real); err != nil {
				s.log.Warn("screen: cannot watch folder", "dir", d, "err", err)
				continue
			}
			resolved[d] = real
		}
	}
	resolve()
	for _, d := range dirs {
		if resolved[d] == "" {
			return fmt.Errorf("screen: watch %s: folder missing or unreadable", d)
		}
	}

	// Files changed between the engine's build and the watch registering
	// would otherwise go unnoticed until the next event: check once, after
	// the debounce so a write in progress settles (a no-op when nothing
	// changed).
	timer := time.NewTimer(s.cfg.Debounce)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("screen: watch: event channel closed")
			}
			// A bare permission change (touch, chmod) changes no content.
			if ev.Op == fsnotify.Chmod {
				continue
			}
			timer.Reset(s.cfg.Debounce)
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("screen: watch: error channel closed")
			}
			s.log.Warn("screen: watch error", "err", err)
			timer.Reset(s.cfg.Debounce) // events may have been lost (overflow)
		case <-timer.C:
			resolve()
			// Reload logs and records its own error; keep watching.
			_ = s.Reload(ctx)
		}
	}
}

// sharedWatch reports whether a folder other than d still resolves to real
// (policies and lexicons in one folder), so its watch must stay.
func sharedWatch(resolved map[string]string, d, real string) bool {
	for other, r := range resolved {
		if other != d && r == real {
			return true
		}
	}
	return false
}
