package api

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestKeysFileAndEnv(t *testing.T) {
	sum := sha256.Sum256([]byte("hashed-key"))
	file := filepath.Join(t.TempDir(), "keys.yaml")
	content := "tenants:\n  - tenant: t1\n    sha256: " + hex.EncodeToString(sum[:]) + "\n  - tenant: t2\n    key: plain-key\nadmin:\n  - key: admin-key\n"
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var k Keys
	if err := k.LoadKeysFile(file); err != nil {
		t.Fatal(err)
	}
	if err := k.AddTenantKeys("t3=env-key, "); err != nil {
		t.Fatal(err)
	}
	k.AddAdminKeys("admin2")
	tests := []struct {
		token   string
		tenant  string
		isAdmin bool
	}{
		{"hashed-key", "t1", false},
		{"plain-key", "t2", false},
		{"env-key", "t3", false},
		{"admin-key", "", true},
		{"admin2", "", true},
		{"nope", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.token, func(t *testing.T) {
			tenant, ok, admin := k.lookup(tc.token)
			if tenant != tc.tenant || ok != (tc.tenant != "") || admin != tc.isAdmin {
				t.Fatalf("lookup = %q %v %v", tenant, ok, admin)
			}
		})
	}
}

func TestKeysFileErrors(t *testing.T) {
	tests := map[string]string{
		"no tenant":   "tenants:\n  - key: a\n",
		"both":        "tenants:\n  - tenant: t\n    key: a\n    sha256: " + hex.EncodeToString(make([]byte, 32)) + "\n",
		"bad hash":    "tenants:\n  - tenant: t\n    sha256: abc\n",
		"neither":     "admin:\n  - tenant: x\n",
		"not yaml":    "tenants: [\n",
		"wrong shape": "tenants: 3\n",
	}
	for name, content := range tests {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "keys.yaml")
			if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			var k Keys
			if err := k.LoadKeysFile(file); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	var k Keys
	if err := k.AddTenantKeys("novalue"); err == nil {
		t.Fatal("accepted tenant key without =")
	}
}

func TestRequireTenantAndAdmin(t *testing.T) {
	var k Keys
	if err := k.AddTenantKeys("t1=tk"); err != nil {
		t.Fatal(err)
	}
	k.AddAdminKeys("ak")
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, 200, PrincipalFrom(r.Context()))
	})
	tests := []struct {
		name   string
		admin  bool
		header string
		status int
	}{
		{"tenant ok", false, "Bearer tk", 200},
		{"tenant lowercase scheme", false, "bearer tk", 200},
		{"tenant missing", false, "", 401},
		{"tenant wrong", false, "Bearer zz", 401},
		{"tenant basic", false, "Basic dGs6", 401},
		{"admin on tenant route", false, "Bearer ak", 403},
		{"admin ok", true, "Bearer ak", 200},
		{"tenant on admin route", true, "Bearer tk", 403},
		{"admin missing", true, "", 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := k.RequireTenant(ok)
			if tc.admin {
				h = k.RequireAdmin(ok)
			}
			req := httptest.NewRequest("POST", "/", nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
		})
	}
}
