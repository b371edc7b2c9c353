package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/tokens"
)

// failingStore fails the first read each accounts route makes with err. The embedded
// interface is nil: a route reaching any other method panics, which the test reports.
type failingStore struct {
	accounts.Store
	err error
}

func (f failingStore) Space(context.Context, string) (spaces.Space, error) {
	return spaces.Space{}, f.err
}

func (f failingStore) Account(context.Context, string) (accounts.Account, error) {
	return accounts.Account{}, f.err
}

func (f failingStore) AccountsOfCompany(context.Context, string, string) ([]accounts.Account, error) {
	return nil, f.err
}

func (f failingStore) AuditPage(context.Context, string, string, int) ([]audit.Entry, string, error) {
	return nil, "", f.err
}

func (f failingStore) DeleteSession(context.Context, string) error { return f.err }

// Token hands out a live recovery token, so set-password routes reach CurrentRecovery.
func (f failingStore) Token(context.Context, string) (tokens.Record, error) {
	return tokens.Record{Kind: tokens.KindRecovery, Space: "acme", Email: "jean@example.fr", ExpiresAt: time.Now().Add(time.Hour)}, nil
}

func (f failingStore) CurrentRecovery(context.Context, string, string) (string, error) {
	return "", f.err
}

// failingCounter fails every rate limit count, the first thing login and password
// changes read.
type failingCounter struct{ err error }

func (f failingCounter) AddCount(context.Context, string, time.Time) (int, error) { return 0, f.err }
func (f failingCounter) TakeCount(context.Context, string, int, time.Time) (bool, error) {
	return false, f.err
}
func (f failingCounter) ReturnCount(context.Context, string) error { return f.err }

type failingSpaces struct{ err error }

func (f failingSpaces) Space(context.Context, string) (spaces.Space, error) {
	return spaces.Space{}, f.err
}

type okPinger struct{}

func (okPinger) Ping(context.Context) error { return nil }

// faultCases are the errors every route is made to fail with, and the answer each must get.
var faultCases = []struct {
	name   string
	err    error
	status int
	code   string
}{
	{"invalid", fault.Invalid("", "injected"), 400, "bad_request"},
	{"not_found", fault.NotFound("injected"), 404, "not_found"},
	{"conflict", fault.New(fault.CodeConflict, "injected"), 409, "conflict"},
	{"unauthenticated", fault.New(fault.CodeUnauthenticated, "injected"), 401, "unauthenticated"},
	{"forbidden", fault.New(fault.CodeForbidden, "injected"), 403, "forbidden"},
	{"gone", fault.New(fault.CodeGone, "injected"), 410, "link_expired"},
	{"too_many", fault.New(fault.CodeTooMany, "injected"), 429, "too_many_requests"},
	{"too_large", fault.New(fault.CodeTooLarge, "injected"), 413, "too_large"},
	{"unsupported", fault.New(fault.CodeUnsupported, "injected"), 415, "bad_request"},
	{"internal", fault.New(fault.CodeInternal, "injected"), 500, "internal"},
	{"plain error", errors.New("injected"), 500, "internal"},
	{"reason", &fault.Error{Code: fault.CodeConflict, Reason: "identifier_taken"}, 409, "identifier_taken"},
}

// routeHandlers builds the four API functions with every dependency failing with err,
// behind sessions that let the test's admin in.
func routeHandlers(err error) map[string]http.Handler {
	log := slog.New(slog.DiscardHandler)
	admin := accounts.Account{Identifier: "jean", Space: "acme", CustomerNumber: "C001", Active: true, Admin: true}
	sess := NewSessions(fakeAuth{id: faultSession, acc: admin}, fakeSpaces{"acme": {ID: "acme"}}, log)
	svc := &accounts.Service{
		Store: failingStore{err: err}, Limiter: ratelimit.Limiter{Counter: failingCounter{err}, Now: time.Now},
		Limits: ratelimit.Default(), Hasher: password.Hasher{}, Now: time.Now, Log: log,
	}
	h := map[string]http.Handler{}
	add := func(routes []string, fn http.Handler) {
		for _, r := range routes {
			h[r] = fn
		}
	}
	add(AuthRoutes, NewAuth(AuthDeps{Store: okPinger{}, Accounts: svc, Sessions: sess, Spaces: failingSpaces{err},
		PortalBaseURL: docsPortal, Log: log, Now: time.Now}))
	add(AdminRoutes, NewAdmin(AdminDeps{Accounts: svc, Sessions: sess, PortalBaseURL: docsPortal, Log: log, Now: time.Now}))
	add(DocumentsRoutes, NewDocuments(DocumentsDeps{Sessions: sess, PortalBaseURL: docsPortal,
		Documents: &fakeDocumentService{err: err}, Exports: &fakeExportService{err: err}, Log: log, Now: time.Now}))
	add(StaffRoutes, NewStaff(staffHandler(err)))
	return h
}

