package api

import "net/http"

// crossOrigin is Go's CSRF check on Sec-Fetch-Site / Origin: a non-safe
// request a browser marks as coming from another origin is refused. It
// guards every route a session cookie can authenticate (/v1/review,
// /v1/admin, /review), beneath the per-session CSRF tokens, so a page on
// another site cannot drive a reviewer's browser even if a token leaked.
// Clients that send neither header (the platform's backend, curl) pass.
var crossOrigin = func() *http.CrossOriginProtection {
	c := http.NewCrossOriginProtection()
	c.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		WriteError(w, http.StatusForbidden, CodeForbidden, "cross-origin request rejected")
	}))
	return c
}()

// CrossOrigin wraps a handler in the cross-origin check.
func CrossOrigin(next http.Handler) http.Handler { return crossOrigin.Handler(next) }
