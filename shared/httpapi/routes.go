package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// Pinger reports whether a dependency answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// AuthDeps are what the auth function's routes need.
type AuthDeps struct {
	Store Pinger
	Log   *slog.Logger
	Now   func() time.Time
}

// AuthRoutes are the routes of the auth function (ARCHITECTURE.md); template.yaml must
// declare exactly these for AuthFunction, which a test checks.
var AuthRoutes = []string{
	"GET /api/health",
}

// NewAuth returns the auth function's handler.
func NewAuth(d AuthDeps) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/health", health(d))
	return secure(accessLog(d.Log, d.Now, mux))
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
