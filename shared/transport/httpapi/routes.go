package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
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

// AuthRoutes are the routes of the auth function (ARCHITECTURE.md); template.yaml must
// declare exactly these for AuthFunction, which a test checks.
var AuthRoutes = []string{
	"GET /api/health",
	"GET /api/spaces/{space}",
	"POST /api/auth/login",
	"POST /api/auth/logout",
	"POST /api/auth/recovery",
	"POST /api/auth/recovery/inspect",
	"POST /api/auth/recovery/complete",
	"GET /api/me",
	"PUT /api/me/preferences",
	"POST /api/me/password",
}

func authHandlers(d AuthDeps) map[string]http.Handler {
	return map[string]http.Handler{
		"GET /api/health":                  health(d),
		"GET /api/spaces/{space}":          space(d),
		"POST /api/auth/login":             login(d),
		"POST /api/auth/logout":            logout(d),
		"POST /api/auth/recovery":          recovery(d),
		"POST /api/auth/recovery/inspect":  inspect(d),
		"POST /api/auth/recovery/complete": complete(d),
		"GET /api/me":                      d.Sessions.Require(me(d)),
		"PUT /api/me/preferences":          d.Sessions.Require(preferences(d)),
		"POST /api/me/password":            d.Sessions.Require(changePassword(d)),
	}
}

// NewAuth returns the auth function's handler.
func NewAuth(d AuthDeps) http.Handler {
	return serve(authHandlers(d), d.PortalBaseURL, d.Log, d.Now)
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

// AdminRoutes are the routes of the admin function; template.yaml must declare exactly
// these for AdminFunction, which a test checks.
var AdminRoutes = []string{
	"GET /api/admin/users",
	"POST /api/admin/users",
	"PATCH /api/admin/users/{identifier}",
	"GET /api/admin/audit",
}

func adminHandlers(d AdminDeps) map[string]http.Handler {
	return map[string]http.Handler{
		"GET /api/admin/users":                d.Sessions.RequireAdmin(users(d)),
		"POST /api/admin/users":               d.Sessions.RequireAdmin(createUser(d)),
		"PATCH /api/admin/users/{identifier}": d.Sessions.RequireAdmin(updateUser(d)),
		"GET /api/admin/audit":                d.Sessions.RequireAdmin(auditLog(d)),
	}
}

// NewAdmin returns the admin function's handler.
func NewAdmin(d AdminDeps) http.Handler {
	return serve(adminHandlers(d), d.PortalBaseURL, d.Log, d.Now)
}

// serve puts routes behind the middleware every API answer goes through: security
// headers, the access log, and the same-origin guard of state-changing requests.
func serve(routes map[string]http.Handler, portalBaseURL string, log *slog.Logger, now func() time.Time) http.Handler {
	mux := http.NewServeMux()
	for pattern, h := range routes {
		mux.Handle(pattern, h)
	}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, log, errNotFound)
	}))
	return secure(accessLog(log, now, guard(originOf(portalBaseURL), log, mux)))
}

// patterns returns the sorted keys of a route map.
func patterns(routes map[string]http.Handler) []string {
	out := make([]string, 0, len(routes))
	for p := range routes {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
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
