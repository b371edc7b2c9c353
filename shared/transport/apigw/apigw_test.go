package apigw_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/httpctx"
)

func TestFixtureRoundTrip(t *testing.T) {
	raw, err := os.ReadFile("../../../events/http-health.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.RequestContext.HTTP.SourceIP != "203.0.113.10" || ev.RouteKey != "GET /api/health" {
		t.Fatalf("fixture decoded wrong: %+v", ev)
	}
	again, _ := json.Marshal(ev)
	var ev2 events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(again, &ev2); err != nil || !reflect.DeepEqual(ev, ev2) {
		t.Errorf("fixture does not round-trip: %v", err)
	}
}

func TestHandlerCarriesRequest(t *testing.T) {
	var got *http.Request
	var body string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		b, _ := io.ReadAll(r.Body)
		body = string(b)
		http.SetCookie(w, &http.Cookie{Name: "a", Value: "1"})
		http.SetCookie(w, &http.Cookie{Name: "b", Value: "2"})
		w.Header().Set("Content-Type", "application/pdf")
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte{0xff, 0x00, 0x01})
	})
	ev := events.APIGatewayV2HTTPRequest{
		RouteKey: "POST /api/links/{token}", RawPath: "/api/links/a%2Fb", RawQueryString: "x=1&y=%C3%A9",
		Headers: map[string]string{"content-type": "application/json", "origin": "https://portal.example"},
		Cookies: []string{"s=abc", "t=def"}, Body: "eyJrIjoidiJ9", IsBase64Encoded: true,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "req-1", DomainName: "portal.example",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/api/links/a/b", SourceIP: "203.0.113.9"},
		},
	}
	res, err := apigw.Handler(h)(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"method", got.Method, "POST"},
		{"escaped path", got.URL.EscapedPath(), "/api/links/a%2Fb"},
		{"query", got.URL.Query().Get("y"), "é"},
		{"cookie", cookie(got, "t"), "def"},
		{"body", body, `{"k":"v"}`},
		{"remote", got.RemoteAddr, "203.0.113.9"},
		{"host", got.Host, "portal.example"},
		{"request id", httpctx.RequestID(got.Context()), "req-1"},
		{"route key", httpctx.RouteKey(got.Context()), "POST /api/links/{token}"},
		{"status", res.StatusCode, http.StatusTeapot},
		{"cookies", len(res.Cookies), 2},
		{"binary body", res.IsBase64Encoded, true},
		{"content type", res.Headers["Content-Type"], "application/pdf"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func cookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// TestEventAndWrite checks the runner's direction: an HTTP request becomes the event API
// Gateway would send, and the answer goes back unchanged.
func TestEventAndWrite(t *testing.T) {
	r := httptest.NewRequest("PUT", "http://127.0.0.1:8080/api/me/preferences?a=1", strings.NewReader(`{"language":"en"}`))
	r.Header.Set("Cookie", "__Host-s=abc; other=1")
	r.RemoteAddr = "127.0.0.1:50000"
	ev, err := apigw.Event(r, "id-1", "PUT /api/me/preferences", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.RequestContext.HTTP.SourceIP != "127.0.0.1" || len(ev.Cookies) != 2 || ev.Body != `{"language":"en"}` || ev.QueryStringParameters["a"] != "1" {
		t.Errorf("event: got %+v", ev)
	}
	w := httptest.NewRecorder()
	apigw.Write(w, events.APIGatewayV2HTTPResponse{StatusCode: 302, Headers: map[string]string{"Location": "https://x"}, Cookies: []string{"a=1", "b=2"}})
	if w.Code != 302 || w.Header().Get("Location") != "https://x" || len(w.Header().Values("Set-Cookie")) != 2 {
		t.Errorf("write: got %d %v", w.Code, w.Header())
	}
}
