package httpapi

import (
	"net/http"
)

// login signs an account in: 200 with the account as GET /api/me shows it, and a new
// session cookie. Every refusal is the same 401 invalid_credentials.
func login(d AuthDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Identifier string `json:"identifier"`
			Password   string `json:"password"`
		}
		if err := decode(w, r, &in); err != nil {
			return err
		}
		res, err := d.Accounts.Login(r.Context(), clientIP(r), in.Identifier, in.Password)
		if err != nil {
			return err
		}
		p, err := d.Accounts.Describe(r.Context(), res.Account)
		if err != nil {
			return err
		}
		setSessionCookie(w, res.SessionID)
		writeJSON(w, http.StatusOK, meView(p))
		return nil
	})
}

// logout ends the caller's session, live or not, and clears the cookie.
func logout(d AuthDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		if id := sessionID(r); id != "" {
			if err := d.Accounts.Logout(r.Context(), id); err != nil {
				return err
			}
		}
		clearSessionCookie(w)
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

// recovery asks for a recovery mail: 202 with the same neutral message whether or not the
// address has accounts, unless the space reveals unknown addresses (404 no_account).
func recovery(d AuthDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Space string `json:"space"`
			Email string `json:"email"`
		}
		if err := decode(w, r, &in); err != nil {
			return err
		}
		if err := d.Accounts.RequestRecovery(r.Context(), clientIP(r), in.Space, in.Email); err != nil {
			return err
		}
		key := "recovery_sent"
		if sp, err := d.Spaces.Space(r.Context(), in.Space); err == nil && sp.RevealUnknownAccounts {
			// Where unknown addresses are told, a known one gets the FAQ's own words.
			key = "recovery_mailed"
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"message": Message(key, lang(r))})
		return nil
	})
}

// inspect shows what a set-password link may set: the address and its accounts.
func inspect(d AuthDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Token string `json:"token"`
		}
		if err := decode(w, r, &in); err != nil {
			return err
		}
		got, err := d.Accounts.Inspect(r.Context(), in.Token)
		if err != nil {
			return err
		}
		type choice struct {
			Identifier  string `json:"identifier"`
			CompanyName string `json:"companyName"`
		}
		out := struct {
			Email    string   `json:"email"`
			Accounts []choice `json:"accounts"`
		}{Email: got.Email, Accounts: []choice{}}
		for _, c := range got.Accounts {
			out.Accounts = append(out.Accounts, choice{Identifier: c.Identifier, CompanyName: c.CompanyName})
		}
		writeJSON(w, http.StatusOK, out)
		return nil
	})
}

// complete sets a password from an activation or recovery link.
func complete(d AuthDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Token        string `json:"token"`
			Identifier   string `json:"identifier"`
			Password     string `json:"password"`
			Confirmation string `json:"confirmation"`
		}
		if err := decode(w, r, &in); err != nil {
			return err
		}
		if err := d.Accounts.Complete(r.Context(), in.Token, in.Identifier, in.Password, in.Confirmation); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
