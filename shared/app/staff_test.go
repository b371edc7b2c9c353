package app_test

import (
	"context"
	"net/http"
	"regexp"
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

var staffLink = regexp.MustCompile(`^http://127\.0\.0\.1:8080/acme/staff/password#token=([A-Za-z0-9_-]{22})$`)

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
