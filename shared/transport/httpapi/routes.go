package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/signing"
)

// Pinger reports whether a dependency answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// AuthDeps are what the auth function's routes need.
type AuthDeps struct {
	Store         Pinger
	Accounts      *accounts.Service
	Sessions      *Sessions
	Spaces        SpaceSource
	PortalBaseURL string // the origin state-changing requests must come from
	Log           *slog.Logger
	Now           func() time.Time
}

// AdminDeps are what the admin function's routes need.
type AdminDeps struct {
	Accounts      *accounts.Service
	Sessions      *Sessions
	Cursors       *signing.Key // signs audit log cursors
	PortalBaseURL string
	Log           *slog.Logger
	Now           func() time.Time
}

// Access is who may call a route.
type Access int

const (
	// Public routes need no session: sign-in, recovery, health, no-login links.
	Public Access = iota
	// Session routes need a signed-in caller (Sessions.Require).
	Session
	// Admin routes need a signed-in administrator (Sessions.RequireAdmin).
	Admin
	// Staff routes need a signed-in staff member (StaffSessions.Require), whose session
	// is apart from customers'.
	Staff
	// Supervisor routes need a signed-in supervisor (StaffSessions.RequireSupervisor).
	Supervisor
)

// Sites is which sites a route may be reached from, by the browser's Sec-Fetch-Site.
type Sites int

const (
	// AnySite routes serve navigations from anywhere; state changes are guarded apart.
	AnySite Sites = iota
	// NotCrossSite routes refuse a cross-site request (403) before anything else runs,
	// session refresh included: a GET that changes state (a download marks the document
	// downloaded and writes the audit log) must not be triggered by another site.
	NotCrossSite
)

// Route is one route of an API function: a net/http pattern ("METHOD /path"), who may
// call it, from which sites, and the handler built from the function's dependencies D.
type Route[D any] struct {
	Pattern string
	Access  Access
	Sites   Sites
	Handler func(D) http.Handler
}

// authRoutes are the auth function's routes (ARCHITECTURE.md).
var authRoutes = []Route[AuthDeps]{
	{"GET /api/health", Public, AnySite, health},
	{"GET /api/spaces/{space}", Public, AnySite, space},
	{"POST /api/auth/login", Public, AnySite, login},
	{"POST /api/auth/logout", Public, AnySite, logout},
	{"POST /api/auth/recovery", Public, AnySite, recovery},
	{"POST /api/auth/recovery/inspect", Public, AnySite, inspect},
	{"POST /api/auth/recovery/complete", Public, AnySite, complete},
	{"GET /api/me", Session, AnySite, me},
	{"PUT /api/me/preferences", Session, AnySite, preferences},
	{"POST /api/me/password", Session, AnySite, changePassword},
}

// adminRoutes are the admin function's routes.
var adminRoutes = []Route[AdminDeps]{
	{"GET /api/admin/users", Admin, AnySite, users},
	{"POST /api/admin/users", Admin, AnySite, createUser},
	{"PATCH /api/admin/users/{identifier}", Admin, AnySite, updateUser},
	{"GET /api/admin/audit", Admin, AnySite, auditLog},
}

// documentsRoutes are the documents function's routes: every one needs a session but
// the no-login links (PRODUCT.md §5).
var documentsRoutes = []Route[DocumentsDeps]{
	{"GET /api/documents", Session, AnySite, listDocuments},
	{"GET /api/documents/{id}/download", Session, NotCrossSite, downloadDocument},
	{"POST /api/exports", Session, AnySite, requestExport},
	{"GET /api/exports/{id}", Session, AnySite, exportStatus},
	{"GET /api/links/{token}", Public, NotCrossSite, followLink},
}

