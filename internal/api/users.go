package api

import (
	"errors"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/review"
)

// UsersResource is /v1/review/users: admins list accounts; every reviewer
// can change their own password. Accounts are added with `modgate user add`.
type UsersResource struct {
	users    *review.Users
	sessions SessionStore
	limiter  LoginLimiter
	// Cookie is the session cookie renewed after a password change
	// (default SessionCookie).
	Cookie string
}

// NewUsersResource builds the users API.
func NewUsersResource(u *review.Users, sessions SessionStore, limiter LoginLimiter) *UsersResource {
	return &UsersResource{users: u, sessions: sessions, limiter: limiter, Cookie: SessionCookie}
}

// Routes is mounted under the authenticated /v1/review router.
func (ur *UsersResource) Routes() chi.Router {
	r := chi.NewRouter()
	r.With(RequireRole(modgate.RoleAdmin)).Get("/", ur.list)
	r.Post("/me/password", ur.changePassword)
	return r
}

// UsersResponse lists the reviewer accounts (names and roles, never hashes).
type UsersResponse struct {
	Users []MeResponse `json:"users"`
}

func (ur *UsersResource) list(w http.ResponseWriter, _ *http.Request) {
	resp := UsersResponse{Users: []MeResponse{}}
	if ur.users != nil {
		for _, u := range ur.users.List() {
			resp.Users = append(resp.Users, MeResponse{User: u.Name, Role: u.Role})
		}
	}
	WriteJSON(w, http.StatusOK, resp)
}

type passwordRequest struct {
	Old string `json:"old"`
	New string `json:"new"`
}

func (ur *UsersResource) changePassword(w http.ResponseWriter, r *http.Request) {
	var req passwordRequest
	if !decodeBody(w, r, 4<<10, &req) {
		return
	}
	if ur.users == nil {
		WriteError(w, http.StatusServiceUnavailable, CodeNotReady, "no users file configured")
		return
	}
	v := ReviewerFrom(r.Context())
	// A stolen session must not become an oracle for the password.
	ok, err := ur.limiter.PasswordChangeAllowed(r.Context(), v.Name)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, CodeInternal, "internal error (password change rate limit)")
		return
	}
	if !ok {
		w.Header().Set("Retry-After", "600")
		WriteError(w, http.StatusTooManyRequests, CodeRateLimited, "too many wrong old passwords; wait ten minutes")
		return
	}
	if _, err := ur.users.Authenticate(v.Name, req.Old); err != nil {
		_ = ur.limiter.PasswordChangeFailed(r.Context(), v.Name)
		WriteError(w, http.StatusForbidden, CodeForbidden, "the old password is wrong")
		return
	}
	if err := ur.users.SetPassword(v.Name, "", req.New); err != nil {
		if errors.Is(err, review.ErrNoUser) {
			WriteError(w, http.StatusNotFound, CodeNotFound, "no such user")
			return
		}
		WriteError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return
	}
	// Other sessions of this user end; this one stays.
	_ = ur.sessions.DeleteUser(r.Context(), v.Name)
	tok, sess, err := ur.sessions.Create(r.Context(), v.Name, v.Role)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, CodeInternal, "could not create a new session")
		return
	}
	if v.Cookie {
		http.SetCookie(w, &http.Cookie{Name: ur.Cookie, Value: tok, Path: "/", HttpOnly: true,
			SameSite: http.SameSiteStrictMode, Secure: isTLS(r), Expires: sess.Expires})
	}
	WriteJSON(w, http.StatusOK, LoginResponse{Token: tok, User: v.Name, Role: v.Role, CSRF: sess.CSRF, Expires: sess.Expires})
}
