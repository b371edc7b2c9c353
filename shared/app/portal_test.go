package app_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/service/delivery"
	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/httpapi"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// portalOrigin is PortalBaseUrl as localaws provisions it.
const portalOrigin = "http://127.0.0.1:8080"

// portal is the walking skeleton plus the auth and admin functions, fed API Gateway
// events as Lambda is, on one clock and one captured log.
type portal struct {
	*pipeline
	auth, admin apigw.LambdaHandler
	// staff is built on first use: most tests never reach the console.
	staff    apigw.LambdaHandler
	opts     app.Options
	logs     *localaws.SyncBuffer
	secrets  map[string]bool // passwords, tokens and session ids seen; none may reach a log
	requests int
}

func newPortal(t testing.TB, limits *ratelimit.Limits) *portal {
	t.Helper()
	p := &portal{pipeline: newPipeline(t), logs: &localaws.SyncBuffer{}, secrets: map[string]bool{}}
	opts := app.Options{
		Now:      func() time.Time { return p.now },
		Log:      slog.New(slog.NewJSONHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Limits:   limits,
		Delivery: func(s *delivery.Service) { p.mailer = s },
	}
	p.handleMail = build[lambdaevents.StreamHandler](t, app.MailerFunction, p.env, p.clients, opts)
	p.auth = build[apigw.LambdaHandler](t, app.AuthFunction, p.env, p.clients, opts)
	p.admin = build[apigw.LambdaHandler](t, app.AdminFunction, p.env, p.clients, opts)
	p.opts = opts
	return p
}

// seed applies a referential, then files one document per customer in the order given,
// each alone so identifiers are given deterministically, and sends the mails.
func (p *portal) seed(referential string, customers ...string) {
	p.t.Helper()
	p.put("inbox/acme/customers/seed.csv", []byte(referential), nil)
	p.ingestAll()
	for i, c := range customers {
		number := "F-" + c + "-" + strconv.Itoa(i+1)
		p.put("inbox/acme/documents/"+number+".pdf", pdfFor(p.t, number, "Client "+c), meta(c, number))
		p.ingestAll()
	}
	p.mailAll()
}

// mailsTo returns the captured mails to an address whose subject contains subject.
func (p *portal) mailsTo(addr, subject string) []localaws.Mail {
	p.t.Helper()
	var out []localaws.Mail
	for _, m := range p.mails() {
		if strings.Contains(strings.ToLower(strings.Join(m.To, ",")), strings.ToLower(addr)) && strings.Contains(m.Subject, subject) {
			out = append(out, m)
		}
	}
	return out
}

var linkToken = regexp.MustCompile(`http://127\.0\.0\.1:8080/acme/password#token=([A-Za-z0-9_-]{22})`)

// token returns the set-password token of a captured mail.
func (p *portal) token(m localaws.Mail) string {
	p.t.Helper()
	got := linkToken.FindStringSubmatch(m.Text)
	if got == nil {
		p.t.Fatalf("no set-password link in %q:\n%s", m.Subject, m.Text)
	}
	p.secrets[got[1]] = true
	return got[1]
}

// activationToken returns the token of the activation mail naming identifier.
func (p *portal) activationToken(identifier string) string {
	p.t.Helper()
	for _, m := range p.mails() {
		if !strings.Contains(m.Subject, "Activation") {
			continue
		}
		for _, line := range strings.Split(m.Text, "\n") {
			if strings.TrimSpace(line) == identifier {
				return p.token(m)
			}
		}
	}
	p.t.Fatalf("no activation mail for %s", identifier)
	return ""
}

// activate sets an account's first password from its activation mail.
func (p *portal) activate(identifier, password string) {
	p.t.Helper()
	b := p.browser("203.0.113.250")
	tok := p.activationToken(identifier)
	r := b.post("/api/auth/recovery/complete", map[string]any{"token": tok, "identifier": identifier, "password": password, "confirmation": password})
	r.want(p.t, http.StatusNoContent)
}

// setAttr overwrites one string attribute of a main-table item, as an older version of
// the code might have left it.
func (p *portal) setAttr(pk, sk, attr, value string) {
	p.t.Helper()
	_, err := p.aws.DynamoDB.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: &p.env.MainTable, Key: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: sk}},
		UpdateExpression:          aws.String("SET #a = :v"),
		ExpressionAttributeNames:  map[string]string{"#a": attr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberS{Value: value}},
	})
	if err != nil {
		p.t.Fatal(err)
	}
}

