package security

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/staff"
	"github.com/efacture/efacture/shared/transport/httpapi"
)

const (
	staffSecret   = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	staffPassword = "Conseil-Securite-2026!"
)

// member is a staff member of the suite with its own browser.
type member struct {
	space, identifier string
	c                 *client
	cookie            string
}

// addMember creates a member through the service the ops command uses.
func addMember(t *testing.T, p *portal, space, identifier, role string) *member {
	t.Helper()
	opts := app.Options{Now: p.clock.now, Hasher: p.hashes.wrap}
	svc := app.StaffService(app.Store(p.r.Env, app.NewClients(p.r.AWS.Config, p.r.AWS.SESConfig), opts), opts)
	_, err := svc.Add(context.Background(), staff.NewMember{Space: space, Identifier: identifier, Role: role, Secret: staffSecret, Password: staffPassword})
	if err != nil {
		t.Fatal(err)
	}
	return &member{space: space, identifier: identifier, c: p.client()}
}

// code is the TOTP code at the functions' time, steps away.
func code(p *portal, steps int64) string {
	key, _ := staff.DecodeSecret(staffSecret)
	return staff.Code(key, staff.Step(p.clock.now())+steps, staff.TOTPDigits)
}

// staffSend is client.send with cookies given: the staff cookie and the customer one.
func staffSend(t testing.TB, c *client, method, path string, body string, staffCookie, customerCookie string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.p.r.PortalURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", c.p.r.PortalURL)
	}
	if staffCookie != "" {
		req.AddCookie(&http.Cookie{Name: httpapi.StaffCookie, Value: staffCookie})
	}
	if customerCookie != "" {
		req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: customerCookie})
	}
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, body: b}
	for _, ck := range res.Cookies() {
		if ck.Name == httpapi.StaffCookie && ck.MaxAge >= 0 && ck.Value != "" && c != nil {
			r.header.Set("X-Test-Staff", ck.Value)
		}
	}
	return r
}

func (m *member) login(t *testing.T, p *portal, code string) response {
	t.Helper()
	body := fmt.Sprintf(`{"space":%q,"identifier":%q,"password":%q,"code":%q}`, m.space, m.identifier, staffPassword, code)
	r := staffSend(t, m.c, http.MethodPost, "/api/staff/login", body, "", "")
	if r.status == http.StatusOK {
		m.cookie = r.header.Get("X-Test-Staff")
	}
	return r
}

func (m *member) get(t *testing.T, path string) response {
	t.Helper()
	return staffSend(t, m.c, http.MethodGet, path, "", m.cookie, "")
}

// staffPaths are every staff route needing a session, with a customer number filled in.
func staffPaths(number string) [][2]string {
	var out [][2]string
	for _, pat := range httpapi.StaffRoutes {
		method, path, _ := strings.Cut(pat, " ")
		switch path {
		case "/api/staff/login", "/api/staff/logout", "/api/staff/password", "/api/staff/password/inspect":
			continue // public: no session read
		}
		out = append(out, [2]string{method, strings.ReplaceAll(path, "{number}", number)})
	}
	return out
}

