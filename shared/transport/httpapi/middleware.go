package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/efacture/efacture/shared/transport/httpctx"
)

// secure sets the headers of PRODUCT.md §6 on every API answer.
func secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// accessLog records the route pattern, never the raw path: tokens travel in paths. The
// API Gateway request id (the access log's requestId) is apiRequestId: requestId is
// Lambda's, which the log handler adds.
func accessLog(log *slog.Logger, now func() time.Time, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		log.InfoContext(r.Context(), "request", "route", r.Pattern, "status", rec.status,
			"ms", now().Sub(start).Milliseconds(), "apiRequestId", httpctx.RequestID(r.Context()))
	})
}
