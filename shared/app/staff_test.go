package app_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/staff"
)

// demoSecret is a fixed TOTP secret, so tests compute codes as the member's phone does.
const demoSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

const staffPassword = "Conseil-2026!"

// addStaff creates a member through the service the ops command uses; with a password it
// needs no link.
func (p *portal) addStaff(space, identifier, role, pw string) staff.Enrolment {
	p.t.Helper()
	svc := app.StaffService(app.Store(p.env, p.clients, p.opts), p.opts)
	e, err := svc.Add(context.Background(), staff.NewMember{Space: space, Identifier: identifier, Role: role, Secret: demoSecret, Password: pw})
	if err != nil {
		p.t.Fatal(err)
	}
	return e
}

// code is the member's TOTP code at the portal's clock, steps away from now.
func (p *portal) code(steps int) string {
	p.t.Helper()
	key, err := staff.DecodeSecret(demoSecret)
	if err != nil {
		p.t.Fatal(err)
	}
	return staff.Code(key, staff.Step(p.now)+int64(steps), staff.TOTPDigits)
}

// staffLogin signs b in as a member and returns the answer.
func (b *browser) staffLogin(space, identifier, pw, code string) apiResponse {
	return b.post("/api/staff/login", map[string]any{"space": space, "identifier": identifier, "password": pw, "code": code})
}

// TestStaffLogin: a member signs in with password and TOTP code under the staff cookie;
// every refusal is the same 401; a code is accepted once; the two sessions never stand
// in for each other.
func TestStaffLogin(t *testing.T) {
	p := newPortal(t, nil)
	p.addStaff("acme", "marie.dupont", staff.RoleSupervisor, staffPassword)
	b := p.browser("203.0.113.10")

	for name, r := range map[string]apiResponse{
		"wrong code":     b.staffLogin("acme", "marie.dupont", staffPassword, wrongCode(p.code(0))),
		"no code":        b.staffLogin("acme", "marie.dupont", staffPassword, ""),
		"code too old":   b.staffLogin("acme", "marie.dupont", staffPassword, p.code(-2)),
		"wrong password": b.staffLogin("acme", "marie.dupont", "Wrong-2026!", p.code(0)),
		"unknown member": b.staffLogin("acme", "paul", staffPassword, p.code(0)),
		"other space":    b.staffLogin("globex", "marie.dupont", staffPassword, p.code(0)),
		"unknown space":  b.staffLogin("nowhere", "marie.dupont", staffPassword, p.code(0)),
	} {
		t.Run(name, func(t *testing.T) { r.wantError(t, http.StatusUnauthorized, "invalid_credentials") })
	}
	if b.staff != "" {
		t.Fatal("a refused login set a staff cookie")
	}
	b.get("/api/staff/me").wantError(t, http.StatusUnauthorized, "unauthenticated")

	me := b.staffLogin("acme", "marie.dupont", staffPassword, p.code(0)).want(t, http.StatusOK).json(t)
	space, _ := me["space"].(map[string]any)
	if me["identifier"] != "marie.dupont" || me["role"] != "supervisor" || space["id"] != "acme" || space["name"] == "" {
		t.Errorf("login answered %v", me)
	}
	if b.staff == "" {
		t.Fatal("no staff cookie after login")
	}
	got := b.get("/api/staff/me").want(t, http.StatusOK).json(t)
	if got["identifier"] != "marie.dupont" || got["role"] != "supervisor" {
		t.Errorf("me: got %v", got)
	}

	// The same code again, from another browser: refused, though the password is right.
	other := p.browser("203.0.113.11")
	other.staffLogin("acme", "marie.dupont", staffPassword, p.code(0)).wantError(t, http.StatusUnauthorized, "invalid_credentials")
	// An earlier step's code, still inside the tolerance, is older than the one used.
	other.staffLogin("acme", "marie.dupont", staffPassword, p.code(-1)).wantError(t, http.StatusUnauthorized, "invalid_credentials")
	p.now = p.now.Add(30 * time.Second)
	other.staffLogin("acme", "marie.dupont", staffPassword, p.code(0)).want(t, http.StatusOK)

	// The staff cookie is no customer session, and the customer API never reads it.
	b.get("/api/me").wantError(t, http.StatusUnauthorized, "unauthenticated")
	// The staff session id in the customer cookie names nothing either.
	swapped := p.browser("203.0.113.12")
	swapped.session = b.staff
	swapped.get("/api/me").wantError(t, http.StatusUnauthorized, "unauthenticated")

	b.post("/api/staff/logout", nil).want(t, http.StatusNoContent)
	if b.staff != "" {
		t.Error("logout left the staff cookie")
	}
	again := p.browser("203.0.113.10")
	again.staff = other.staff
	again.get("/api/staff/me").want(t, http.StatusOK)
	p.checkLogs()
}

