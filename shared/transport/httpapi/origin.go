package httpapi

import (
	"crypto/subtle"
	"net/http"
	"net/netip"
	"strings"

	"github.com/efacture/efacture/shared/domain/fault"
)

// OriginHeader is the header CloudFront adds to every /api/* request it forwards.
const OriginHeader = "X-Origin-Verify"

// FromCloudFront refuses requests that did not come through the deployment's CloudFront
// distribution (PRODUCT.md §9): without the secret origin header, a client could reach the API
// directly and choose its own X-Forwarded-For. Once the header is checked, the client
// address becomes the trusted hop of X-Forwarded-For: the hop-th entry from the right,
// which CloudFront wrote. An empty secret refuses every request: a check that turned
// itself off would open the API to anyone who finds its URL.
func FromCloudFront(secret string, hop int, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get(OriginHeader)
		if secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			writeError(w, r, nil, fault.New(fault.CodeForbidden, "not through CloudFront"))
			return
		}
		r.Header.Del(OriginHeader) // nothing downstream needs the secret
		if ip, ok := forwardedHop(r.Header.Values("X-Forwarded-For"), hop); ok {
			r.RemoteAddr = ip
		}
		next.ServeHTTP(w, r)
	})
}

// forwardedHop returns the hop-th address from the right of X-Forwarded-For.
func forwardedHop(values []string, hop int) (string, bool) {
	if hop <= 0 {
		return "", false
	}
	var entries []string
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				entries = append(entries, e)
			}
		}
	}
	if len(entries) < hop {
		return "", false
	}
	ip, err := netip.ParseAddr(entries[len(entries)-hop])
	if err != nil {
		return "", false
	}
	return ip.Unmap().String(), true
}
