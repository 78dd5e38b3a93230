package api

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/go-chi/chi/v5"
)

// CodeInvalidFile: an uploaded policy or lexicon failed to compile, lint or
// pass its tests; details list the problems.
const CodeInvalidFile = "invalid_file"

const (
	kindPolicy  = "policy"
	kindLexicon = "lexicon"
)

// fileName allows plain names only: no separators, no leading dot, so an
// upload can never leave the watched directory.
var fileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

var allowedExt = map[string][]string{
	kindPolicy:  {".rego", ".json"},
	kindLexicon: {".txt"},
}

func validFileName(kind, name string) error {
	if !fileName.MatchString(name) || strings.Contains(name, "..") {
		return fmt.Errorf("file name %q: use letters, digits, '.', '_' and '-' only (no paths)", name)
	}
	for _, ext := range allowedExt[kind] {
		if strings.HasSuffix(name, ext) {
			return nil
		}
	}
	return fmt.Errorf("file name %q: a %s file must end in %s", name, kind, strings.Join(allowedExt[kind], " or "))
}

// RevisionResponse is GET /v1/admin/revision.
type RevisionResponse struct {
	Policy          string  `json:"policy"`
	Lexicon         string  `json:"lexicon"`
	LastReloadError *string `json:"last_reload_error"`
	PolicyDir       string  `json:"policy_dir,omitempty"`
	LexiconDir      string  `json:"lexicon_dir,omitempty"`
	// Uploads says which kinds of file an upload can replace: none when
	// the gateway serves the files embedded in its binary.
	Uploads Uploads `json:"uploads"`
}

// Uploads says whether policy and lexicon uploads are possible.
type Uploads struct {
	Policy  bool `json:"policy"`
	Lexicon bool `json:"lexicon"`
}

func (s *Server) revision() RevisionResponse {
	rev := s.cfg.Engine.Revision()
	out := RevisionResponse{Policy: rev.Policy, Lexicon: rev.Lexicon, PolicyDir: s.cfg.PolicyDir, LexiconDir: s.cfg.LexiconDir,
		Uploads: Uploads{Policy: s.cfg.PolicyDir != "", Lexicon: s.cfg.LexiconDir != ""}}
	if err := s.cfg.Engine.LastError(); err != nil {
		msg := err.Error()
		out.LastReloadError = &msg
	}
	return out
}

func (s *Server) adminRevision(w http.ResponseWriter, _ *http.Request) {
	WriteJSON(w, http.StatusOK, s.revision())
}

// FileLister lists the policy and lexicon files the serving engine was
// built from (internal/screen.Screener implements it).
type FileLister interface {
	Files(kind string) map[string][]byte
}

