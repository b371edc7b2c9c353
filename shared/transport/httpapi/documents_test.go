package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/service/exports"
	"github.com/efacture/efacture/shared/service/listing"
)

// docsAuthenticator knows one session id, for one account.
type docsAuthenticator struct{ account accounts.Account }

func (a docsAuthenticator) Authenticate(ctx context.Context, id string) (accounts.Account, sessions.Session, error) {
	if id != "session-1" {
		return accounts.Account{}, sessions.Session{}, fault.ErrUnauthenticated
	}
	return a.account, sessions.Session{Identifier: a.account.Identifier}, nil
}

type docsSpaces struct{}

func (docsSpaces) Space(ctx context.Context, id string) (spaces.Space, error) {
	return spaces.Space{ID: id, Name: id}, nil
}

// fakeDocumentService records what it was asked and answers what the test set.
type fakeDocumentService struct {
	caller listing.Caller
	params listing.Params
	id     string
	token  string
	result listing.Result
	url    string
	err    error
}

func (f *fakeDocumentService) List(ctx context.Context, c listing.Caller, p listing.Params) (listing.Result, error) {
	f.caller, f.params = c, p
	return f.result, f.err
}

func (f *fakeDocumentService) Download(ctx context.Context, c listing.Caller, id string) (string, error) {
	f.caller, f.id = c, id
	return f.url, f.err
}

func (f *fakeDocumentService) FollowLink(ctx context.Context, token string) (string, error) {
	f.token = token
	return f.url, f.err
}

type fakeExportService struct {
	caller listing.Caller
	req    exports.Request
	export exports.Export
	url    string
	err    error
}

func (f *fakeExportService) Request(ctx context.Context, c listing.Caller, r exports.Request) (exports.Export, error) {
	f.caller, f.req = c, r
	return f.export, f.err
}

func (f *fakeExportService) Status(ctx context.Context, c listing.Caller, id string) (exports.Export, string, error) {
	f.caller = c
	return f.export, f.url, f.err
}

const docsPortal = "https://portal.example"

func newDocumentsHandler(docs *fakeDocumentService, exp *fakeExportService) http.Handler {
	log := slog.New(slog.DiscardHandler)
	acct := accounts.Account{Identifier: "pierre", Space: "acme", CustomerNumber: "C001", HistoryMonths: 6, Language: "en", Active: true}
	return NewDocuments(DocumentsDeps{
		Sessions: NewSessions(docsAuthenticator{acct}, docsSpaces{}, log), PortalBaseURL: docsPortal,
		Documents: docs, Exports: exp, Log: log, Now: time.Now,
	})
}

type docsRequest struct {
	method, target, body string
	signedIn             bool
	headers              map[string]string
}

func serveDocs(h http.Handler, rq docsRequest) *http.Response {
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r := httptest.NewRequest(rq.method, rq.target, body)
	if rq.signedIn {
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: "session-1"})
	}
	for k, v := range rq.headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func docsErrorCode(t *testing.T, res *http.Response) string {
	t.Helper()
	var body struct {
		Error struct{ Code, Message, Field string }
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("error body: %v", err)
	}
	return body.Error.Code
}

func TestDocumentsRequireSession(t *testing.T) {
	h := newDocumentsHandler(&fakeDocumentService{}, &fakeExportService{})
	for _, route := range DocumentsRoutes {
		if strings.HasPrefix(route, "GET /api/links/") {
			continue
		}
		method, path, _ := strings.Cut(route, " ")
		path = strings.NewReplacer("{id}", "x").Replace(path)
		t.Run(route, func(t *testing.T) {
			res := serveDocs(h, docsRequest{method: method, target: path, body: "{}",
				headers: map[string]string{"Origin": docsPortal, "Content-Type": "application/json"}})
			if res.StatusCode != http.StatusUnauthorized || docsErrorCode(t, res) != "unauthenticated" {
				t.Errorf("got %d, want 401 unauthenticated", res.StatusCode)
			}
		})
	}
}

