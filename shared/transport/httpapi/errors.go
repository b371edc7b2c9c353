// Package httpapi holds the JSON API's handlers (PRODUCT.md §7). Each API function serves one
// group of routes; routes.go lists them all.
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/efacture/efacture/shared/domain/fault"
)

// messages are the client-facing texts of PRODUCT.md §7's codes, and of a few more keys.
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
	"not_json":                {"La requête doit être envoyée en JSON.", "The request must be sent as JSON."},
	"cross_origin":            {"Requête refusée : elle ne vient pas du portail.", "Request refused: it does not come from the portal."},
	"invalid_field":           {"Valeur invalide : %s.", "Invalid value: %s."},
	"recovery_sent":           {"Si cette adresse correspond à un compte, un mail de récupération de votre identifiant ou mot de passe vous a été adressé.", "If this address belongs to an account, a mail to recover your identifier or password has been sent to it."},
	"exports_pending":         {"Vous avez déjà %s exports en préparation. Réessayez quand l'un d'eux sera prêt.", "You already have %s exports being prepared. Try again once one of them is ready."},
	"admin_password_required": {"Saisissez votre propre mot de passe pour définir celui d'un autre utilisateur.", "Type your own password to set another user's."},
	"identifier_at_reserved": {
		"Un identifiant choisi par un administrateur ne peut pas contenir « @ » : ce signe est réservé aux comptes créés à partir d'une adresse e-mail enregistrée.",
		"An identifier chosen by an admin cannot contain “@”: it is reserved to accounts created from a registered e-mail address.",
	},
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

// answer is how the API answers a fault code: the HTTP status and the client's code.
type answer struct {
	status int
	code   string
}

// answers is the one table from a fault's code to the API's answer (PRODUCT.md §7). A
// fault.Error's Reason, when set, replaces the client's code but never the status.
var answers = map[fault.Code]answer{
	fault.CodeInvalid:         {http.StatusBadRequest, "bad_request"},
	fault.CodeNotFound:        {http.StatusNotFound, "not_found"},
	fault.CodeConflict:        {http.StatusConflict, "conflict"},
	fault.CodeUnauthenticated: {http.StatusUnauthorized, "unauthenticated"},
	fault.CodeForbidden:       {http.StatusForbidden, "forbidden"},
	fault.CodeGone:            {http.StatusGone, "link_expired"},
	fault.CodeTooMany:         {http.StatusTooManyRequests, "too_many_requests"},
	fault.CodeTooLarge:        {http.StatusRequestEntityTooLarge, "too_large"},
	fault.CodeUnsupported:     {http.StatusUnsupportedMediaType, "bad_request"},
}

// internal is the answer to every other error; its cause stays in the log.
var internal = answer{http.StatusInternalServerError, "internal"}

// writeError answers err as PRODUCT.md §7's error body, through the table above: the
// first fault.Error in err's chain decides the answer; an error without one is a 500
// whose cause goes to log only (slog's default when log is nil).
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	a, ok := answers[fault.CodeOf(err)]
	var f *fault.Error
	if !ok || !errors.As(err, &f) {
		a, f = internal, &fault.Error{}
	}
	if a.status >= 500 {
		if log == nil {
			log = slog.Default()
		}
		log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "code", a.code, "error", err.Error())
	}
	code := a.code
	if f.Reason != "" {
		code = f.Reason
	}
	body := map[string]any{"code": code}
	key := f.Message
	var args []any
	for _, v := range f.Args {
		args = append(args, v)
	}
	if f.Field != "" {
		body["field"] = f.Field
		if key == "" {
			key, args = "invalid_field", []any{f.Field}
		}
	}
	if f.Rules != nil {
		body["rules"] = f.Rules
	}
	if key == "" {
		key = code
	}
	body["message"] = Message(key, lang(r), args...)
	writeJSON(w, a.status, map[string]any{"error": body})
}

// handlerFunc is an API handler that returns its failure instead of answering it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handler serves a handlerFunc: any error it returns is answered by writeError, so no
// handler decides on its own which status an error gets.
type handler struct {
	log *slog.Logger
	fn  handlerFunc
}

// handle returns fn as an http.Handler whose 5xx answers are logged to log.
func handle(log *slog.Logger, fn handlerFunc) http.Handler { return handler{log: log, fn: fn} }

func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := h.fn(w, r); err != nil {
		writeError(w, r, h.log, err)
	}
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

// Errors the API answers on its own.
var (
	errUnauthenticated = fault.New(fault.CodeUnauthenticated, "no session")
	errForbidden       = fault.New(fault.CodeForbidden, "not an admin")
	errNotFound        = fault.New(fault.CodeNotFound, "no such route or resource")
)
