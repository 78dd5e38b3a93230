package reviewui

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// CSRF protection, in two layers:
//
//  1. Same-origin check: a state-changing request must not come from another
//     site. Browsers send Sec-Fetch-Site (and Origin on POST); either saying
//     "not us" is a rejection. Clients that send neither (curl, the
//     platform's backend with a bearer token) pass this layer.
//  2. A token: for a session, HMAC(key, session token) — the page gets it in
//     a <meta> tag and sends it as X-CSRF-Token (fetch) or a "csrf" form
//     field. Another site can neither read the HttpOnly cookie nor the page,
//     so it cannot produce the token; deriving it keeps replicas stateless.
//     Before login there is no session, so the login form uses a
//     double-submit cookie instead.
//
// SameSite=Strict on the session cookie is a third layer the browser adds.

// CSRFHeader is the request header carrying the token from fetch calls.
const CSRFHeader = "X-CSRF-Token"

const (
	csrfField       = "csrf"
	loginCSRFCookie = "modgate_login_csrf"
)

var (
	errCrossSite = errors.New("cross-site request")
	errCSRFToken = errors.New("missing or wrong CSRF token")
)

// CSRFToken is the token the page must send with every state-changing
// request made with session token tok.
func (u *UI) CSRFToken(tok string) string {
	return csrfFor(u.cfg.CSRFKey, tok)
}

func csrfFor(key []byte, tok string) string {
	m := hmac.New(sha256.New, append([]byte("modgate csrf v1\x00"), key...))
	m.Write([]byte(tok))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func tokensEqual(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sameOrigin rejects requests a browser marks as coming from elsewhere.
// Sec-Fetch-Site, when present, is authoritative: under Referrer-Policy
// no-referrer Chromium sends "Origin: null" even on same-origin form posts.
// Without it (older browsers), a present Origin must name this host.
func sameOrigin(r *http.Request) error {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return nil
	case "":
	default: // same-site, cross-site
		return errCrossSite
	}
	if o := r.Header.Get("Origin"); o != "" {
		ou, err := url.Parse(o)
		if err != nil || o == "null" || !strings.EqualFold(ou.Host, r.Host) {
			return errCrossSite
		}
	}
	return nil
}

// csrfOf is the token the page gets: the session's stored synchronizer
// token (which the reviewer API checks) or, for stores without one, the
// derived token.
func (u *UI) csrfOf(tok string, id Identity) string {
	if id.CSRF != "" {
		return id.CSRF
	}
	return u.CSRFToken(tok)
}

// checkForm validates a form post made with session token tok.
func (u *UI) checkForm(r *http.Request, tok string, id Identity) error {
	if err := sameOrigin(r); err != nil {
		return err
	}
	if !tokensEqual(r.PostFormValue(csrfField), u.csrfOf(tok, id)) {
		return errCSRFToken
	}
	return nil
}

// newLoginCSRF issues the double-submit value for the login form.
func (u *UI) newLoginCSRF(w http.ResponseWriter, r *http.Request) string {
	v := rand.Text()
	http.SetCookie(w, &http.Cookie{
		Name: loginCSRFCookie, Value: v, Path: u.cfg.BasePath,
		HttpOnly: true, Secure: u.secure(r), SameSite: http.SameSiteStrictMode, MaxAge: 3600,
	})
	return v
}

func (u *UI) checkLoginForm(r *http.Request) error {
	if err := sameOrigin(r); err != nil {
		return err
	}
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || !tokensEqual(r.PostFormValue(csrfField), c.Value) {
		return errCSRFToken
	}
	return nil
}