func TestListDocuments(t *testing.T) {
	dl := time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)
	docs := &fakeDocumentService{result: listing.Result{Items: []documents.Document{
		{Number: "F-1", Type: "invoice", IssueDate: "2026-11-20", Amount: "1440.00", Currency: "EUR", Copy: true,
			Profile: "EN 16931", ExpiresAt: time.Date(2028, 11, 20, 22, 59, 59, 0, time.UTC), DownloadedAt: &dl},
		{Number: "A-1", Type: "credit_note", IssueDate: "2026-11-19", Duplicate: true, ExpiresAt: time.Date(2028, 11, 19, 22, 59, 59, 0, time.UTC)},
	}, NextCursor: "next.sig"}}
	h := newDocumentsHandler(docs, &fakeExportService{})
	res := serveDocs(h, docsRequest{method: "GET", target: "/api/documents?from=2026-01-01&type=invoice&number=F&numberMatch=exact&limit=2&cursor=c.s", signedIn: true})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("got %d", res.StatusCode)
	}
	want := listing.Params{From: "2026-01-01", Type: "invoice", Number: "F", NumberMatch: "exact", Limit: "2", Cursor: "c.s"}
	if docs.params != want {
		t.Errorf("got params %+v, want %+v", docs.params, want)
	}
	wantCaller := listing.Caller{Identifier: "pierre", Space: "acme", CustomerNumber: "C001", HistoryMonths: 6, Language: "en"}
	if docs.caller != wantCaller {
		t.Errorf("got caller %+v, want %+v", docs.caller, wantCaller)
	}
	b, _ := io.ReadAll(res.Body)
	wantBody := `{"items":[` +
		`{"id":"` + documents.EncodeID("2026-11-20#F-1") + `","number":"F-1","type":"invoice","issueDate":"2026-11-20","amount":"1440.00","currency":"EUR","duplicate":false,"copy":true,"profile":"EN 16931","expiresAt":"2028-11-20T22:59:59Z","downloadedAt":"2026-11-21T08:00:00Z"},` +
		`{"id":"` + documents.EncodeID("2026-11-19#A-1") + `","number":"A-1","type":"credit_note","issueDate":"2026-11-19","amount":null,"currency":null,"duplicate":true,"copy":false,"profile":null,"expiresAt":"2028-11-19T22:59:59Z","downloadedAt":null}` +
		`],"nextCursor":"next.sig"}` + "\n"
	if string(b) != wantBody {
		t.Errorf("got body\n%s\nwant\n%s", b, wantBody)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}

	docs.result = listing.Result{Items: []documents.Document{}}
	res = serveDocs(h, docsRequest{method: "GET", target: "/api/documents", signedIn: true})
	if b, _ := io.ReadAll(res.Body); string(b) != `{"items":[],"nextCursor":null}`+"\n" {
		t.Errorf("last page: got %s", b)
	}
}

func TestDocumentErrors(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"bad parameter", fault.Invalid("limit", "want 1 to 200"), 400, "bad_request"},
		{"bad cursor", fault.Invalid("cursor", "x"), 400, "bad_request"},
		{"not found", fault.ErrNotFound, 404, "not_found"},
		{"store down", errors.New("dynamodb: throttled"), 500, "internal"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newDocumentsHandler(&fakeDocumentService{err: c.err}, &fakeExportService{})
			for _, target := range []string{"/api/documents", "/api/documents/abc/download"} {
				res := serveDocs(h, docsRequest{method: "GET", target: target, signedIn: true})
				if res.StatusCode != c.status {
					t.Errorf("%s: got %d, want %d", target, res.StatusCode, c.status)
				}
				if got := docsErrorCode(t, res); got != c.code {
					t.Errorf("%s: got code %q, want %q", target, got, c.code)
				}
			}
		})
	}
}

