package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	"go.yaml.in/yaml/v3"
)

// Keys holds API keys as SHA-256 hashes: tenant keys for /v1/screen and
// /v1/reports, admin keys for /v1/admin. The plain keys are never kept.
type Keys struct {
	tenants []tenantKey
	admins  [][sha256.Size]byte
	// adminSessions, when set, lets a signed-in reviewer with the admin
	// role call /v1/admin with their session (the web UI's policy view)
	// instead of an admin key.
	adminSessions atomic.Pointer[func(http.Handler) http.Handler]
}

// SetAdminSessions installs the session authenticator /v1/admin falls back
// to when a request carries no admin key. mw must authenticate the session
// (with its CSRF check) and require the admin role.
func (k *Keys) SetAdminSessions(mw func(http.Handler) http.Handler) {
	if k != nil {
		k.adminSessions.Store(&mw)
	}
}

type tenantKey struct {
	hash   [sha256.Size]byte
	tenant string
}

// KeysFile is the keys file format (YAML or JSON):
//
//	tenants:
//	  - tenant: t1
//	    sha256: 9f86d0…   # hex SHA-256 of the key (preferred: `printf %s KEY | sha256sum`)
//	  - tenant: t2
//	    key: s3cret       # plain key, hashed at load
//	admin:
//	  - sha256: …
type KeysFile struct {
	Tenants []KeyEntry `yaml:"tenants" json:"tenants"`
	Admin   []KeyEntry `yaml:"admin" json:"admin"`
}

// KeyEntry is one key: exactly one of Key and SHA256.
type KeyEntry struct {
	Tenant string `yaml:"tenant" json:"tenant"`
	Key    string `yaml:"key" json:"key"`
	SHA256 string `yaml:"sha256" json:"sha256"`
}

// LoadKeysFile reads a keys file. Errors name the file and entry.
func (k *Keys) LoadKeysFile(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("api: keys file: %w", err)
	}
	var f KeysFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return fmt.Errorf("api: keys file %s: %w", path, err)
	}
	for i, e := range f.Tenants {
		if e.Tenant == "" {
			return fmt.Errorf("api: keys file %s: tenants[%d]: tenant is empty", path, i)
		}
		h, err := e.hash()
		if err != nil {
			return fmt.Errorf("api: keys file %s: tenants[%d]: %w", path, i, err)
		}
		k.tenants = append(k.tenants, tenantKey{hash: h, tenant: e.Tenant})
	}
	for i, e := range f.Admin {
		h, err := e.hash()
		if err != nil {
			return fmt.Errorf("api: keys file %s: admin[%d]: %w", path, i, err)
		}
		k.admins = append(k.admins, h)
	}
	return nil
}

func (e KeyEntry) hash() ([sha256.Size]byte, error) {
	var h [sha256.Size]byte
	switch {
	case e.Key != "" && e.SHA256 != "":
		return h, fmt.Errorf("give key or sha256, not both")
	case e.Key != "":
		return sha256.Sum256([]byte(e.Key)), nil
	case e.SHA256 != "":
		b, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(e.SHA256), "sha256:"))
		if err != nil || len(b) != sha256.Size {
			return h, fmt.Errorf("sha256 must be 64 hex digits")
		}
		copy(h[:], b)
		return h, nil
	}
	return h, fmt.Errorf("key or sha256 is required")
}

// AddTenantKeys parses "tenant=key,tenant2=key2" (the MODGATE_API_KEYS form).
func (k *Keys) AddTenantKeys(spec string) error {
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		tenant, key, ok := strings.Cut(part, "=")
		if !ok || tenant == "" || key == "" {
			return fmt.Errorf("api: tenant key %q: want tenant=key", redactKey(part))
		}
		k.tenants = append(k.tenants, tenantKey{hash: sha256.Sum256([]byte(key)), tenant: tenant})
	}
	return nil
}

