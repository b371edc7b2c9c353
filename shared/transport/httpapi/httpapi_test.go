package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/spaces"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// TestRouteLists keeps the exported lists, which the template is checked against, equal
// to the routes the handlers register.
func TestRouteLists(t *testing.T) {
	check := func(name string, mux *http.ServeMux, listed []string) {
		var got []string
		for _, p := range listed {
			method, path, _ := strings.Cut(p, " ")
			path = regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(path, "x")
			if _, pattern := mux.Handler(httptest.NewRequest(method, path, nil)); pattern != "" && pattern != "/" {
				got = append(got, pattern)
			}
		}
		if got, want := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(listed)); !slices.Equal(got, want) {
			t.Errorf("%s: registered %q, listed %q", name, got, want)
		}
	}
	check("auth", newMux(authRoutes, AuthDeps{}, nil, discard), AuthRoutes)
	check("admin", newMux(adminRoutes, AdminDeps{}, nil, discard), AdminRoutes)
	check("documents", newMux(documentsRoutes, DocumentsDeps{}, nil, discard), DocumentsRoutes)
}

func TestGuard(t *testing.T) {
	const origin = "https://portal.example"
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := guard(originOf(origin+"/"), discard, ok)
	tests := []struct {
		name, method, origin, site, ctype string
		want                              int
	}{
		{"GET passes", http.MethodGet, "", "", "", http.StatusTeapot},
		{"HEAD passes", http.MethodHead, "https://evil.example", "cross-site", "", http.StatusTeapot},
		{"POST from the portal", http.MethodPost, origin, "same-origin", "application/json", http.StatusTeapot},
		{"origin in another case", http.MethodPost, "HTTPS://Portal.Example", "", "application/json", http.StatusTeapot},
		{"PUT with fetch metadata only", http.MethodPut, "", "same-origin", "application/json", http.StatusTeapot},
		{"PATCH without anything", http.MethodPatch, "", "", "application/json", http.StatusForbidden},
		{"DELETE cross-site", http.MethodDelete, origin, "cross-site", "application/json", http.StatusForbidden},
		{"POST user-initiated navigation", http.MethodPost, "", "none", "application/json", http.StatusForbidden},
		{"POST other port", http.MethodPost, "https://portal.example:8443", "", "application/json", http.StatusForbidden},
		{"POST other scheme", http.MethodPost, "http://portal.example", "", "application/json", http.StatusForbidden},
		{"POST without a content type", http.MethodPost, origin, "same-origin", "", http.StatusUnsupportedMediaType},
		{"POST multipart", http.MethodPost, origin, "same-origin", "multipart/form-data; boundary=x", http.StatusUnsupportedMediaType},
		{"POST JSON with charset", http.MethodPost, origin, "", "application/json; charset=utf-8", http.StatusTeapot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/api/x", strings.NewReader("{}"))
			for k, v := range map[string]string{"Origin": tt.origin, "Sec-Fetch-Site": tt.site, "Content-Type": tt.ctype} {
				if v != "" {
					r.Header.Set(k, v)
				}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Errorf("got %d, want %d", w.Code, tt.want)
			}
		})
	}
	if got := originOf("not a url"); got != "" {
		t.Errorf("originOf garbage: got %q, want empty", got)
	}
}

func TestClientIP(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1":                   "192.0.2.1",
		"192.0.2.1:51234":             "192.0.2.1",
		"[2001:db8::1]:443":           "2001:db8::/64",
		"2001:db8::1":                 "2001:db8::/64",
		"2001:db8:0:7:aaaa:bbbb::1":   "2001:db8:0:7::/64",
		"[2001:db8:0:7:ffff::2]:1234": "2001:db8:0:7::/64",
		"fe80::1%eth0":                "fe80::/64",
		"::ffff:192.0.2.7":            "192.0.2.7",
		"":                            "unknown",
		"garbage":                     "unknown",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		if got := clientIP(r); got != want {
			t.Errorf("clientIP(%q): got %q, want %q", remote, got, want)
		}
	}
}

