package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/efacture/efacture/shared/domain/signing"
	"github.com/efacture/efacture/shared/domain/staff"
)

// StaffDeps are what the staff function's routes need (PRODUCT.md §11).
type StaffDeps struct {
	Staff         *staff.Service
	Sessions      *StaffSessions
	Console       ConsoleService
	Cursors       *signing.Key // signs search, rejections and audit cursors
	PortalBaseURL string
	Log           *slog.Logger
	Now           func() time.Time
}

// staffMeJSON is SPEC §11's staff me.
type staffMeJSON struct {
	Identifier string `json:"identifier"`
	Role       string `json:"role"`
	Space      struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"space"`
}

func staffMe(c StaffCaller) staffMeJSON {
	out := staffMeJSON{Identifier: c.Member.Identifier, Role: c.Member.Role}
	out.Space.ID, out.Space.Name = c.Space.ID, c.Space.Name
	return out
}

// staffLogin signs a member in with password and TOTP code: 200 with the staff me and
// the staff cookie. Every refusal is the same 401 invalid_credentials.
func staffLogin(d StaffDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Space      string `json:"space"`
			Identifier string `json:"identifier"`
			Password   string `json:"password"`
			Code       string `json:"code"`
		}
		if err := decode(w, r, &in); err != nil {
			return err
		}
		res, err := d.Staff.Login(r.Context(), clientIP(r), in.Space, in.Identifier, in.Password, in.Code)
		if err != nil {
			return err
		}
		setStaffCookie(w, res.SessionID)
		writeJSON(w, http.StatusOK, staffMe(StaffCaller{Member: res.Member, Session: res.Session, Space: res.Space}))
		return nil
	})
}

// staffLogout ends the staff session, live or not, and clears the cookie.
func staffLogout(d StaffDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		if id := staffSessionID(r); id != "" {
			if err := d.Staff.Logout(r.Context(), id); err != nil {
				return err
			}
		}
		clearStaffCookie(w)
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}

func staffMeHandler(d StaffDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		c, ok := StaffCallerFrom(r.Context())
		if !ok {
			return errUnauthenticated
		}
		writeJSON(w, http.StatusOK, staffMe(c))
		return nil
	})
}

// staffPasswordInspect shows whom a set-password link sets: the space and identifier.
func staffPasswordInspect(d StaffDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Token string `json:"token"`
		}
		if err := decode(w, r, &in); err != nil {
			return err
		}
		m, err := d.Staff.InspectPassword(r.Context(), in.Token)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"space": m.Space, "identifier": m.Identifier, "role": m.Role})
		return nil
	})
}

// staffPasswordSet sets a member's password from its link: 204.
func staffPasswordSet(d StaffDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		var in struct {
			Token        string `json:"token"`
			Password     string `json:"password"`
			Confirmation string `json:"confirmation"`
		}
		if err := decode(w, r, &in); err != nil {
			return err
		}
		if err := d.Staff.SetPassword(r.Context(), in.Token, in.Password, in.Confirmation); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	})
}
