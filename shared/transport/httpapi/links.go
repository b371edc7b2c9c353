package httpapi

import "net/http"

// followLink serves a no-login link (PRODUCT.md §5): no session, a 302 to the document's
// presigned URL, or 410 / 429. The access log records the route, never the token.
func followLink(d DocumentsDeps) http.Handler {
	return handle(d.Log, func(w http.ResponseWriter, r *http.Request) error {
		// The presigned URL must not leak to the file's host through a Referer either.
		w.Header().Set("Referrer-Policy", "no-referrer")
		url, err := d.Documents.FollowLink(r.Context(), r.PathValue("token"))
		if err != nil {
			return err
		}
		redirect(w, url)
		return nil
	})
}