// TestStaffIsolation: staff see their own space only, as 404s for the other's
// customers; customer sessions reach no staff route and staff sessions no customer
// route; advisors get 403 on supervisor routes; TOTP codes are single-use.
func TestStaffIsolation(t *testing.T) {
	w := theWorld(t)
	p := w.p
	acmeAdv := addMember(t, p, "acme", "iso.advisor", staff.RoleAdvisor)
	acmeSup := addMember(t, p, "acme", "iso.supervisor", staff.RoleSupervisor)
	globexAdv := addMember(t, p, "globex", "iso.advisor", staff.RoleAdvisor)
	for _, m := range []*member{acmeAdv, acmeSup, globexAdv} {
		m.login(t, p, code(p, 0)).want(t, http.StatusOK, "staff login "+m.space+"/"+m.identifier)
	}

	t.Run("a space's customers only", func(t *testing.T) {
		for _, m := range []*member{acmeAdv, globexAdv} {
			own := map[string]*company{}
			for _, co := range w.companies {
				if co.space == m.space {
					own[co.number] = co
				}
			}
			for _, co := range w.companies {
				mine := own[co.number]
				for _, path := range []string{"/api/staff/customers/" + co.number, "/api/staff/customers/" + co.number + "/documents?from=2022-12-01"} {
					got := m.get(t, path)
					if mine == nil {
						if got.status != http.StatusNotFound || got.errorCode() != "not_found" {
							t.Errorf("%s staff, %s of %s: got %s, want 404 not_found", m.space, path, co, got)
						}
						continue
					}
					if got.status != http.StatusOK {
						t.Errorf("%s staff, %s: got %s, want 200", m.space, path, got)
					}
					if leaks := w.leaks(got, mine); len(leaks) > 0 {
						t.Errorf("%s staff, %s leaks %v", m.space, path, leaks)
					}
				}
				if mine == nil {
					got := staffSend(t, m.c, http.MethodPost, "/api/staff/customers/"+co.number+"/activation", "", m.cookie, "")
					if got.status != http.StatusNotFound {
						t.Errorf("%s staff, activation of %s: got %s, want 404", m.space, co, got)
					}
					got = staffSend(t, m.c, http.MethodDelete, "/api/staff/customers/"+co.number+"/mail-status?status=bounced", "", m.cookie, "")
					if got.status != http.StatusNotFound {
						t.Errorf("%s staff, mail status of %s: got %s, want 404", m.space, co, got)
					}
				}
			}
			all := m.get(t, "/api/staff/customers?limit=100").want(t, http.StatusOK, "search all")
			items, _ := all.json()["items"].([]any)
			listed := map[string]bool{}
			for _, it := range items {
				c := it.(map[string]any)
				num := c["customerNumber"].(string)
				listed[num] = true
				if co := own[num]; co != nil && c["companyName"] != co.name {
					t.Errorf("%s staff: search lists %v, not the space's %s", m.space, c, co)
				}
				for _, other := range w.companies {
					if other.space != m.space && own[num] == nil && other.number == num {
						t.Errorf("%s staff: search lists %v, a customer of %s", m.space, c, other.space)
					}
				}
			}
			for num := range own {
				if !listed[num] {
					t.Errorf("%s staff: search misses its customer %s", m.space, num)
				}
			}
		}
	})

	t.Run("customer sessions reach no staff route", func(t *testing.T) {
		for _, a := range w.actors {
			for _, r := range staffPaths(a.co.number) {
				// The customer's id in its own cookie, and in the staff cookie's name.
				for _, got := range []response{
					staffSend(t, a.c, r[0], r[1], "", "", a.c.cookie()),
					staffSend(t, a.c, r[0], r[1], "", a.c.cookie(), ""),
				} {
					if got.status != http.StatusUnauthorized {
						t.Errorf("%s on %s %s: got %s, want 401", a, r[0], r[1], got)
					}
				}
			}
		}
	})

	t.Run("staff sessions reach no customer route", func(t *testing.T) {
		for _, r := range [][2]string{
			{"GET", "/api/me"}, {"GET", "/api/documents"}, {"POST", "/api/exports"}, {"GET", "/api/admin/users"},
			{"GET", "/api/admin/audit"}, {"PUT", "/api/me/preferences"},
		} {
			for _, got := range []response{
				staffSend(t, acmeSup.c, r[0], r[1], "{}", acmeSup.cookie, ""),
				staffSend(t, acmeSup.c, r[0], r[1], "{}", "", acmeSup.cookie),
			} {
				if got.status != http.StatusUnauthorized {
					t.Errorf("staff cookie on %s %s: got %s, want 401", r[0], r[1], got)
				}
			}
		}
	})

	t.Run("advisors are refused supervisor routes", func(t *testing.T) {
		for _, path := range []string{"/api/staff/rejections", "/api/staff/audit"} {
			if got := acmeAdv.get(t, path); got.status != http.StatusForbidden {
				t.Errorf("advisor on %s: got %s, want 403", path, got)
			}
			if got := acmeSup.get(t, path); got.status != http.StatusOK {
				t.Errorf("supervisor on %s: got %s, want 200", path, got)
			}
		}
		// The supervisor's audit holds its own space's staff only.
		log := acmeSup.get(t, "/api/staff/audit?limit=200")
		if strings.Contains(string(log.body), "globex") {
			t.Errorf("acme's staff audit names globex: %s", log.body)
		}
	})

	t.Run("concurrent clears of a mail status: one clears it, once", func(t *testing.T) {
		var co *company
		for _, c := range w.companies {
			if c.space == "acme" && c.email != "" {
				co = c
				break
			}
		}
		// A permanent bounce of the registered address, as the configuration set publishes it.
		stamp := p.clock.now().UTC().Format("2006-01-02T15:04:05.000Z")
		ev := fmt.Sprintf(`{"eventType":"Bounce","mail":{"timestamp":%q,"destination":[%q],"headers":[{"name":"X-Efacture-Space","value":"acme"},{"name":"X-Efacture-Company","value":"acme#%s"}]},`+
			`"bounce":{"bounceType":"Permanent","bounceSubType":"NoEmail","bouncedRecipients":[{"emailAddress":%q}],"timestamp":%q}}`,
			stamp, co.email, co.number, co.email, stamp)
		if err := p.r.Publish(context.Background(), "MailEventsTopic", "", ev); err != nil {
			t.Fatal(err)
		}
		status, _ := acmeAdv.get(t, "/api/staff/customers/"+co.number).want(t, http.StatusOK, "view").json()["mailStatus"].(string)
		if status == "" {
			t.Fatalf("no mail status on %s after the bounce", co)
		}
		const n = 8
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				m := acmeAdv
				if i%2 == 1 {
					m = acmeSup
				}
				codes[i] = staffSend(t, m.c, http.MethodDelete, "/api/staff/customers/"+co.number+"/mail-status?status="+url.QueryEscape(status), "{}", m.cookie, "").status
			})
		}
		wg.Wait()
		cleared := 0
		for _, c := range codes {
			switch c {
			case http.StatusNoContent:
				cleared++
			case http.StatusConflict:
			default:
				t.Errorf("a concurrent clear answered %d, want 204 or 409", c)
			}
		}
		if cleared != 1 {
			t.Errorf("%d of %d concurrent clears succeeded (%v), want exactly 1", cleared, n, codes)
		}
		entries, _, err := app.Store(p.r.Env, app.NewClients(p.r.AWS.Config, p.r.AWS.SESConfig), app.Options{}).
			AuditPage(context.Background(), "acme#"+co.number, "", 200)
		if err != nil {
			t.Fatal(err)
		}
		written := 0
		for _, e := range entries {
			if e.Action == staff.ActionMailStatusCleared {
				written++
			}
		}
		if written != 1 {
			t.Errorf("customer audit log holds %d mail-status clears, want 1", written)
		}
	})

	t.Run("TOTP codes are single-use and checked", func(t *testing.T) {
		m := addMember(t, p, "acme", "iso.replay", staff.RoleAdvisor)
		c := code(p, 0)
		m.login(t, p, c).want(t, http.StatusOK, "first use")
		again := &member{space: m.space, identifier: m.identifier, c: p.client()}
		// Each code is computed as it is sent: the suite's clock runs in real time, and a
		// step passing meanwhile only moves these further out of reach.
		for name, cd := range map[string]func() string{
			"replayed": func() string { return c }, "previous step": func() string { return code(p, -1) },
			"wrong": func() string { return "000000" }, "three steps ahead": func() string { return code(p, 3) },
		} {
			if got := again.login(t, p, cd()); got.status != http.StatusUnauthorized || got.errorCode() != "invalid_credentials" {
				t.Errorf("%s code: got %s, want 401 invalid_credentials", name, got)
			}
		}
	})
}