// tokenHash is how a token is stored.
func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// checkLogs fails when a log line carries a password, token or session id.
func (p *portal) checkLogs() {
	p.t.Helper()
	logs := p.logs.String()
	if !strings.Contains(logs, `"msg":"request"`) {
		p.t.Fatal("captured no access log line: the log check would prove nothing")
	}
	for s := range p.secrets {
		if len(s) >= 6 && strings.Contains(logs, s) {
			p.t.Errorf("a log line carries the secret %q", s)
		}
	}
	if strings.Contains(logs, httpapi.SessionCookie) {
		t := p.t
		t.Errorf("a log line names the session cookie")
	}
}

// apiResponse is an answer as the browser gets it from API Gateway.
type apiResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r apiResponse) want(t testing.TB, status int) apiResponse {
	t.Helper()
	if r.status != status {
		t.Fatalf("got %d %s, want %d", r.status, r.body, status)
	}
	return r
}

func (r apiResponse) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// wantError checks PRODUCT.md §7's error body.
func (r apiResponse) wantError(t testing.TB, status int, code string) map[string]any {
	t.Helper()
	r.want(t, status)
	e, _ := r.json(t)["error"].(map[string]any)
	if e == nil || e["code"] != code || e["message"] == "" {
		t.Fatalf("got error body %s, want code %s with a message", r.body, code)
	}
	return e
}

// browser is one client: an address, a language and at most one session cookie.
type browser struct {
	p       *portal
	ip      string
	lang    string
	session string
	staff   string // the staff session cookie
}

func (p *portal) browser(ip string) *browser { return &browser{p: p, ip: ip} }

func (b *browser) get(path string) apiResponse { return b.do(http.MethodGet, path, nil) }

func (b *browser) post(path string, body any) apiResponse { return b.do(http.MethodPost, path, body) }

// do sends a request as the portal's own pages do: JSON, same origin.
func (b *browser) do(method, path string, body any) apiResponse {
	b.p.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			b.p.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
		if m, ok := body.(map[string]any); ok {
			for _, k := range []string{"password", "confirmation", "currentPassword", "newPassword", "token"} {
				if s, ok := m[k].(string); ok && s != "" {
					b.p.secrets[s] = true
				}
			}
		}
	}
	req := httptest.NewRequest(method, portalOrigin+path, rd)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", portalOrigin)
	}
	return b.send(req)
}

// send adds the browser's address, language and cookie to req and sends it.
func (b *browser) send(req *http.Request) apiResponse {
	b.p.t.Helper()
	req.RemoteAddr = b.ip + ":51234"
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	if b.session != "" {
		req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: b.session})
	}
	if b.staff != "" {
		req.AddCookie(&http.Cookie{Name: httpapi.StaffCookie, Value: b.staff})
	}
	r := b.p.send(req)
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == httpapi.StaffCookie {
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" {
				b.p.t.Errorf("staff cookie %q lacks HttpOnly, Secure, SameSite=Strict, Path=/ or has a Domain", r.header.Values("Set-Cookie"))
			}
			b.staff = c.Value
			if c.MaxAge < 0 {
				b.staff = ""
			}
			b.p.secrets[c.Value] = true
			continue
		}
		if c.Name != httpapi.SessionCookie {
			continue
		}
		if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
			b.p.t.Errorf("session cookie %q lacks HttpOnly, Secure, SameSite=Lax, Path=/ or has a Domain", r.header.Values("Set-Cookie"))
		}
		if c.MaxAge < 0 || c.Value == "" {
			b.session = ""
			continue
		}
		b.session = c.Value
		b.p.secrets[c.Value] = true
	}
	return r
}

// send hands req to the function serving its path as API Gateway would, and checks what
// every API answer must carry.
func (p *portal) send(req *http.Request) apiResponse {
	p.t.Helper()
	p.requests++
	req.Header.Set(httpapi.OriginHeader, p.env.OriginVerify) // as CloudFront adds it
	ev, err := apigw.Event(req, "req-"+strconv.Itoa(p.requests), "", nil)
	if err != nil {
		p.t.Fatal(err)
	}
	h := p.auth
	switch {
	case strings.HasPrefix(req.URL.Path, "/api/admin/"):
		h = p.admin
	case strings.HasPrefix(req.URL.Path, "/api/staff/"):
		if p.staff == nil {
			p.staff = build[apigw.LambdaHandler](p.t, app.StaffFunction, p.env, p.clients, p.opts)
		}
		h = p.staff
	}
	res, err := h(context.Background(), ev)
	if err != nil {
		p.t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	apigw.Write(rec, res)
	r := apiResponse{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		p.t.Errorf("%s %s: got Cache-Control %q, want no-store", req.Method, req.URL.Path, got)
	}
	if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
		p.t.Errorf("%s %s: got X-Content-Type-Options %q, want nosniff", req.Method, req.URL.Path, got)
	}
	for k := range r.header {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			p.t.Errorf("%s %s: got CORS header %s, want none", req.Method, req.URL.Path, k)
		}
	}
	return r
}
