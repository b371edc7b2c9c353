package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/staff"
)

// StaffCookie names the staff session cookie, apart from customers' so neither session
// is ever taken for the other (PRODUCT.md §11). SameSite=Strict: nothing links into the
// console's API from elsewhere.
const StaffCookie = "__Host-efacture-staff"

// StaffAuthenticator resolves a staff session id to its live member and session.
type StaffAuthenticator interface {
	Authenticate(ctx context.Context, id string) (staff.Member, sessions.Session, error)
}

// StaffCaller is the signed-in staff member of a request. Space comes from the session,
// never from the request: it is the only space the member's routes ever read.
type StaffCaller struct {
	Member  staff.Member
	Session sessions.Session
	Space   spaces.Space
}

type staffCallerKey struct{}

// StaffCallerFrom returns the member StaffSessions put in ctx.
func StaffCallerFrom(ctx context.Context) (StaffCaller, bool) {
	c, ok := ctx.Value(staffCallerKey{}).(StaffCaller)
	return c, ok
}

// StaffSessions is the middleware of staff routes.
type StaffSessions struct {
	auth   StaffAuthenticator
	spaces SpaceSource
	log    *slog.Logger
}

// NewStaffSessions returns the staff session middleware.
func NewStaffSessions(auth StaffAuthenticator, sp SpaceSource, log *slog.Logger) *StaffSessions {
	return &StaffSessions{auth: auth, spaces: sp, log: log}
}

func (s *StaffSessions) guardFor(a Access, h http.Handler) http.Handler {
	switch a {
	case Staff:
		return s.Require(h)
	case Supervisor:
		return s.RequireSupervisor(h)
	}
	panic("httpapi: staff routes take Staff or Supervisor access")
}

// Require serves next with the StaffCaller in the context, or answers 401 (and clears
// the cookie) without a live staff session.
func (s *StaffSessions) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.require(w, r, next); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

func (s *StaffSessions) require(w http.ResponseWriter, r *http.Request, next http.Handler) error {
	id := staffSessionID(r)
	if id == "" {
		return errUnauthenticated
	}
	m, sess, err := s.auth.Authenticate(r.Context(), id)
	if errors.Is(err, fault.ErrUnauthenticated) {
		clearStaffCookie(w)
	}
	if err != nil {
		return err
	}
	sp, err := s.spaces.Space(r.Context(), m.Space)
	if err != nil {
		return err
	}
	c := StaffCaller{Member: m, Session: sess, Space: sp}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), staffCallerKey{}, c)))
	return nil
}

// RequireSupervisor is Require for supervisor routes: an advisor gets 403.
func (s *StaffSessions) RequireSupervisor(next http.Handler) http.Handler {
	return s.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, _ := StaffCallerFrom(r.Context()); !c.Member.Supervisor() {
			writeError(w, r, s.log, fault.New(fault.CodeForbidden, "not a supervisor"))
			return
		}
		next.ServeHTTP(w, r)
	}))
}

func staffSessionID(r *http.Request) string {
	c, err := r.Cookie(StaffCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// setStaffCookie is a browser-session cookie; the server ends the session after 15
// minutes idle or 8 hours anyway.
func setStaffCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{
		Name: StaffCookie, Value: id, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	})
}

func clearStaffCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: StaffCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode,
	})
}
