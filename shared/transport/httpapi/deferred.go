package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
)

// Deferred serves the routes load returns, calling it until it succeeds. An API function
// starts a slow read (the signing secret) during init without waiting for it, so the
// read overlaps the rest of the cold start, and builds its routes when the first request
// needs them. A request whose load fails is answered as an internal error, its cause
// logged; the next request loads again.
func Deferred(load func(context.Context) (http.Handler, error), log *slog.Logger) http.Handler {
	var (
		mu     sync.Mutex
		routes http.Handler
	)
	return secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := routes
		mu.Unlock()
		if h == nil {
			loaded, err := load(r.Context())
			if err != nil {
				writeError(w, r, log, err)
				return
			}
			mu.Lock()
			if routes == nil { // concurrent first requests: the first routes stay
				routes = loaded
			}
			h = routes
			mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
}
