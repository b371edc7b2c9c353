package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/spaces"
)

// SessionCookie names the session cookie. The __Host- prefix makes browsers refuse it
// unless it is Secure, has Path=/ and no Domain, so no sibling host can set or read it.
const SessionCookie = "__Host-efacture_session"

// Authenticator resolves a session id to its live account and session; it returns a
// fault.ErrUnauthenticated for a dead or unknown one.
type Authenticator interface {
	Authenticate(ctx context.Context, id string) (accounts.Account, sessions.Session, error)
}

// SpaceSource reads spaces.
type SpaceSource interface {
	Space(ctx context.Context, id string) (spaces.Space, error)
}

// Caller is the signed-in account of a request. Space and Company come from the account,
// never from the request (PRODUCT.md §4, §7 "Tenancy").
type Caller struct {
	Account accounts.Account
	Session sessions.Session
	Space   spaces.Space
	Company string // {space}#{customerNumber}, the key every company-scoped read uses
}

type callerKey struct{}

// CallerFrom returns the caller Sessions.Require put in ctx.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// Sessions is the middleware that requires a signed-in caller. Every API function whose
// routes need a session wraps them with it.
type Sessions struct {
	auth   Authenticator
	spaces SpaceSource
	log    *slog.Logger
}

// NewSessions returns the session middleware.
func NewSessions(auth Authenticator, sp SpaceSource, log *slog.Logger) *Sessions {
	return &Sessions{auth: auth, spaces: sp, log: log}
}

// Require serves next with the Caller in the request's context, or answers 401
// unauthenticated (and clears the cookie) when there is no live session.
func (s *Sessions) Require(next http.Handler) http.Handler {
	// s is read per request, not here: route tables are built before their dependencies.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.require(w, r, next); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

func (s *Sessions) require(w http.ResponseWriter, r *http.Request, next http.Handler) error {
	id := sessionID(r)
	if id == "" {
		return errUnauthenticated
	}
	a, sess, err := s.auth.Authenticate(r.Context(), id)
	if errors.Is(err, fault.ErrUnauthenticated) {
		clearSessionCookie(w)
	}
	if err != nil {
		return err
	}
	sp, err := s.spaces.Space(r.Context(), a.Space)
	if err != nil {
		return err
	}
	c := Caller{Account: a, Session: sess, Space: sp, Company: a.Company()}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, c)))
	return nil
}

// RequireAdmin is Require for admin routes: a signed-in non-admin gets 403.
func (s *Sessions) RequireAdmin(next http.Handler) http.Handler {
	return s.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, _ := CallerFrom(r.Context()); !c.Account.Admin {
			writeError(w, r, s.log, errForbidden)
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// guardFor serves customer routes; a staff access kind in a customer table is a wiring
// mistake, refused rather than served.
func (s *Sessions) guardFor(a Access, h http.Handler) http.Handler {
	switch a {
	case Session:
		return s.Require(h)
	case Admin:
		return s.RequireAdmin(h)
	}
	panic("httpapi: customer routes take Session or Admin access")
}

// sessionID is the session cookie's value, "" when absent.
func sessionID(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// setSessionCookie hands the browser a session id. It is a browser-session cookie (no
// Max-Age): closing the browser ends it on a shared computer, and the server ends it
// after 30 minutes idle or 12 hours anyway.
func setSessionCookie(w http.ResponseWriter, id string) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: id, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
}

func clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode,
	})
}

// clientIP is the client key per-client limits count by (PRODUCT.md §6): API Gateway's
// source address, which the apigw adapter puts in RemoteAddr; an IPv4 address as it is,
// an IPv6 address by its /64, the block one subscriber gets, so a client cannot take a
// fresh counter from each of its 2^64 addresses.
func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return "unknown"
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is4() {
		return ip.String()
	}
	return netip.PrefixFrom(ip, 64).Masked().String()
}