// staffRoutes are the staff function's routes (PRODUCT.md §11): the supplier's console,
// under its own session; the space is always the member's.
var staffRoutes = []Route[StaffDeps]{
	{"POST /api/staff/login", Public, AnySite, staffLogin},
	{"POST /api/staff/logout", Public, AnySite, staffLogout},
	{"POST /api/staff/password/inspect", Public, AnySite, staffPasswordInspect},
	{"POST /api/staff/password", Public, AnySite, staffPasswordSet},
	{"GET /api/staff/me", Staff, AnySite, staffMeHandler},
	{"GET /api/staff/customers", Staff, AnySite, searchCustomers},
	{"GET /api/staff/customers/{number}", Staff, AnySite, viewCustomer},
	{"GET /api/staff/customers/{number}/documents", Staff, AnySite, customerDocuments},
	{"POST /api/staff/customers/{number}/activation", Staff, AnySite, resendActivation},
	{"DELETE /api/staff/customers/{number}/mail-status", Staff, AnySite, clearMailStatus},
	{"GET /api/staff/rejections", Supervisor, AnySite, staffRejections},
	{"GET /api/staff/audit", Supervisor, AnySite, staffAudit},
}

// The patterns each API function serves, derived from its table; template.yaml must
// declare exactly these, which the template checks compare.
var (
	AuthRoutes      = Patterns(authRoutes)
	AdminRoutes     = Patterns(adminRoutes)
	DocumentsRoutes = Patterns(documentsRoutes)
	StaffRoutes     = Patterns(staffRoutes)
)

// Patterns returns the patterns of a route table, in table order.
func Patterns[D any](routes []Route[D]) []string {
	out := make([]string, len(routes))
	for i, r := range routes {
		out[i] = r.Pattern
	}
	return out
}

// NewAuth returns the auth function's handler.
func NewAuth(d AuthDeps) http.Handler {
	return serve(newMux(authRoutes, d, d.Sessions, d.Log), d.PortalBaseURL, d.Log, d.Now)
}

// NewAdmin returns the admin function's handler.
func NewAdmin(d AdminDeps) http.Handler {
	return serve(newMux(adminRoutes, d, d.Sessions, d.Log), d.PortalBaseURL, d.Log, d.Now)
}

// NewDocuments returns the documents function's handler.
func NewDocuments(d DocumentsDeps) http.Handler {
	return serve(newMux(documentsRoutes, d, d.Sessions, d.Log), d.PortalBaseURL, d.Log, d.Now)
}

// accessGuard puts a handler behind the session check an access kind asks for.
type accessGuard interface {
	guardFor(a Access, h http.Handler) http.Handler
}

// NewStaff returns the staff function's handler.
func NewStaff(d StaffDeps) http.Handler {
	return serve(guardedMux(staffRoutes, d, d.Sessions, d.Log), d.PortalBaseURL, d.Log, d.Now)
}

// newMux registers a customer route table behind the customers' session checks.
func newMux[D any](routes []Route[D], d D, s *Sessions, log *slog.Logger) *http.ServeMux {
	return guardedMux(routes, d, s, log)
}

// guardedMux registers a route table, each handler behind the session check its access
// asks for, and answers the JSON 404 on every other path.
func guardedMux[D any](routes []Route[D], d D, g accessGuard, log *slog.Logger) *http.ServeMux {
	mux := http.NewServeMux()
	for _, r := range routes {
		h := r.Handler(d)
		if r.Access != Public {
			h = g.guardFor(r.Access, h)
		}
		if r.Sites == NotCrossSite {
			h = notCrossSite(log, h)
		}
		mux.Handle(r.Pattern, h)
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, log, errNotFound)
	}))
	return mux
}

// serve puts a function's mux behind the middleware every API answer goes through:
// security headers, the access log, and the same-origin guard of state-changing requests.
func serve(mux http.Handler, portalBaseURL string, log *slog.Logger, now func() time.Time) http.Handler {
	return secure(accessLog(log, now, guard(originOf(portalBaseURL), log, mux)))
}

func health(d AuthDeps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := d.Store.Ping(ctx); err != nil {
			d.Log.ErrorContext(ctx, "health: store unavailable", "error", err.Error())
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}
