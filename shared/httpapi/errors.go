// Package httpapi holds the JSON API's handlers (SPEC §7). Each API function serves one
// group of routes; routes.go lists them all.
package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// Error is an API error with two faces: Code and the localised message go to the client,
// Cause only to the log.
type Error struct {
	Status int
	Code   string
	Cause  error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Cause.Error()
	}
	return e.Code
}

func (e *Error) Unwrap() error { return e.Cause }

// messages are the client-facing texts of SPEC §7's codes.
var messages = map[string][2]string{ // code → {fr, en}
	"bad_request":         {"Requête invalide.", "Invalid request."},
	"invalid_credentials": {"Identifiant ou mot de passe incorrect.", "Incorrect identifier or password."},
	"unauthenticated":     {"Votre session a expiré. Veuillez vous reconnecter.", "Your session has expired. Please sign in again."},
	"forbidden":           {"Accès refusé.", "Access denied."},
	"not_found":           {"Introuvable.", "Not found."},
	"conflict":            {"Conflit avec l'état actuel.", "Conflict with the current state."},
	"link_expired":        {"Ce lien a expiré ou n'est plus valable.", "This link has expired or is no longer valid."},
	"too_many_requests":   {"Trop de tentatives. Réessayez plus tard.", "Too many attempts. Please try again later."},
	"too_large":           {"Demande trop volumineuse.", "Request too large."},
	"internal":            {"Une erreur interne est survenue. Réessayez plus tard.", "An internal error occurred. Please try again later."},
}

// Message returns the text of code in lang ("en" or French by default).
func Message(code, lang string) string {
	m, ok := messages[code]
	if !ok {
		m = messages["internal"]
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}

// writeJSON answers v with status; API answers are never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
}

// writeError answers err as SPEC §7's error body; anything that is not an *Error is a 500
// whose cause stays in the log.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: http.StatusInternalServerError, Code: "internal", Cause: err}
	}
	if e.Status >= 500 {
		log.ErrorContext(r.Context(), "request failed", "code", e.Code, "error", err.Error())
	}
	writeJSON(w, e.Status, map[string]any{"error": map[string]string{"code": e.Code, "message": Message(e.Code, lang(r))}})
}

// lang is the caller's language: the Accept-Language's first choice when it is English.
func lang(r *http.Request) string {
	if al := r.Header.Get("Accept-Language"); len(al) >= 2 && al[:2] == "en" {
		return "en"
	}
	return "fr"
}