func TestLang(t *testing.T) {
	for header, want := range map[string]string{
		"":                         "fr",
		"en":                       "en",
		"en-US,en;q=0.9":           "en",
		"fr-FR,fr;q=0.9,en;q=0.8":  "fr",
		"de-DE,en;q=0.7,fr;q=0.3":  "en",
		"enx":                      "fr",
		"es, *":                    "fr",
		" EN-gb ; q=1":             "en",
		"de;q=1, fr-CA;q=0.5, en;": "fr",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept-Language", header)
		if got := lang(r); got != want {
			t.Errorf("lang(%q): got %q, want %q", header, got, want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Accept-Language", "fr")
	r = r.WithContext(context.WithValue(r.Context(), callerKey{}, Caller{Account: accounts.Account{Language: "en"}}))
	if got := lang(r); got != "en" {
		t.Errorf("signed-in English account: got %q, want en", got)
	}
}

// fakeAuth answers one session id.
type fakeAuth struct {
	id  string
	acc accounts.Account
}

func (f fakeAuth) Authenticate(_ context.Context, id string) (accounts.Account, sessions.Session, error) {
	if id != f.id {
		return accounts.Account{}, sessions.Session{}, fault.ErrUnauthenticated
	}
	return f.acc, sessions.Session{Identifier: f.acc.Identifier}, nil
}

type fakeSpaces map[string]spaces.Space

func (f fakeSpaces) Space(_ context.Context, id string) (spaces.Space, error) {
	sp, ok := f[id]
	if !ok {
		return spaces.Space{}, fault.NotFound("space")
	}
	return sp, nil
}

func TestSessions(t *testing.T) {
	const id = "q8b2Lr0cXk4sWm9TzY1vNa"
	user := accounts.Account{Identifier: "jean.dupont", Space: "acme", CustomerNumber: "C001", Active: true}
	admin := user
	admin.Admin = true
	reached := func(w http.ResponseWriter, r *http.Request) {
		c, ok := CallerFrom(r.Context())
		if !ok {
			t.Error("no caller in the context")
		}
		json.NewEncoder(w).Encode(map[string]string{"company": c.Company, "space": c.Space.Name})
	}
	sp := fakeSpaces{"acme": {ID: "acme", Name: "Acme"}}
	tests := []struct {
		name   string
		acc    accounts.Account
		cookie string
		admin  bool
		want   int
	}{
		{"no cookie", user, "", false, http.StatusUnauthorized},
		{"unknown id", user, "AAAAAAAAAAAAAAAAAAAAAA", false, http.StatusUnauthorized},
		{"live session", user, id, false, http.StatusOK},
		{"non-admin on an admin route", user, id, true, http.StatusForbidden},
		{"admin on an admin route", admin, id, true, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewSessions(fakeAuth{id: id, acc: tt.acc}, sp, discard)
			h := s.Require(http.HandlerFunc(reached))
			if tt.admin {
				h = s.RequireAdmin(http.HandlerFunc(reached))
			}
			r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
			if tt.cookie != "" {
				r.AddCookie(&http.Cookie{Name: SessionCookie, Value: tt.cookie})
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.want)
			}
			if tt.want == http.StatusOK && !strings.Contains(w.Body.String(), `"company":"acme#C001"`) {
				t.Errorf("handler saw %s", w.Body)
			}
			if tt.cookie != "" && tt.want == http.StatusUnauthorized && !strings.Contains(w.Header().Get("Set-Cookie"), "Max-Age=0") {
				t.Errorf("a dead session's cookie was not cleared: %q", w.Header().Get("Set-Cookie"))
			}
		})
	}
}

func TestErrorBody(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := httptest.NewRecorder()
	writeError(w, r, discard, &fault.Error{Code: fault.CodeNotFound, Reason: "no_account", Args: []string{"x@y.fr"}})
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if w.Code != http.StatusNotFound || body.Error.Code != "no_account" || body.Error.Message != "Aucun compte trouvé pour x@y.fr" {
		t.Errorf("got %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	writeError(w, r, discard, io.ErrUnexpectedEOF)
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "EOF") {
		t.Errorf("an internal error leaked or got the wrong status: %d %s", w.Code, w.Body)
	}
}