// wrongCode is a six-digit code other than c.
func wrongCode(c string) string {
	if c == "000000" {
		return "000001"
	}
	return "000000"
}

// TestStaffSessionLifetime: 15 minutes idle or 8 hours in all end a staff session.
func TestStaffSessionLifetime(t *testing.T) {
	p := newPortal(t, nil)
	p.addStaff("acme", "marie.dupont", staff.RoleAdvisor, staffPassword)
	b := p.browser("203.0.113.10")
	b.staffLogin("acme", "marie.dupont", staffPassword, p.code(0)).want(t, http.StatusOK)
	for range 33 { // 33 × 14 min 50 s > 8 h, never 15 min idle
		p.now = p.now.Add(14*time.Minute + 50*time.Second)
		if p.now.Sub(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)) >= 8*time.Hour {
			b.get("/api/staff/me").wantError(t, http.StatusUnauthorized, "unauthenticated")
			break
		}
		b.get("/api/staff/me").want(t, http.StatusOK)
	}
	p.now = p.now.Add(time.Minute)
	b.staffLogin("acme", "marie.dupont", staffPassword, p.code(0)).want(t, http.StatusOK)
	p.now = p.now.Add(15 * time.Minute)
	b.get("/api/staff/me").wantError(t, http.StatusUnauthorized, "unauthenticated")
}

// TestStaffSetPassword: a new member's one-time link sets the password once, under the
// customers' policy; a newer link voids the older.
func TestStaffSetPassword(t *testing.T) {
	p := newPortal(t, nil)
	svc := app.StaffService(app.Store(p.env, p.clients, p.opts), p.opts)
	e, err := svc.Add(context.Background(), staff.NewMember{Space: "acme", Identifier: "Paul.Martin", Role: staff.RoleAdvisor})
	if err != nil {
		t.Fatal(err)
	}
	if e.Token == "" || e.Secret == "" || e.Member.Identifier != "paul.martin" {
		t.Fatalf("enrolment %+v", e)
	}
	if _, err := svc.Add(context.Background(), staff.NewMember{Space: "acme", Identifier: "paul.martin", Role: staff.RoleAdvisor}); err == nil {
		t.Error("a taken identifier was created again")
	}
	b := p.browser("203.0.113.20")
	got := b.post("/api/staff/password/inspect", map[string]any{"token": e.Token}).want(t, http.StatusOK).json(t)
	if got["identifier"] != "paul.martin" || got["space"] != "acme" || got["role"] != "advisor" {
		t.Errorf("inspect: got %v", got)
	}
	b.post("/api/staff/password", map[string]any{"token": e.Token, "password": "short", "confirmation": "short"}).
		wantError(t, http.StatusBadRequest, "password_policy")
	b.post("/api/staff/password", map[string]any{"token": e.Token, "password": staffPassword, "confirmation": staffPassword + "x"}).
		wantError(t, http.StatusBadRequest, "password_mismatch")
	b.post("/api/staff/password", map[string]any{"token": e.Token, "password": staffPassword, "confirmation": staffPassword}).
		want(t, http.StatusNoContent)
	b.post("/api/staff/password", map[string]any{"token": e.Token, "password": staffPassword, "confirmation": staffPassword}).
		wantError(t, http.StatusGone, "link_expired")
	b.post("/api/staff/password/inspect", map[string]any{"token": e.Token}).wantError(t, http.StatusGone, "link_expired")

	key, _ := staff.DecodeSecret(e.Secret)
	code := staff.Code(key, staff.Step(p.now), staff.TOTPDigits)
	b.staffLogin("acme", "PAUL.MARTIN", staffPassword, code).want(t, http.StatusOK)

	// Past 72 hours a link is gone.
	late, err := svc.Add(context.Background(), staff.NewMember{Space: "acme", Identifier: "late", Role: staff.RoleAdvisor})
	if err != nil {
		t.Fatal(err)
	}
	p.now = p.now.Add(72 * time.Hour)
	b.post("/api/staff/password/inspect", map[string]any{"token": late.Token}).wantError(t, http.StatusGone, "link_expired")
}

// TestStaffLock: five wrong passwords or codes lock the member; the right ones are then
// refused alike until the lock ends.
func TestStaffLock(t *testing.T) {
	p := newPortal(t, nil)
	p.addStaff("acme", "marie.dupont", staff.RoleAdvisor, staffPassword)
	b := p.browser("203.0.113.30")
	for i := range 5 {
		pw, code := staffPassword, wrongCode(p.code(0))
		if i%2 == 0 {
			pw, code = "Wrong-2026!", p.code(0)
		}
		b.staffLogin("acme", "marie.dupont", pw, code).wantError(t, http.StatusUnauthorized, "invalid_credentials")
	}
	b.staffLogin("acme", "marie.dupont", staffPassword, p.code(0)).wantError(t, http.StatusUnauthorized, "invalid_credentials")
	p.now = p.now.Add(time.Minute)
	b.staffLogin("acme", "marie.dupont", staffPassword, p.code(0)).want(t, http.StatusOK)
}

