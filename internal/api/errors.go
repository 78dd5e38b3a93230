// Package api holds the gateway's HTTP routers: screening, reports, the
// reviewer API, admin, health and metrics. Resources are structs with a
// Routes() chi.Router mounted by the server.
package api

import (
	"encoding/json"
	"net/http"
)

// Error codes shared by every endpoint.
const (
	CodeBadRequest       = "bad_request"
	CodeInvalidJSON      = "invalid_json"
	CodeInvalidUTF8      = "invalid_utf8"
	CodeMissingText      = "missing_text"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeNotFound         = "not_found"
	CodeConflict         = "conflict"
	CodeTooLarge         = "payload_too_large"
	CodeUnsupportedMedia = "unsupported_media_type"
	CodeRateLimited      = "rate_limited"
	CodeNotReady         = "not_ready"
	CodeInternal         = "internal"
)

// ErrorBody is the JSON error envelope: {"error": {"code": ..., "message": ...}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names what went wrong.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Details carries structured extras (compile errors with file:line...).
	Details any `json:"details,omitempty"`
}

// WriteError writes the JSON error envelope with status.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	WriteErrorDetails(w, status, code, msg, nil)
}

// WriteErrorDetails is WriteError with structured details.
func WriteErrorDetails(w http.ResponseWriter, status int, code, msg string, details any) {
	WriteJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg, Details: details}})
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