// AddAdminKeys parses a comma-separated list of admin keys.
func (k *Keys) AddAdminKeys(spec string) {
	for _, key := range strings.Split(spec, ",") {
		if key = strings.TrimSpace(key); key != "" {
			k.admins = append(k.admins, sha256.Sum256([]byte(key)))
		}
	}
}

func redactKey(s string) string {
	if t, _, ok := strings.Cut(s, "="); ok {
		return t + "=***"
	}
	return "***"
}

// Empty reports whether no key at all is configured (open mode).
func (k *Keys) Empty() bool { return k == nil || (len(k.tenants) == 0 && len(k.admins) == 0) }

// Counts returns how many tenant and admin keys are configured.
func (k *Keys) Counts() (tenants, admins int) {
	if k == nil {
		return 0, 0
	}
	return len(k.tenants), len(k.admins)
}

// lookup compares the token's hash with every key in constant time (no
// early exit), so timing reveals neither which key matched nor how much.
func (k *Keys) lookup(token string) (tenant string, tenantOK, admin bool) {
	h := sha256.Sum256([]byte(token))
	for i := range k.tenants {
		if subtle.ConstantTimeCompare(h[:], k.tenants[i].hash[:]) == 1 {
			tenant, tenantOK = k.tenants[i].tenant, true
		}
	}
	for i := range k.admins {
		if subtle.ConstantTimeCompare(h[:], k.admins[i][:]) == 1 {
			admin = true
		}
	}
	return tenant, tenantOK, admin
}

type ctxKey int

const tenantCtxKey ctxKey = 1

// Principal is who a request authenticated as.
type Principal struct {
	// Tenant is forced onto requests when the key belongs to a tenant.
	Tenant string
	// Authenticated is false in open mode (no keys configured).
	Authenticated bool
}

// PrincipalFrom returns the authenticated principal of a request.
func PrincipalFrom(ctx context.Context) Principal {
	p, _ := ctx.Value(tenantCtxKey).(Principal)
	return p
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	tok := strings.TrimSpace(h[7:])
	return tok, tok != ""
}

// RequireTenant guards tenant routes (/v1/screen, /v1/reports): a valid
// tenant key is needed unless no key is configured at all.
func (k *Keys) RequireTenant(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k.Empty() {
			next.ServeHTTP(w, r)
			return
		}
		tok, ok := bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="modgate"`)
			WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "missing bearer token (Authorization: Bearer <tenant key>)")
			return
		}
		tenant, isTenant, isAdmin := k.lookup(tok)
		switch {
		case isTenant:
			ctx := context.WithValue(r.Context(), tenantCtxKey, Principal{Tenant: tenant, Authenticated: true})
			next.ServeHTTP(w, r.WithContext(ctx))
		case isAdmin:
			WriteError(w, http.StatusForbidden, CodeForbidden, "admin keys cannot call tenant endpoints; use a tenant key")
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="modgate", error="invalid_token"`)
			WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "invalid API key")
		}
	})
}

// RequireAdmin guards /v1/admin: an admin key is needed unless no key is
// configured at all.
func (k *Keys) RequireAdmin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k.Empty() {
			next.ServeHTTP(w, r)
			return
		}
		tok, ok := bearer(r)
		sessions := k.adminSessions.Load()
		if !ok {
			if sessions != nil {
				(*sessions)(next).ServeHTTP(w, r)
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="modgate"`)
			WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "missing bearer token (Authorization: Bearer <admin key>)")
			return
		}
		_, isTenant, isAdmin := k.lookup(tok)
		switch {
		case isAdmin:
			ctx := context.WithValue(r.Context(), tenantCtxKey, Principal{Authenticated: true})
			next.ServeHTTP(w, r.WithContext(ctx))
		case isTenant:
			WriteError(w, http.StatusForbidden, CodeForbidden, "tenant keys cannot call admin endpoints")
		case sessions != nil:
			(*sessions)(next).ServeHTTP(w, r)
		default:
			w.Header().Set("WWW-Authenticate", `Bearer realm="modgate", error="invalid_token"`)
			WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "invalid API key")
		}
	})
}
