package httpapi

import (
	"mime"
	"net/http"
	"strings"
)

// followLink serves a no-login link (PRODUCT.md §5): no session, a 302 to the document's
// presigned URL, or 410 / 429. The portal's link page asks for JSON instead
// ({"url": …}): a navigation would replace the page with an error it cannot explain, a
// fetch lets it show the message and then open the file. Either way one request is one
// use. Cross-site requests are refused before this runs (NotCrossSite). The access log
// records the route, never the token.
func followLink(d DocumentsDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		// The presigned URL must not leak to the file's host through a Referer either.
		w.Header().Set("Referrer-Policy", "no-referrer")
		url, err := d.Documents.FollowLink(r.Context(), r.PathValue("token"))
		if err != nil {
			return err
		}
		if wantsJSON(r) {
			writeJSON(w, http.StatusOK, map[string]string{"url": url})
			return nil
		}
		redirect(w, url)
		return nil
	})
}

// wantsJSON reports whether the request's Accept names JSON first, as the portal's
// scripts send it; browsers navigating ask for HTML.
func wantsJSON(r *http.Request) bool {
	first, _, _ := strings.Cut(r.Header.Get("Accept"), ",")
	mt, _, err := mime.ParseMediaType(strings.TrimSpace(first))
	return err == nil && mt == "application/json"
}
