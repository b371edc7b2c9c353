package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestFromCloudFront(t *testing.T) {
	var seen string
	h := FromCloudFront("s3cret", 1, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.RemoteAddr + "|" + r.Header.Get(OriginHeader)
	}))
	cases := []struct {
		name, secret, xff string
		status            int
		remote            string
	}{
		{"no header", "", "", http.StatusForbidden, ""},
		{"wrong secret", "guess", "203.0.113.9", http.StatusForbidden, ""},
		{"right secret", "s3cret", "198.51.100.1, 203.0.113.9", http.StatusOK, "203.0.113.9|"},
		{"spoofed left entries ignored", "s3cret", "10.0.0.1, 10.0.0.2, 203.0.113.9", http.StatusOK, "203.0.113.9|"},
		{"no forwarded address", "s3cret", "", http.StatusOK, "192.0.2.1:1234|"},
		{"garbage hop", "s3cret", "not-an-ip", http.StatusOK, "192.0.2.1:1234|"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seen = ""
			r := httptest.NewRequest("GET", "/api/health", nil)
			r.RemoteAddr = "192.0.2.1:1234"
			if c.secret != "" {
				r.Header.Set(OriginHeader, c.secret)
			}
			if c.xff != "" {
				r.Header.Set("X-Forwarded-For", c.xff)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.status || seen != c.remote {
				t.Errorf("got %d %q, want %d %q", w.Code, seen, c.status, c.remote)
			}
		})
	}
	// Without a secret the check fails closed: every request is refused, even one
	// carrying an empty header.
	closed := FromCloudFront("", 1, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = "served" }))
	for _, header := range []string{"", "anything"} {
		seen = ""
		r := httptest.NewRequest("GET", "/api/health", nil)
		r.Header["X-Origin-Verify"] = []string{header}
		w := httptest.NewRecorder()
		closed.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || seen != "" {
			t.Errorf("without a secret, header %q: got %d %q, want 403 and nothing served", header, w.Code, seen)
		}
	}
}