func TestDownloadRedirects(t *testing.T) {
	docs := &fakeDocumentService{url: "http://127.0.0.1:4566/archive/documents/a.pdf?X-Amz-Expires=60"}
	h := newDocumentsHandler(docs, &fakeExportService{})
	res := serveDocs(h, docsRequest{method: "GET", target: "/api/documents/MjAyNi0xMS0yMCNGLTE/download", signedIn: true})
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != docs.url {
		t.Fatalf("got %d to %q, want 302 to %q", res.StatusCode, res.Header.Get("Location"), docs.url)
	}
	if docs.id != "MjAyNi0xMS0yMCNGLTE" || docs.caller.CustomerNumber != "C001" {
		t.Errorf("got id %q caller %+v", docs.id, docs.caller)
	}
	if b, _ := io.ReadAll(res.Body); len(b) != 0 {
		t.Errorf("got a body %q, want none", b)
	}
}

// TestFollowLinkAnswersTheLinkPage: the portal's link page asks for JSON and gets the
// URL to open; browsers navigating get the 302; a cross-site request never reaches the
// service, so it counts no use.
func TestFollowLinkAnswersTheLinkPage(t *testing.T) {
	token := "AAAAAAAAAAAAAAAAAAAAAA"
	url := "http://127.0.0.1:4566/archive/documents/a.pdf"
	for _, c := range []struct {
		name    string
		headers map[string]string
		status  int
		called  bool
	}{
		{"page's fetch", map[string]string{"Accept": "application/json", "Sec-Fetch-Site": "same-origin"}, http.StatusOK, true},
		{"navigation", map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8", "Sec-Fetch-Site": "same-origin"}, http.StatusFound, true},
		{"no headers", nil, http.StatusFound, true},
		{"cross-site navigation", map[string]string{"Accept": "text/html", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, false},
		{"cross-site fetch", map[string]string{"Accept": "application/json", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			docs := &fakeDocumentService{url: url}
			res := serveDocs(newDocumentsHandler(docs, &fakeExportService{}), docsRequest{method: "GET", target: "/api/links/" + token, headers: c.headers})
			if res.StatusCode != c.status {
				t.Fatalf("got %d, want %d", res.StatusCode, c.status)
			}
			if called := docs.token != ""; called != c.called {
				t.Errorf("service called: got %v, want %v", called, c.called)
			}
			switch c.status {
			case http.StatusOK:
				var body struct{ URL string }
				if err := json.NewDecoder(res.Body).Decode(&body); err != nil || body.URL != url || res.Header.Get("Location") != "" {
					t.Errorf("got %+v (%v), Location %q; want the URL in the body only", body, err, res.Header.Get("Location"))
				}
			case http.StatusForbidden:
				if code := docsErrorCode(t, res); code != "forbidden" || res.Header.Get("Location") != "" {
					t.Errorf("got code %q, Location %q; want forbidden and no URL", code, res.Header.Get("Location"))
				}
			}
		})
	}
}

func TestFollowLinkHandler(t *testing.T) {
	token := "AAAAAAAAAAAAAAAAAAAAAA"
	cases := []struct {
		name   string
		err    error
		status int
	}{
		{"valid", nil, http.StatusFound},
		{"expired", fault.ErrGone, http.StatusGone},
		{"too often", fault.ErrTooMany, http.StatusTooManyRequests},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			docs := &fakeDocumentService{url: "http://127.0.0.1:4566/archive/documents/a.pdf", err: c.err}
			h := newDocumentsHandler(docs, &fakeExportService{})
			res := serveDocs(h, docsRequest{method: "GET", target: "/api/links/" + token})
			if res.StatusCode != c.status {
				t.Fatalf("got %d, want %d", res.StatusCode, c.status)
			}
			if docs.token != token {
				t.Errorf("got token %q, want %q", docs.token, token)
			}
			if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("got Referrer-Policy %q, want no-referrer", got)
			}
			if c.err == nil && res.Header.Get("Location") != docs.url {
				t.Errorf("got Location %q", res.Header.Get("Location"))
			}
		})
	}
}