// TestStaffThrottleConcurrent: attempts fired at once from one client cost at most the
// client's limit in password hashes; the rest get 429 before any hash.
func TestStaffThrottleConcurrent(t *testing.T) {
	w := theWorld(t)
	p := w.p
	c := p.client()
	n := limits.LoginFailuresPerClient.Max + 6
	before := p.hashes.verify.Load()
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	// Four in flight at a time: concurrent enough to race the counter, few enough for
	// two shared cores to hash within the function's timeout.
	sem := make(chan struct{}, 4)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			body := fmt.Sprintf(`{"space":"acme","identifier":"nobody.%02d","password":"Wrong-Password-1!","code":"123456"}`, i)
			got := staffSend(t, c, http.MethodPost, "/api/staff/login", body, "", "")
			mu.Lock()
			counts[got.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	spent := p.hashes.verify.Load() - before
	if counts[http.StatusUnauthorized] != limits.LoginFailuresPerClient.Max || counts[http.StatusTooManyRequests] != n-limits.LoginFailuresPerClient.Max {
		t.Errorf("got answers %v, want %d × 401 and %d × 429", counts, limits.LoginFailuresPerClient.Max, n-limits.LoginFailuresPerClient.Max)
	}
	if spent > int64(limits.LoginFailuresPerClient.Max) {
		t.Errorf("%d concurrent attempts cost %d hashes, want at most %d", n, spent, limits.LoginFailuresPerClient.Max)
	}
}
