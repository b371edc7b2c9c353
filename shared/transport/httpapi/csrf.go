package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/efacture/efacture/shared/domain/fault"
)

// originOf returns the origin (scheme://host[:port]) of the portal's base URL, "" when it
// does not parse.
func originOf(baseURL string) string {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// guard refuses state-changing requests that do not come from the portal's own pages
// (PRODUCT.md §6): a POST, PUT, PATCH or DELETE needs an Origin equal to the portal's, or, when
// a browser sends none, Sec-Fetch-Site: same-origin; any Sec-Fetch-Site other than
// same-origin is refused. Its body must be JSON, which no cross-site HTML form can send.
// No CORS header is ever set, so no other origin may read an answer either.
func guard(portalOrigin string, log *slog.Logger, next http.Handler) http.Handler {
	return handle(log, func(w http.ResponseWriter, r *http.Request) error {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return nil
		}
		if !fromPortal(r, portalOrigin) {
			return &fault.Error{Code: fault.CodeForbidden, Message: "cross_origin", Detail: "state change from another origin"}
		}
		if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
			return &fault.Error{Code: fault.CodeUnsupported, Message: "not_json", Detail: "body not sent as JSON"}
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

// notCrossSite refuses a request the browser marks cross-site, whatever its method.
func notCrossSite(log *slog.Logger, next http.Handler) http.Handler {
	return handle(log, func(w http.ResponseWriter, r *http.Request) error {
		if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
			return &fault.Error{Code: fault.CodeForbidden, Message: "cross_origin", Detail: "cross-site request"}
		}
		next.ServeHTTP(w, r)
		return nil
	})
}

func fromPortal(r *http.Request, portalOrigin string) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	if site != "" && site != "same-origin" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		return portalOrigin != "" && strings.ToLower(o) == portalOrigin
	}
	return site == "same-origin"
}

// maxBody bounds JSON request bodies; none of the API's needs more.
const maxBody = 64 << 10

// decode reads one JSON object into v, refusing unknown fields, trailing data and bodies
// over maxBody: an invalid or a too_large fault.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.Decode(&struct{}{}) != io.EOF {
			err = errors.New("trailing data after the JSON object")
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return fault.Wrap(fault.CodeTooLarge, err)
	default:
		return fault.Wrap(fault.CodeInvalid, err)
	}
}
