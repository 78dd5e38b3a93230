package api

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"
)

// An admin signed in to the reviewer UI may use /v1/admin with the session
// even when API keys are configured; other roles and tenant keys may not.
func TestAdminRoutesAcceptAdminSessions(t *testing.T) {
	e := newMemoryEnv(t)
	keys := &Keys{}
	if err := keys.AddTenantKeys("t1=tenant-key-1"); err != nil {
		t.Fatal(err)
	}
	keys.AddAdminKeys("admin-key-1")

	r := chi.NewRouter()
	d := e.deps
	d.Keys = keys
	MountReview(r, d)
	r.With(keys.RequireAdmin).Get("/v1/admin/revision", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, map[string]string{"reviewer": ReviewerFrom(r.Context()).Name})
	})
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	gw := &reviewEnv{srv: srv}

	root := e.login(t, "root")
	alice := e.login(t, "alice")
	cases := []struct {
		name   string
		token  string
		status int
	}{
		{"admin key", "admin-key-1", http.StatusOK},
		{"admin session", root.Token, http.StatusOK},
		{"reviewer session", alice.Token, http.StatusForbidden},
		{"tenant key", "tenant-key-1", http.StatusForbidden},
		{"unknown token", "nope", http.StatusUnauthorized},
		{"no token", "", http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := gw.do(t, "GET", "/v1/admin/revision", c.token, nil)
			if got.status != c.status {
				t.Fatalf("status %d, want %d: %s", got.status, c.status, got.body)
			}
		})
	}
}
