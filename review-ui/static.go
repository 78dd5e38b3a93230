package reviewui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// staticFiles serves the embedded assets with strong ETags computed once at
// start (embed.FS has no modification times, so http.FileServer could not
// revalidate them).
type staticFiles struct {
	files map[string]staticFile
}

type staticFile struct {
	body  []byte
	gz    []byte // gzip of body, when that is smaller (text assets)
	etag  string
	ctype string
}

// types the assets use; the browser must never sniff a different one.
var staticTypes = map[string]string{
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
	".png":  "image/png",
	".md":   "text/plain; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
	".ico":  "image/x-icon",
	".json": "application/json",
}

func loadStatic(fsys fs.FS) (*staticFiles, error) {
	st := &staticFiles{files: map[string]staticFile{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		ct := staticTypes[path.Ext(p)]
		if ct == "" {
			ct = mime.TypeByExtension(path.Ext(p))
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		sum := sha256.Sum256(b)
		f := staticFile{body: b, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: ct}
		// Compressed once at start (best compression), not per request.
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if _, err := zw.Write(b); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if buf.Len() < len(b)*9/10 {
			f.gz = buf.Bytes()
		}
		st.files[p] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reviewui: load static assets: %w", err)
	}
	if _, ok := st.files["app.js"]; !ok {
		return nil, fmt.Errorf("reviewui: static assets: app.js missing")
	}
	return st, nil
}

func (st *staticFiles) serve(w http.ResponseWriter, r *http.Request) {
	i := strings.Index(r.URL.Path, "/static/")
	if i < 0 {
		writeError(w, http.StatusNotFound, "not_found", "no such asset")
		return
	}
	name := r.URL.Path[i+len("/static/"):]
	f, ok := st.files[name]
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no such asset")
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	body, etag := f.body, f.etag
	if f.gz != nil {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			body, etag = f.gz, strings.TrimSuffix(f.etag, `"`)+`-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	// Revalidate every time: a cheap 304, and a new binary's assets are
	// never mixed with an old page.
	h.Set("Cache-Control", "no-cache")
	if match := r.Header.Get("If-None-Match"); match != "" && match == etag {
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// acceptsGzip reports whether the client takes gzip (q > 0).
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		enc = strings.TrimSpace(enc)
		if !strings.EqualFold(enc, "gzip") && enc != "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		return q > 0
	}
	return false
}