func TestExportsHandlers(t *testing.T) {
	json := map[string]string{"Origin": docsPortal, "Content-Type": "application/json"}
	t.Run("request", func(t *testing.T) {
		exp := &fakeExportService{export: exports.Export{ID: "e1", Status: exports.StatusPending}}
		h := newDocumentsHandler(&fakeDocumentService{}, exp)
		res := serveDocs(h, docsRequest{method: "POST", target: "/api/exports", signedIn: true, headers: json,
			body: `{"ids":["a","b"],"format":"zip"}`})
		if res.StatusCode != http.StatusAccepted {
			t.Fatalf("got %d, want 202", res.StatusCode)
		}
		if b, _ := io.ReadAll(res.Body); string(b) != `{"id":"e1","status":"pending"}`+"\n" {
			t.Errorf("got %s", b)
		}
		if exp.req.Format != "zip" || len(exp.req.IDs) != 2 || exp.caller.Identifier != "pierre" {
			t.Errorf("got request %+v from %+v", exp.req, exp.caller)
		}
	})
	refused := []struct {
		name    string
		headers map[string]string
		body    string
		err     error
		status  int
	}{
		{"too large", json, `{"from":"2025-01-01","format":"csv"}`, fault.ErrTooLarge, 413},
		{"invalid", json, `{"format":"pdf"}`, fault.ErrInvalid, 400},
		{"unknown id", json, `{"ids":["x"],"format":"zip"}`, fault.ErrNotFound, 404},
		{"unknown field", json, `{"format":"zip","company":"C002"}`, nil, 400},
		{"not JSON", map[string]string{"Origin": docsPortal, "Content-Type": "application/x-www-form-urlencoded"}, `format=zip`, nil, 415},
		{"other origin", map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"}, `{"format":"zip"}`, nil, 403},
	}
	for _, c := range refused {
		t.Run(c.name, func(t *testing.T) {
			exp := &fakeExportService{err: c.err}
			h := newDocumentsHandler(&fakeDocumentService{}, exp)
			res := serveDocs(h, docsRequest{method: "POST", target: "/api/exports", signedIn: true, headers: c.headers, body: c.body})
			if res.StatusCode != c.status {
				t.Errorf("got %d, want %d", res.StatusCode, c.status)
			}
		})
	}
	t.Run("status", func(t *testing.T) {
		exp := &fakeExportService{export: exports.Export{ID: "e1", Status: exports.StatusReady, ExpiresAt: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}, url: "http://127.0.0.1/x.zip"}
		h := newDocumentsHandler(&fakeDocumentService{}, exp)
		res := serveDocs(h, docsRequest{method: "GET", target: "/api/exports/e1", signedIn: true})
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || string(b) != `{"id":"e1","status":"ready","url":"http://127.0.0.1/x.zip","expiresAt":"2026-11-27T10:00:00Z"}`+"\n" {
			t.Errorf("got %d %s", res.StatusCode, b)
		}
		exp.export, exp.url = exports.Export{ID: "e1", Status: exports.StatusPending}, ""
		res = serveDocs(h, docsRequest{method: "GET", target: "/api/exports/e1", signedIn: true})
		if b, _ := io.ReadAll(res.Body); string(b) != `{"id":"e1","status":"pending"}`+"\n" {
			t.Errorf("pending: got %s", b)
		}
		exp.err = fault.ErrNotFound
		if res := serveDocs(h, docsRequest{method: "GET", target: "/api/exports/e1", signedIn: true}); res.StatusCode != 404 {
			t.Errorf("foreign: got %d, want 404", res.StatusCode)
		}
	})
}

// TestDocumentsNotFound: an unrouted path answers the JSON 404 every API function gives.
func TestDocumentsNotFound(t *testing.T) {
	h := newDocumentsHandler(&fakeDocumentService{}, &fakeExportService{})
	for _, target := range []string{"/api/documents/x/y", "/api/nothing-here"} {
		res := serveDocs(h, docsRequest{method: http.MethodGet, target: target, signedIn: true})
		if res.StatusCode != http.StatusNotFound || docsErrorCode(t, res) != "not_found" {
			t.Errorf("%s: got %d, want 404 not_found", target, res.StatusCode)
		}
	}
}