const consoleReferential = "customer_number;company_name;siren;email;notification;delivery;language\n" +
	"C001;Durand Transports SARL;552100554;pierre.durand@example.fr;;;\n" +
	"C002;Durand Logistique SAS;;Pierre.Durand@example.fr;;;en\n" +
	"C010;Martin Conseil;;alice.martin@example.fr;;;\n" +
	"C020;Société Générale d'Essai;;;;;\n"

// numbers are the customer numbers of a search answer, in order.
func numbers(t *testing.T, r apiResponse) ([]string, any) {
	t.Helper()
	got := r.want(t, http.StatusOK).json(t)
	items, _ := got["items"].([]any)
	out := []string{}
	for _, it := range items {
		out = append(out, it.(map[string]any)["customerNumber"].(string))
	}
	return out, got["nextCursor"]
}

// TestStaffConsole walks the console as an advisor and a supervisor of acme: search by
// every key, a customer's view, its documents, a new activation link that voids the
// older one, the supervisor's rejections and audit, and the customer's own audit log
// showing the supplier's customer service.
func TestStaffConsole(t *testing.T) {
	p := newPortal(t, nil)
	p.seed(consoleReferential, "C001", "C010")
	p.put("inbox/globex/customers/g.csv", []byte("customer_number,company_name,email\nG001,Globex Durand,g@example.com\n"), nil)
	p.put("inbox/acme/documents/broken.pdf", []byte("not a pdf"), meta("C001", "F-BAD"))
	p.ingestAll()
	p.addStaff("acme", "marie", staff.RoleSupervisor, staffPassword)
	p.now = p.now.Add(30 * time.Second) // each member's code is its own step
	p.addStaff("acme", "paul", staff.RoleAdvisor, staffPassword)

	sup := p.browser("203.0.113.40")
	sup.staffLogin("acme", "marie", staffPassword, p.code(0)).want(t, http.StatusOK)
	p.now = p.now.Add(30 * time.Second)
	adv := p.browser("203.0.113.41")
	adv.staffLogin("acme", "paul", staffPassword, p.code(0)).want(t, http.StatusOK)

	for q, want := range map[string][]string{
		"c0":                       {"C001", "C002", "C010", "C020"},
		"C01":                      {"C010"},
		"durand":                   {"C002", "C001"}, // by name: Logistique, then Transports
		"DUR":                      {"C002", "C001"},
		"societe gen":              {"C020"},
		"Société":                  {"C020"},
		"552 100 554":              {"C001"},
		"pierre.durand@example.fr": {"C001", "C002"},
		"PIERRE.DURAND@example.fr": {"C001", "C002"},
		"G001":                     {},
		"globex":                   {},
		"g@example.com":            {},
	} {
		got, next := numbers(t, adv.get("/api/staff/customers?q="+url.QueryEscape(q)))
		if !slices.Equal(got, want) || next != nil {
			t.Errorf("q=%q: got %v (next %v), want %v", q, got, next, want)
		}
	}
	// Pages: two by two, then the end.
	first, next := numbers(t, adv.get("/api/staff/customers?q=C&limit=3"))
	if !slices.Equal(first, []string{"C001", "C002", "C010"}) || next == nil {
		t.Fatalf("first page: got %v next %v", first, next)
	}
	second, end := numbers(t, adv.get("/api/staff/customers?q=C&limit=3&cursor="+url.QueryEscape(next.(string))))
	if !slices.Equal(second, []string{"C020"}) || end != nil {
		t.Errorf("second page: got %v next %v", second, end)
	}
	adv.get("/api/staff/customers?q=D&cursor="+url.QueryEscape(next.(string))).wantError(t, http.StatusBadRequest, "bad_request")
	adv.get("/api/staff/customers?limit=500").wantError(t, http.StatusBadRequest, "bad_request")

	v := adv.get("/api/staff/customers/C001").want(t, http.StatusOK).json(t)
	if v["customerNumber"] != "C001" || v["companyName"] != "Durand Transports SARL" || v["siren"] != "552100554" || v["email"] != "pierre.durand@example.fr" {
		t.Errorf("view: got %v", v)
	}
	accts, _ := v["accounts"].([]any)
	if len(accts) != 1 {
		t.Fatalf("view accounts: got %v", v["accounts"])
	}
	a := accts[0].(map[string]any)
	if a["identifier"] != "pierre.durand@example.fr" || a["registeredAdmin"] != true || a["passwordSet"] != false || a["activationExpiresAt"] == nil {
		t.Errorf("view account: got %v", a)
	}
	if d, _ := v["documents"].(map[string]any); d["count"] != float64(1) || d["lastIssueDate"] != "2026-11-20" {
		t.Errorf("view documents: got %v", v["documents"])
	}
	mails, _ := v["mails"].([]any)
	if len(mails) == 0 || mails[len(mails)-1].(map[string]any)["kind"] != "activation" || mails[len(mails)-1].(map[string]any)["status"] != "sent" {
		t.Errorf("view mails: got %v", v["mails"])
	}
	for _, path := range []string{"/api/staff/customers/G001", "/api/staff/customers/C999", "/api/staff/customers/..%2Fx",
		"/api/staff/customers/G001/documents", "/api/staff/customers/G001/activation"} {
		method := http.MethodGet
		if strings.HasSuffix(path, "/activation") {
			method = http.MethodPost
		}
		adv.do(method, path, nil).wantError(t, http.StatusNotFound, "not_found")
	}

	docs := adv.get("/api/staff/customers/C001/documents?from=2026-01-01").want(t, http.StatusOK).json(t)
	if items, _ := docs["items"].([]any); len(items) != 1 || items[0].(map[string]any)["number"] != "F-C001-1" {
		t.Errorf("documents: got %v", docs)
	}

	oldTok := p.activationToken("pierre.durand@example.fr")
	adv.post("/api/staff/customers/C001/activation", nil).want(t, http.StatusAccepted)
	adv.post("/api/staff/customers/C020/activation", nil).wantError(t, http.StatusConflict, "no_email")
	adv.post("/api/staff/customers/C002/activation", nil).wantError(t, http.StatusConflict, "no_account")
	p.mailAll()
	acts := p.mailsTo("pierre.durand@example.fr", "Activation")
	if len(acts) != 2 {
		t.Fatalf("got %d activation mails, want the first and the new one", len(acts))
	}
	b := p.browser("198.51.100.40")
	b.post("/api/auth/recovery/inspect", map[string]any{"token": oldTok}).wantError(t, http.StatusGone, "link_expired")
	newTok := ""
	for _, m := range acts {
		if tok := p.token(m); tok != oldTok {
			newTok = tok
		}
	}
	const pw = "Camion-Rouge-42"
	b.post("/api/auth/recovery/complete", map[string]any{"token": newTok, "identifier": "pierre.durand@example.fr", "password": pw, "confirmation": pw}).
		want(t, http.StatusNoContent)

	// The customer's admin sees the supplier's customer service in its audit log.
	b.post("/api/auth/login", map[string]any{"identifier": "pierre.durand@example.fr", "password": pw}).want(t, http.StatusOK)
	log := b.get("/api/admin/audit").want(t, http.StatusOK).json(t)
	seen := map[string]bool{}
	for _, it := range log["items"].([]any) {
		e := it.(map[string]any)
		if e["actor"] == staff.CustomerService {
			seen[e["action"].(string)] = true
		}
	}
	for _, want := range []string{staff.ActionViewCustomer, staff.ActionViewDocuments, staff.ActionActivationResent} {
		if !seen[want] {
			t.Errorf("customer audit log lacks %s by %s: %v", want, staff.CustomerService, log["items"])
		}
	}
	// Customers' sessions reach no staff route.
	b.get("/api/staff/me").wantError(t, http.StatusUnauthorized, "unauthenticated")
	b.get("/api/staff/customers/C001").wantError(t, http.StatusUnauthorized, "unauthenticated")

	// Supervisor routes.
	adv.get("/api/staff/rejections").wantError(t, http.StatusForbidden, "forbidden")
	adv.get("/api/staff/audit").wantError(t, http.StatusForbidden, "forbidden")
	rej := sup.get("/api/staff/rejections").want(t, http.StatusOK).json(t)
	codes := map[string]bool{}
	for _, it := range rej["items"].([]any) {
		e := it.(map[string]any)
		codes[e["code"].(string)] = true
		if e["key"] == "" || e["message"] == "" || e["at"] == "" {
			t.Errorf("rejection %v lacks a field", e)
		}
	}
	if !codes["not_pdf"] || !codes["referential_report"] || len(codes) != 2 {
		t.Errorf("rejections: got %v", rej["items"])
	}
	audit := sup.get("/api/staff/audit?limit=100").want(t, http.StatusOK).json(t)
	actions := map[string]bool{}
	for _, it := range audit["items"].([]any) {
		e := it.(map[string]any)
		actions[e["action"].(string)+" "+e["actor"].(string)] = true
	}
	for _, want := range []string{"staff_login marie", "staff_login paul", "staff_view_customer paul", "staff_activation_resent paul", "staff_search paul", "staff_view_rejections marie"} {
		if !actions[want] {
			t.Errorf("staff audit lacks %q: %v", want, actions)
		}
	}
	p.checkLogs()
}
