package reviewui

import (
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/modgate/modgate/internal/review"
)

// maxFormBytes caps login/logout form bodies; they hold two short fields.
const maxFormBytes = 8 << 10

type loginData struct {
	Base  string
	CSRF  string
	Lang  string
	User  string
	Error string
}

var loginText = map[string]map[string]string{
	"zh": {
		"bad":      "用户名或密码错误。",
		"csrf":     "表单已过期或来自其他站点，请重试。",
		"internal": "登录服务暂不可用，请稍后再试。",
		"badform":  "表单无效。",
		"slow":     "尝试次数过多，请一分钟后再试。",
	},
	"en": {
		"bad":      "Wrong user name or password.",
		"csrf":     "The form expired or came from another site; please try again.",
		"internal": "Sign-in is unavailable right now; try again shortly.",
		"badform":  "Invalid form.",
		"slow":     "Too many attempts; wait a minute.",
	},
}

func (u *UI) serveLogin(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := u.session(r); ok {
		http.Redirect(w, r, u.cfg.BasePath+"/", http.StatusSeeOther)
		return
	}
	u.renderLogin(w, r, http.StatusOK, "", "")
}

func (u *UI) renderLogin(w http.ResponseWriter, r *http.Request, status int, user, errKey string) {
	lang := langOf(r)
	d := loginData{Base: u.cfg.BasePath, CSRF: u.newLoginCSRF(w, r), Lang: lang, User: user}
	if errKey != "" {
		d.Error = loginText[lang][errKey]
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := u.login.Execute(w, d); err != nil {
		u.log.Error("reviewui: render login", "err", err)
	}
}

func (u *UI) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		u.renderLogin(w, r, http.StatusBadRequest, "", "badform")
		return
	}
	user, pass := r.PostFormValue("user"), r.PostFormValue("password")
	if !utf8.ValidString(user) || len(user) > 128 {
		user = ""
	}
	if err := u.checkLoginForm(r); err != nil {
		u.renderLogin(w, r, http.StatusForbidden, user, "csrf")
		return
	}
	if user == "" || pass == "" || len(pass) > 1024 {
		u.renderLogin(w, r, http.StatusUnauthorized, user, "bad")
		return
	}
	tok, _, err := u.cfg.Sessions.Login(review.WithClient(r.Context(), review.ClientAddr(r)), user, pass)
	switch {
	case errors.Is(err, ErrBadCredentials):
		// The user name is logged to spot brute force; never the password.
		u.log.Warn("reviewui: login failed", "user", user, "remote", r.RemoteAddr)
		u.renderLogin(w, r, http.StatusUnauthorized, user, "bad")
		return
	case errors.Is(err, ErrRateLimited):
		w.Header().Set("Retry-After", "60")
		u.renderLogin(w, r, http.StatusTooManyRequests, user, "slow")
		return
	case err != nil:
		u.log.Error("reviewui: login", "err", err)
		u.renderLogin(w, r, http.StatusServiceUnavailable, user, "internal")
		return
	}
	u.setSessionCookie(w, r, tok, 0)
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: "", Path: u.cfg.BasePath, MaxAge: -1,
		HttpOnly: true, Secure: u.secure(r), SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, u.cfg.BasePath+"/", http.StatusSeeOther)
}

// setSessionCookie writes the session cookie for the whole origin: the
// reviewer API under /v1 reads the same cookie. maxAge<0 deletes it.
func (u *UI) setSessionCookie(w http.ResponseWriter, r *http.Request, tok string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: u.cfg.CookieName, Value: tok, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: u.secure(r), SameSite: http.SameSiteStrictMode,
	})
}

func (u *UI) handleLogout(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "invalid form")
		return
	}
	tok, id, ok := u.session(r)
	if !ok {
		// No session came with the request (a cross-site post carries no
		// SameSite=Strict cookie): leave the browser's cookie alone, or
		// any site could log a reviewer out.
		http.Redirect(w, r, u.cfg.BasePath+"/login", http.StatusSeeOther)
		return
	}
	if err := u.checkForm(r, tok, id); err != nil {
		writeError(w, http.StatusForbidden, "forbidden", err.Error())
		return
	}
	if err := u.cfg.Sessions.Logout(r.Context(), tok); err != nil {
		u.log.Error("reviewui: logout", "err", err)
	}
	u.setSessionCookie(w, r, "", -1)
	http.Redirect(w, r, u.cfg.BasePath+"/login", http.StatusSeeOther)
}
