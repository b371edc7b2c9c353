// Package httpapi holds the JSON API's handlers (SPEC §7). Each API function serves one
// group of routes; routes.go lists them all.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/spaces"
)

// Error is an API error with two faces: Code and the localised message go to the client,
// Cause only to the log.
type Error struct {
	Status int
	Code   string
	Cause  error
	// Key chooses the message when it differs from Code's (messages below); Args fill it.
	Key  string
	Args []any
	// Extra adds fields to the error object, such as the rules a password failed.
	Extra map[string]any
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Cause.Error()
	}
	return e.Code
}

func (e *Error) Unwrap() error { return e.Cause }

// messages are the client-facing texts of SPEC §7's codes, and of a few more keys.
var messages = map[string][2]string{ // key → {fr, en}
	"bad_request":         {"Requête invalide.", "Invalid request."},
	"invalid_credentials": {"Identifiant ou mot de passe incorrect.", "Incorrect identifier or password."},
	"unauthenticated":     {"Votre session a expiré. Veuillez vous reconnecter.", "Your session has expired. Please sign in again."},
	"forbidden":           {"Accès refusé.", "Access denied."},
	"not_found":           {"Introuvable.", "Not found."},
	"conflict":            {"Conflit avec l'état actuel.", "Conflict with the current state."},
	"link_expired":        {"Ce lien a expiré ou n'est plus valable.", "This link has expired or is no longer valid."},
	"password_policy": {
		"Le mot de passe doit comporter au moins 8 caractères dont une majuscule, un chiffre et un caractère spécial, ou être une phrase d'au moins 15 caractères (256 au plus) ; il ne doit être ni trop courant ni contenir votre identifiant.",
		"The password needs at least 8 characters with an upper-case letter, a digit and a special character, or must be a passphrase of at least 15 characters (256 at most); it must be neither a common password nor contain your identifier.",
	},
	"password_mismatch": {"Les deux mots de passe saisis sont différents.", "The two passwords typed differ."},
	"wrong_password":    {"Le mot de passe actuel est incorrect.", "The current password is incorrect."},
	"identifier_taken":  {"Cet identifiant est déjà utilisé.", "This identifier is already taken."},
	"no_account":        {"Aucun compte trouvé pour %s", "No account found for %s"},
	"too_many_requests": {"Trop de tentatives. Réessayez plus tard.", "Too many attempts. Please try again later."},
	"too_large":         {"Demande trop volumineuse.", "Request too large."},
	"internal":          {"Une erreur interne est survenue. Réessayez plus tard.", "An internal error occurred. Please try again later."},
	// Keys that are not codes.
	"not_json":        {"La requête doit être envoyée en JSON.", "The request must be sent as JSON."},
	"cross_origin":    {"Requête refusée : elle ne vient pas du portail.", "Request refused: it does not come from the portal."},
	"invalid_field":   {"Valeur invalide : %s.", "Invalid value: %s."},
	"recovery_sent":   {"Si cette adresse correspond à un compte, un mail de récupération de votre identifiant ou mot de passe vous a été adressé.", "If this address belongs to an account, a mail to recover your identifier or password has been sent to it."},
	"recovery_mailed": {"Un mail de récupération de votre identifiant ou mot de passe vous a été adressé.", "A mail to recover your identifier or password has been sent to you."},
}

// Message returns the text of key in lang ("en" or French by default), filled with args.
func Message(key, lang string, args ...any) string {
	m, ok := messages[key]
	if !ok {
		m = messages["internal"]
	}
	text := m[0]
	if lang == "en" {
		text = m[1]
	}
	if len(args) > 0 {
		return fmt.Sprintf(text, args...)
	}
	return text
}

// writeJSON answers v with status; the secure middleware has already made it uncacheable.
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
		log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "code", e.Code, "error", err.Error())
	}
	key := e.Key
	if key == "" {
		key = e.Code
	}
	body := map[string]any{"code": e.Code, "message": Message(key, lang(r), e.Args...)}
	for k, v := range e.Extra {
		body[k] = v
	}
	writeJSON(w, e.Status, map[string]any{"error": body})
}

// lang is the caller's language: the signed-in account's, else the first of French or
// English in Accept-Language, else French.
func lang(r *http.Request) string {
	if c, ok := CallerFrom(r.Context()); ok {
		return c.Account.Lang()
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(tag)
		switch {
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			return "en"
		case tag == "fr" || strings.HasPrefix(tag, "fr-"):
			return "fr"
		}
	}
	return "fr"
}

// Errors handlers answer directly.
var (
	errBadRequest      = &Error{Status: http.StatusBadRequest, Code: "bad_request"}
	errUnauthenticated = &Error{Status: http.StatusUnauthorized, Code: "unauthenticated"}
	errForbidden       = &Error{Status: http.StatusForbidden, Code: "forbidden"}
	errNotFound        = &Error{Status: http.StatusNotFound, Code: "not_found"}
)

// fromDomain maps the domain's errors to API errors in one place.
func fromDomain(err error) error {
	var inv *accounts.InvalidError
	var pe *password.PolicyError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, accounts.ErrInvalidCredentials):
		return &Error{Status: http.StatusUnauthorized, Code: "invalid_credentials"}
	case errors.Is(err, accounts.ErrUnauthenticated):
		return errUnauthenticated
	case errors.Is(err, accounts.ErrTooManyRequests):
		return &Error{Status: http.StatusTooManyRequests, Code: "too_many_requests"}
	case errors.Is(err, accounts.ErrLinkExpired):
		return &Error{Status: http.StatusGone, Code: "link_expired"}
	case errors.Is(err, accounts.ErrForbidden):
		return errForbidden
	case errors.Is(err, accounts.ErrWrongPassword):
		return &Error{Status: http.StatusBadRequest, Code: "wrong_password"}
	case errors.Is(err, password.ErrMismatch):
		return &Error{Status: http.StatusBadRequest, Code: "password_mismatch"}
	case errors.As(err, &pe):
		rules := make([]string, len(pe.Rules))
		for i, r := range pe.Rules {
			rules[i] = string(r)
		}
		return &Error{Status: http.StatusBadRequest, Code: "password_policy", Extra: map[string]any{"rules": rules}}
	case errors.As(err, &inv):
		return &Error{Status: http.StatusBadRequest, Code: "bad_request", Key: "invalid_field", Args: []any{inv.Field}, Extra: map[string]any{"field": inv.Field}}
	case errors.Is(err, accounts.ErrIdentifierTaken):
		return &Error{Status: http.StatusConflict, Code: "identifier_taken"}
	case errors.Is(err, accounts.ErrNotFound), errors.Is(err, spaces.ErrNotFound):
		return errNotFound
	}
	return err
}
