package httpapi

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/service/exports"
	"github.com/efacture/efacture/shared/service/listing"
)

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions}

// FuzzDocumentsAPI sends the documents function whatever a client can put in a request:
// method, path, query, cookies, Origin, Sec-Fetch-Site, Content-Type and body. It never
// panics or answers 5xx; every answer carries the security headers and no CORS header;
// a JSON error has a code and a message; the services are reached only with the one live
// session id, state changes only from the portal's origin with a JSON body, and always
// for the session's company.
func FuzzDocumentsAPI(f *testing.F) {
	seeds := []struct {
		method              uint8
		path, query, cookie string
		origin, site, ctype string
		body                string
	}{
		{0, "/api/documents", "limit=1&cursor=x.y", SessionCookie + "=session-1", "", "same-origin", "", ""},
		{0, "/api/documents/MjAyNi0xMS0wMiNGLTE/download", "", SessionCookie + "=session-1", "", "", "", ""},
		{1, "/api/exports", "", SessionCookie + "=session-1", docsPortal, "same-origin", "application/json", `{"ids":["MjAyNi0xMS0wMiNGLTE"],"format":"zip"}`},
		{1, "/api/exports", "", SessionCookie + "=session-1", "https://evil.example", "cross-site", "application/json", `{"format":"csv"}`},
		{1, "/api/exports", "", SessionCookie + "=session-1", docsPortal, "", "text/plain", `{"format":"csv"}`},
		{1, "/api/exports", "", SessionCookie + "=session-1; " + SessionCookie + "=other", docsPortal, "", "application/json; charset=utf-8", `{"format":"csv","space":"globex"}`},
		{0, "/api/exports/../links/AAAAAAAAAAAAAAAAAAAAAA", "", "", "", "", "", ""},
		{0, "/api/links/AAAAAAAAAAAAAAAAAAAAAA", "", SessionCookie + "=session-1", "", "", "", ""},
		{0, "/api/exports/%2e%2e", "", SessionCookie + "=\x00", "", "", "", ""},
		{3, "/api/documents", "", "", "null", "same-origin", "application/json", strings.Repeat("[", 1000)},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.query, s.cookie, s.origin, s.site, s.ctype, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, m uint8, path, query, cookie, origin, site, ctype string, body []byte) {
		method := fuzzMethods[int(m)%len(fuzzMethods)]
		docs := &fakeDocumentService{result: listing.Result{}, url: "https://archive.example/documents/acme/C001/x.pdf"}
		exp := &fakeExportService{export: exports.Export{ID: "e1", Status: exports.StatusPending}}
		h := newDocumentsHandler(docs, exp)
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		r := httptest.NewRequest(http.MethodGet, "/", bytes.NewReader(body))
		r.Method, r.URL = method, &url.URL{Path: path, RawQuery: query}
		r.RequestURI = r.URL.RequestURI()
		for k, v := range map[string]string{"Cookie": cookie, "Origin": origin, "Sec-Fetch-Site": site, "Content-Type": ctype} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		res := w.Result()

		if res.StatusCode >= 500 {
			t.Fatalf("%s %s: got %d %s", method, path, res.StatusCode, w.Body)
		}
		if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s %s: security headers missing: %v", method, path, res.Header)
		}
		for k := range res.Header {
			if strings.HasPrefix(strings.ToLower(k), "access-control-") {
				t.Fatalf("%s %s: CORS header %s", method, path, k)
			}
		}
		if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt == "application/json" && res.StatusCode >= 400 {
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s %s: error body %q", method, path, w.Body)
			}
		}

		reached := docs.caller != (listing.Caller{}) || exp.caller != (listing.Caller{})
		if !reached {
			return
		}
		if got := sessionID(r); got != "session-1" {
			t.Fatalf("%s %s: a service was reached with session %q", method, path, got)
		}
		for _, c := range []listing.Caller{docs.caller, exp.caller} {
			if c != (listing.Caller{}) && (c.Space != "acme" || c.CustomerNumber != "C001") {
				t.Fatalf("%s %s: a service acted for %+v, not the session's company", method, path, c)
			}
		}
		if exp.req.Format != "" || method != http.MethodGet && method != http.MethodHead {
			if !fromPortal(r, docsPortal) {
				t.Fatalf("%s %s: a state change passed with Origin %q, Sec-Fetch-Site %q", method, path, origin, site)
			}
			if mt, _, err := mime.ParseMediaType(ctype); err != nil || mt != "application/json" {
				t.Fatalf("%s %s: a state change passed with Content-Type %q", method, path, ctype)
			}
		}
	})
}

// FuzzDecode feeds decode the JSON bodies of the API's state changes: it accepts one
// object of known fields or answers 400 (413 past 64 KiB), and what it accepts re-encodes
// to an object that decodes again to the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"identifier":"pierre.durand@example.fr","password":"Camion-Rouge-42"}`, `{"identifier":1}`, `{"identifier":"a"}{"b":1}`,
		`{"ids":["a","b"],"format":"zip"}`, `{"from":"2026-01-01","to":"2026-11-26","type":"invoice","format":"csv","space":"globex"}`,
		`null`, `[]`, `"x"`, `{"password":"\u0000\ud800"}`, `{"ids":null}`, strings.Repeat(`{"a":`, 100), `{"identifier":"x","identifier":"y"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		check := func(v, fresh any) {
			r := httptest.NewRequest(http.MethodPost, "/api/x", bytes.NewReader(body))
			err := decode(httptest.NewRecorder(), r, v)
			if err != nil {
				if st := answers[fault.CodeOf(err)].status; st != http.StatusBadRequest && st != http.StatusRequestEntityTooLarge {
					t.Fatalf("%q: got %v, want a fault answered 400 or 413", body, err)
				}
				return
			}
			if len(body) > maxBody {
				t.Fatalf("%q: a body of %d bytes was accepted", body, len(body))
			}
			again, _ := json.Marshal(v)
			r = httptest.NewRequest(http.MethodPost, "/api/x", bytes.NewReader(again))
			if err := decode(httptest.NewRecorder(), r, fresh); err != nil {
				t.Fatalf("%q: re-encoded as %s, refused: %v", body, again, err)
			}
			if b, _ := json.Marshal(fresh); !bytes.Equal(b, again) {
				t.Fatalf("%q: decodes to %s, then to %s", body, again, b)
			}
		}
		type login struct {
			Identifier string `json:"identifier"`
			Password   string `json:"password"`
		}
		check(&login{}, &login{})
		check(&exports.Request{}, &exports.Request{})
	})
}

// FuzzSessionCookie feeds the Cookie header: the session id read is the value of a
// cookie named exactly SessionCookie, or "".
func FuzzSessionCookie(f *testing.F) {
	for _, s := range []string{SessionCookie + "=q8b2Lr0cXk4sWm9TzY1vNa", "a=b; " + SessionCookie + "=x", SessionCookie + "=", SessionCookie + "=\"quoted\"",
		"__host-efacture_session=x", SessionCookie + "=a;" + SessionCookie + "=b", "=;;;", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
		r.Header.Set("Cookie", header)
		id := sessionID(r)
		if id == "" {
			return
		}
		found := false
		for _, c := range r.Cookies() {
			found = found || c.Name == SessionCookie && c.Value == id
		}
		if !found {
			t.Fatalf("%q: read session id %q that no %s cookie carries", header, id, SessionCookie)
		}
	})
}