// faultSession is a well-formed session id, which logout needs to reach the store.
var faultSession, _ = tokens.New()

// routeBodies are request bodies that get each state change past decoding.
var routeBodies = map[string]string{
	"POST /api/auth/recovery/inspect":  `{"token":"%TOKEN%"}`,
	"POST /api/auth/recovery/complete": `{"token":"%TOKEN%","identifier":"jean","password":"x","confirmation":"x"}`,
	"POST /api/exports":                `{"format":"zip"}`,
	"POST /api/staff/password/inspect": `{"token":"%TOKEN%"}`,
	"POST /api/staff/password":         `{"token":"%TOKEN%","password":"x","confirmation":"x"}`,
}

// TestRouteFaults walks every route of the four API functions with every fault code and
// checks that each is answered through the one table.
func TestRouteFaults(t *testing.T) {
	token, _ := tokens.New()
	var routes []string
	for _, list := range [][]string{AuthRoutes, AdminRoutes, DocumentsRoutes, StaffRoutes} {
		routes = append(routes, list...)
	}
	for _, fc := range faultCases {
		handlers := routeHandlers(fc.err)
		for _, route := range routes {
			t.Run(fc.name+"/"+route, func(t *testing.T) {
				method, path, _ := strings.Cut(route, " ")
				path = strings.NewReplacer("{space}", "acme", "{identifier}", "jean", "{id}", "e1", "{token}", token, "{number}", "C001").Replace(path)
				body := routeBodies[route]
				if body == "" {
					body = "{}"
				}
				r := httptest.NewRequest(method, path, strings.NewReader(strings.ReplaceAll(body, "%TOKEN%", token)))
				r.Header.Set("Origin", docsPortal)
				r.Header.Set("Content-Type", "application/json")
				r.AddCookie(&http.Cookie{Name: SessionCookie, Value: faultSession})
				r.AddCookie(&http.Cookie{Name: StaffCookie, Value: faultSession})
				w := httptest.NewRecorder()
				handlers[route].ServeHTTP(w, r)
				if route == "GET /api/health" || route == "GET /api/staff/me" {
					// Health reports the store, which this test does not fail; the staff me
					// is the session's member and space, read by the fakes.
					if w.Code != http.StatusOK {
						t.Errorf("got %d, want 200", w.Code)
					}
					return
				}
				var got struct {
					Error struct{ Code, Message string } `json:"error"`
				}
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
					t.Fatalf("got %d %q, not an error body: %v", w.Code, w.Body, err)
				}
				status, code := fc.status, fc.code
				if fc.name == "not_found" && strings.HasPrefix(route, "POST /api/staff/password") {
					// A set-password token or member not found is an expired link.
					status, code = http.StatusGone, "link_expired"
				}
				if w.Code != status || got.Error.Code != code {
					t.Errorf("got %d %s, want %d %s", w.Code, got.Error.Code, status, code)
				}
				if got.Error.Message == "" || strings.Contains(got.Error.Message, "injected") {
					t.Errorf("got message %q, want a client text without the cause", got.Error.Message)
				}
			})
		}
	}
}

// TestMeSpaceGone checks that GET /api/me answers a vanished space with 404, not 500.
func TestMeSpaceGone(t *testing.T) {
	h := routeHandlers(fault.NotFound("space"))["GET /api/me"]
	r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: faultSession})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var got struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(w.Body.Bytes(), &got)
	if w.Code != http.StatusNotFound || got.Error.Code != "not_found" {
		t.Errorf("got %d %s, want 404 not_found", w.Code, got.Error.Code)
	}
}

// TestErrorDetails checks what a fault shows the client besides its code.
func TestErrorDetails(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"field", fmt.Errorf("list: %w", fault.Invalid("limit", "want 1 to 200")),
			`{"error":{"code":"bad_request","field":"limit","message":"Valeur invalide : limit."}}`},
		{"rules", &password.PolicyError{Rules: []password.Rule{password.TooShort, password.NeedsDigit}},
			`{"error":{"code":"password_policy","message":"` + Message("password_policy", "fr") + `","rules":["too_short","needs_digit"]}}`},
		{"message key", &fault.Error{Code: fault.CodeForbidden, Message: "cross_origin"},
			`{"error":{"code":"forbidden","message":"Requête refusée : elle ne vient pas du portail."}}`},
		{"reason", accounts.ErrWrongPassword,
			`{"error":{"code":"wrong_password","message":"Le mot de passe actuel est incorrect."}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			writeError(w, httptest.NewRequest(http.MethodGet, "/", nil), discard, c.err)
			if got := strings.TrimSpace(w.Body.String()); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
}