// ServingFile is one file of the serving rules.
type ServingFile struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Bytes  int    `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// FilesResponse is GET /v1/admin/files.
type FilesResponse struct {
	Files   []ServingFile `json:"files"`
	Uploads Uploads       `json:"uploads"`
}

func (s *Server) files() (FileLister, bool) {
	fl, ok := s.cfg.Engine.(FileLister)
	return fl, ok
}

// adminFiles lists the files of the serving engine, so an admin sees
// (and diffs against) the rules that decide now.
func (s *Server) adminFiles(w http.ResponseWriter, _ *http.Request) {
	out := FilesResponse{Files: []ServingFile{}, Uploads: s.revision().Uploads}
	if fl, ok := s.files(); ok {
		for _, kind := range []string{kindPolicy, kindLexicon} {
			fs := fl.Files(kind)
			names := make([]string, 0, len(fs))
			for n := range fs {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				sum := sha256.Sum256(fs[n])
				out.Files = append(out.Files, ServingFile{Kind: kind, Name: n, Bytes: len(fs[n]), SHA256: hex.EncodeToString(sum[:])})
			}
		}
	}
	WriteJSON(w, http.StatusOK, out)
}

// adminFile is one serving file's text.
func (s *Server) adminFile(w http.ResponseWriter, r *http.Request) {
	kind, name := chi.URLParam(r, "kind"), chi.URLParam(r, "file")
	if kind != kindPolicy && kind != kindLexicon {
		WriteError(w, http.StatusBadRequest, CodeBadRequest, "kind must be policy or lexicon")
		return
	}
	fl, ok := s.files()
	var b []byte
	if ok {
		b, ok = fl.Files(kind)[name]
	}
	if !ok {
		WriteError(w, http.StatusNotFound, CodeNotFound, "no such "+kind+" file in the serving engine")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}

// UploadResponse answers a successful upload.
type UploadResponse struct {
	File     string           `json:"file"`
	Kind     string           `json:"kind"`
	Revision RevisionResponse `json:"revision"`
}

func (s *Server) adminUpload(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := chi.URLParam(r, "file")
		if err := validFileName(kind, name); err != nil {
			WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
			return
		}
		dir, what := s.cfg.PolicyDir, "policies"
		if kind == kindLexicon {
			dir, what = s.cfg.LexiconDir, "lexicons"
		}
		if dir == "" {
			WriteError(w, http.StatusConflict, CodeConflict,
				fmt.Sprintf("this gateway serves the %s built into its binary, so there is no folder to upload into; start it with --%s-dir DIR to edit them", what, kind))
			return
		}
		body, aerr := readBody(w, r, s.cfg.MaxUploadBytes)
		if aerr != nil {
			aerr.write(w)
			return
		}
		s.uploadMu.Lock()
		defer s.uploadMu.Unlock()
		if err := s.cfg.Engine.TryFile(r.Context(), kind, name, body); err != nil {
			s.m.ReloadFailed()
			s.log.Warn("upload rejected", "kind", kind, "file", name, "err", err)
			WriteErrorDetails(w, http.StatusUnprocessableEntity, CodeInvalidFile,
				fmt.Sprintf("%s %s rejected; the serving engine is unchanged", kind, name), problems(err))
			return
		}
		path := filepath.Join(dir, name)
		old, readErr := os.ReadFile(path)
		existed := readErr == nil
		if err := writeAtomic(path, body); err != nil {
			s.log.Error("upload write failed", "file", path, "err", err)
			WriteError(w, http.StatusInternalServerError, CodeInternal, "writing the file failed")
			return
		}
		if err := s.cfg.Engine.Reload(r.Context()); err != nil {
			// TryFile passed, so this means the directory changed under us;
			// put the old file back so a restart serves what runs now.
			if existed {
				_ = writeAtomic(path, old)
			} else {
				_ = os.Remove(path)
			}
			_ = s.cfg.Engine.Reload(r.Context()) // the engine's OnReload counts the failure
			WriteErrorDetails(w, http.StatusUnprocessableEntity, CodeInvalidFile,
				fmt.Sprintf("reload with %s failed; the file was reverted", name), problems(err))
			return
		}
		s.m.SetRevision(s.cfg.Engine.Revision())
		s.log.Info("upload installed", "kind", kind, "file", name, "policy", s.cfg.Engine.Revision().Policy, "lexicon", s.cfg.Engine.Revision().Lexicon)
		WriteJSON(w, http.StatusOK, UploadResponse{File: name, Kind: kind, Revision: s.revision()})
	}
}

// problems turns an engine error into a list for the error details. Errors
// in the tree that carry a Problems slice (policies.LoadError and friends,
// each problem formatted file:line: message) are listed one entry per
// problem; otherwise one entry per line of the message.
func problems(err error) []string {
	if out := structured(err, 0); len(out) > 0 {
		return out
	}
	var out []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func structured(err error, depth int) []string {
	if err == nil || depth > 8 {
		return nil
	}
	v := reflect.ValueOf(err)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		if f := v.FieldByName("Problems"); f.IsValid() && f.Kind() == reflect.Slice && f.Len() > 0 {
			out := make([]string, 0, f.Len())
			for i := 0; i < f.Len(); i++ {
				out = append(out, describe(f.Index(i)))
			}
			return out
		}
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		var out []string
		for _, e := range u.Unwrap() {
			out = append(out, structured(e, depth+1)...)
		}
		return out
	case interface{ Unwrap() error }:
		return structured(u.Unwrap(), depth+1)
	}
	return nil
}

func describe(p reflect.Value) string {
	if p.CanInterface() {
		if s, ok := p.Interface().(fmt.Stringer); ok {
			return s.String()
		}
		if e, ok := p.Interface().(error); ok {
			return e.Error()
		}
	}
	if p.CanAddr() && p.Addr().CanInterface() {
		if s, ok := p.Addr().Interface().(fmt.Stringer); ok {
			return s.String()
		}
	}
	if p.Kind() == reflect.Struct {
		file, line, msg := p.FieldByName("File"), p.FieldByName("Line"), p.FieldByName("Message")
		if file.IsValid() && line.IsValid() && msg.IsValid() {
			return fmt.Sprintf("%v:%v: %v", file.Interface(), line.Interface(), msg.Interface())
		}
	}
	return fmt.Sprintf("%+v", p.Interface())
}

// writeAtomic writes via a temp file in the same directory, fsyncs and
// renames, so the watcher never sees a half-written file.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return fmt.Errorf("api: upload: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("api: upload: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
