package security

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/transport/httpapi"
)

// row is one route with one id swapped for another actor's, and the answer each kind of
// cell must get. A cell is a caller and an owner: the actor whose id the request carries.
// Columns go by the caller's role and by how the owner stands to the caller: self, a
// colleague (same company), or other (same space, another company; the same legal
// company in the other space; another space altogether).
//
// An answer is a status and whose data a 2xx or 3xx may carry:
//
//	own    the caller's company's, and it must carry some
//	owner  the owner's company's (bearer tokens), and it must carry some
//	none   nobody's but the caller's
//
// Every answer, whatever its status, is searched for the other companies' names,
// document numbers and ids, identifiers, addresses and archive keys; one found fails
// the cell. "-" marks a cell that does not exist (a user has no audit cursor; the
// anonymous caller has no token) or is not run, with the reason in the comment.
type row struct {
	route, swap string
	cells       func(w *world) []cell
	send        func(c cell) (method, path string, body any)
	tokens      bool // needs fresh recovery tokens
	serial      bool // its cells write the same items: one at a time

	anon                                  string
	userSelf, userColleague, userOther    string
	adminSelf, adminColleague, adminOther string
}

// matrix is the isolation matrix. Its order matters: the recovery rows mint tokens the
// next rows replace, logins lock the accounts they fail on, logouts end the sessions.
var matrix = []row{
	// route, id swapped, cells                      anon         user: self, colleague, other   admin: self, colleague, other
	{route: "GET /api/health", swap: "nothing", cells: everyCaller, send: health,
		anon: "200 none", userSelf: "200 none", userColleague: "-", userOther: "-", adminSelf: "200 none", adminColleague: "-", adminOther: "-"},
	{route: "GET /api/spaces/{space}", swap: "path: owner's space", cells: byCompany, send: spacePage,
		anon: "200 none", userSelf: "200 none", userColleague: "200 none", userOther: "200 none", adminSelf: "200 none", adminColleague: "200 none", adminOther: "200 none"},
	// No session is read: one anonymous caller per address and space, known or not.
	{route: "POST /api/auth/recovery", swap: "body: owner's address, in both spaces", cells: byAddressAndSpace, send: recoveryRequest,
		anon: "202 none", userSelf: "-", userColleague: "-", userOther: "-", adminSelf: "-", adminColleague: "-", adminOther: "-"},
	{route: "POST /api/auth/recovery/inspect", swap: "body: owner's recovery token", cells: sessionlessByActor, send: inspectToken, tokens: true,
		anon: "200 owner", userSelf: "200 owner", userColleague: "200 owner", userOther: "200 owner", adminSelf: "200 owner", adminColleague: "200 owner", adminOther: "200 owner"},
	// The caller's own token naming the owner's identifier; self sends a mismatched
	// confirmation so no password changes.
	{route: "POST /api/auth/recovery/complete", swap: "body: owner's identifier with the caller's token", cells: byRelation, send: completeForOwner, tokens: true,
		anon: "-", userSelf: "400", userColleague: "403", userOther: "403", adminSelf: "400", adminColleague: "403", adminOther: "403"},
	{route: "GET /api/me", swap: "query: owner's identifier, space and customer", cells: byCompany, send: meWithOwner,
		anon: "401", userSelf: "200 own", userColleague: "200 own", userOther: "200 own", adminSelf: "200 own", adminColleague: "200 own", adminOther: "200 own"},
	{route: "PUT /api/me/preferences", swap: "body: owner's identifier", cells: byCompany, send: preferencesWithOwner,
		anon: "401", userSelf: "400", userColleague: "400", userOther: "400", adminSelf: "400", adminColleague: "400", adminOther: "400"},
	{route: "POST /api/me/password", swap: "body: owner's identifier", cells: byCompany, send: passwordWithOwner,
		anon: "401", userSelf: "400", userColleague: "400", userOther: "400", adminSelf: "400", adminColleague: "400", adminOther: "400"},
	{route: "GET /api/documents", swap: "query: owner's cursor", cells: byRelation, send: listWithOwnerCursor,
		anon: "401", userSelf: "200 own", userColleague: "200 own", userOther: "400", adminSelf: "200 own", adminColleague: "200 own", adminOther: "400"},
	{route: "GET /api/documents", swap: "query: owner's document number, space and customer", cells: byCompany, send: listWithOwnerNumber,
		anon: "401", userSelf: "200 own", userColleague: "200 own", userOther: "200 none", adminSelf: "200 own", adminColleague: "200 own", adminOther: "200 none"},
	{route: "GET /api/documents/{id}/download", swap: "path: owner's document id", cells: byCompany, send: downloadOwnersDocument,
		anon: "401", userSelf: "302 own", userColleague: "302 own", userOther: "404", adminSelf: "302 own", adminColleague: "302 own", adminOther: "404"},
	// acme/C001 and globex/C001 both hold F-0001 of the same day, so the same id: self is
	// a caller of either, other a caller of a company without it.
	{route: "GET /api/documents/{id}/download", swap: "path: an id two companies hold", cells: byCollision, send: downloadCollision,
		anon: "401", userSelf: "302 own", userColleague: "-", userOther: "404", adminSelf: "302 own", adminColleague: "-", adminOther: "404"},
	{route: "POST /api/exports", swap: "body: owner's document ids", cells: byCompany, send: exportOwnersDocument,
		anon: "401", userSelf: "202 none", userColleague: "202 none", userOther: "404", adminSelf: "202 none", adminColleague: "202 none", adminOther: "404"},
	{route: "POST /api/exports", swap: "body: owner's space and customer", cells: byCompany, send: exportNamingOwner,
		anon: "401", userSelf: "400", userColleague: "400", userOther: "400", adminSelf: "400", adminColleague: "400", adminOther: "400"},
	{route: "GET /api/exports/{id}", swap: "path: owner's export id", cells: byRelation, send: exportStatus,
		anon: "401", userSelf: "200 none", userColleague: "200 none", userOther: "404", adminSelf: "200 none", adminColleague: "200 none", adminOther: "404"},
	// A no-login link is a bearer token (accepted risk, docs/SECURITY.md): it serves its
	// own document whoever holds it, and never the caller's session's.
	{route: "GET /api/links/{token}", swap: "path: owner's link token", cells: sessionlessByCompany, send: followLink,
		anon: "302 owner", userSelf: "302 owner", userColleague: "302 owner", userOther: "302 owner", adminSelf: "302 owner", adminColleague: "302 owner", adminOther: "302 owner"},
	{route: "GET /api/admin/users", swap: "query: owner's space and customer", cells: byCompany, send: usersWithOwner,
		anon: "401", userSelf: "403", userColleague: "403", userOther: "403", adminSelf: "200 own", adminColleague: "200 own", adminOther: "200 own"},
	{route: "POST /api/admin/users", swap: "body: owner's space and customer", cells: byCompany, send: createInOwnersCompany,
		anon: "401", userSelf: "403", userColleague: "403", userOther: "403", adminSelf: "400", adminColleague: "400", adminOther: "400"},
	// "Identifier taken" tells an admin an identifier exists somewhere: the accepted risk
	// of PRODUCT.md §4, pinned here. Owners are each company's admin, whose identifier an
	// admin could have chosen.
	{route: "POST /api/admin/users", swap: "body: owner's identifier", cells: byCompanyAdmin, send: createTakingOwnersIdentifier,
		anon: "401", userSelf: "403", userColleague: "403", userOther: "403", adminSelf: "409", adminColleague: "409", adminOther: "409"},
	// An address is never an identifier an admin picks, not even the user's own: "@" is
	// for the accounts ingestion makes from a registered e-mail (PRODUCT.md §4).
	{route: "POST /api/admin/users", swap: "body: owner's address as identifier", cells: byCompany, send: createWithOwnersAddress,
		anon: "401", userSelf: "403", userColleague: "403", userOther: "403", adminSelf: "400", adminColleague: "400", adminOther: "400"},
	{route: "PATCH /api/admin/users/{identifier}", swap: "path: owner's identifier", cells: byRelation, send: patchOwner, serial: true,
		anon: "401", userSelf: "403", userColleague: "403", userOther: "403", adminSelf: "200 own", adminColleague: "200 own", adminOther: "404"},
	// Only the registered admin sets its password, and only with POST /api/me/password:
	// another admin's reset is refused even with that admin's own right password.
	{route: "PATCH /api/admin/users/{identifier}", swap: "path: a registered admin; body: a password and the caller's own", cells: byCompany, send: resetOwnersPassword,
		anon: "401", userSelf: "403", userColleague: "403", userOther: "403", adminSelf: "403", adminColleague: "403", adminOther: "404"},
	// Nobody sets its own password through the admin route (the anonymous caller has no
	// identifier).
	{route: "PATCH /api/admin/users/{identifier}", swap: "path: the caller's identifier; body: a password and the caller's own", cells: everyCaller, send: resetOwnersPassword,
		anon: "-", userSelf: "403", userColleague: "-", userOther: "-", adminSelf: "403", adminColleague: "-", adminOther: "-"},
	// Another user's password takes the caller's own password: none, or a wrong one, is a
	// 400 (a wrong one counts toward the caller's lock).
	{route: "PATCH /api/admin/users/{identifier}", swap: "path: owner's identifier; body: a password without the caller's", cells: byRelation, send: resetWithoutAdminPassword,
		anon: "401", userSelf: "403", userColleague: "403", userOther: "403", adminSelf: "403", adminColleague: "400", adminOther: "404"},
	{route: "PATCH /api/admin/users/{identifier}", swap: "path: owner's identifier; body: a password and a wrong one for the caller's", cells: byRelation, send: resetWithWrongAdminPassword,
		anon: "401", userSelf: "403", userColleague: "403", userOther: "403", adminSelf: "403", adminColleague: "400", adminOther: "404"},
	// Only admins have audit cursors, so no user is its owner.
	{route: "GET /api/admin/audit", swap: "query: owner's audit cursor", cells: byAdminRelation, send: auditWithOwnerCursor,
		anon: "401", userSelf: "-", userColleague: "403", userOther: "403", adminSelf: "200 own", adminColleague: "200 own", adminOther: "400"},
	// The caller's password with the owner's identifier; self is not run, as the other
	// callers' failures lock the owner first.
	{route: "POST /api/auth/login", swap: "body: owner's identifier", cells: byRelation, send: loginAsOwner,
		anon: "-", userSelf: "-", userColleague: "401", userOther: "401", adminSelf: "-", adminColleague: "401", adminOther: "401"},
	{route: "POST /api/auth/logout", swap: "nothing", cells: everyCaller, send: logout,
		anon: "204 none", userSelf: "204 none", userColleague: "-", userOther: "-", adminSelf: "204 none", adminColleague: "-", adminOther: "-"},
}

// cell is one request of the matrix.
type cell struct {
	w             *world
	caller, owner *actor
	space         string // the space a recovery request names
}

// want is the table's answer for a cell.
func (r row) want(c cell) string {
	if c.caller.co == nil {
		return r.anon
	}
	rel := relationOf(c.caller, c.owner)
	cols := [3]string{r.userSelf, r.userColleague, r.userOther}
	if c.caller.admin() {
		cols = [3]string{r.adminSelf, r.adminColleague, r.adminOther}
	}
	switch rel {
	case self:
		return cols[0]
	case colleague:
		return cols[1]
	}
	return cols[2]
}

// Cell generators.

func callers(w *world) []*actor { return append([]*actor{w.anon}, w.actors...) }

func everyCaller(w *world) []cell {
	var out []cell
	for _, c := range callers(w) {
		out = append(out, cell{w: w, caller: c, owner: c})
	}
	return out
}

// byCompany takes each company's registered admin as the owner of its company's ids.
func byCompany(w *world) []cell { return byCompanyAccount(w, 0) }

// byCompanyAdmin takes each company's (non-registered) admin as the owner.
func byCompanyAdmin(w *world) []cell { return byCompanyAccount(w, 1) }

// byCompanyAccount gives every caller each company's account i as owner.
func byCompanyAccount(w *world, i int) []cell {
	var out []cell
	for _, c := range callers(w) {
		for _, co := range w.companies {
			out = append(out, cell{w: w, caller: c, owner: co.accounts[i]})
		}
	}
	return out
}

// byRelation gives each signed-in caller five owners: itself, the next account of its
// company, and the account of its own role in each other company (the neighbour in its
// space, the two companies of the other space, one of them its twin when it has one).
// The anonymous caller gets the four registered admins.
func byRelation(w *world) []cell {
	var out []cell
	for _, c := range callers(w) {
		for _, o := range ownersFor(w, c, false) {
			out = append(out, cell{w: w, caller: c, owner: o})
		}
	}
	return out
}

// byAdminRelation is byRelation with admins only as owners: only they have audit cursors.
func byAdminRelation(w *world) []cell {
	var out []cell
	for _, c := range callers(w) {
		for _, o := range ownersFor(w, c, true) {
			out = append(out, cell{w: w, caller: c, owner: o})
		}
	}
	return out
}

func ownersFor(w *world, c *actor, admins bool) []*actor {
	if c.co == nil {
		var out []*actor
		for _, co := range w.companies {
			out = append(out, co.accounts[0])
		}
		return out
	}
	i := indexOf(c.co.accounts, c)
	role := i
	if admins && !c.admin() {
		role = 1 // the admin stands in for a user
	}
	next := c.co.accounts[(i+1)%len(c.co.accounts)]
	if admins && !next.admin() {
		next = c.co.accounts[(i+2)%len(c.co.accounts)]
	}
	out := []*actor{next}
	if !admins || c.admin() {
		out = append([]*actor{c}, out...)
	}
	for _, co := range w.companies {
		if co != c.co {
			out = append(out, co.accounts[role])
		}
	}
	return out
}

func indexOf(as []*actor, a *actor) int {
	for i, x := range as {
		if x == a {
			return i
		}
	}
	return -1
}

// sessionlessCallers stand for everyone on routes that read no session: the anonymous
// caller, a registered admin of one space and a user of the other.
func sessionlessCallers(w *world) []*actor {
	return []*actor{w.anon, w.companies[0].accounts[0], w.companies[3].accounts[2]}
}

func sessionlessByActor(w *world) []cell {
	var out []cell
	for _, c := range sessionlessCallers(w) {
		for _, o := range w.actors {
			out = append(out, cell{w: w, caller: c, owner: o})
		}
	}
	return out
}

func sessionlessByCompany(w *world) []cell {
	var out []cell
	for _, c := range sessionlessCallers(w) {
		for _, co := range w.companies {
			out = append(out, cell{w: w, caller: c, owner: co.accounts[0]})
		}
	}
	return out
}

func byCollision(w *world) []cell {
	var out []cell
	for _, c := range callers(w) {
		owner := w.companies[0].accounts[0] // acme/C001, which holds F-0001
		if c.co != nil && c.co.ids["F-0001"] != "" {
			owner = c
		}
		out = append(out, cell{w: w, caller: c, owner: owner})
	}
	return out
}

// byAddressAndSpace asks, anonymously and each time from a new address, for every
// account address in both spaces: known and unknown pairs alike.
func byAddressAndSpace(w *world) []cell {
	seen := map[string]bool{}
	var out []cell
	for _, o := range w.actors {
		for _, space := range []string{"acme", "globex"} {
			if k := space + " " + o.email; !seen[k] {
				seen[k] = true
				out = append(out, cell{w: w, caller: &actor{role: roleAnon, c: w.p.client()}, owner: o, space: space})
			}
		}
	}
	return out
}

// Requests.

func health(cell) (string, string, any) { return http.MethodGet, "/api/health", nil }

func spacePage(c cell) (string, string, any) {
	return http.MethodGet, "/api/spaces/" + c.owner.co.space, nil
}

func recoveryRequest(c cell) (string, string, any) {
	return http.MethodPost, "/api/auth/recovery", map[string]string{"space": c.space, "email": c.owner.email}
}

func inspectToken(c cell) (string, string, any) {
	return http.MethodPost, "/api/auth/recovery/inspect", map[string]string{"token": c.owner.recoveryToken}
}

func completeForOwner(c cell) (string, string, any) {
	return http.MethodPost, "/api/auth/recovery/complete", map[string]string{
		"token": c.caller.recoveryToken, "identifier": c.owner.identifier,
		"password": "Another-Secret-77!", "confirmation": "Another-Secret-78!",
	}
}

func ownerQuery(o *actor) string {
	return url.Values{"identifier": {o.identifier}, "space": {o.co.space}, "customerNumber": {o.co.number}}.Encode()
}

func meWithOwner(c cell) (string, string, any) {
	return http.MethodGet, "/api/me?" + ownerQuery(c.owner), nil
}

func preferencesWithOwner(c cell) (string, string, any) {
	return http.MethodPut, "/api/me/preferences", map[string]any{"historyMonths": 3, "identifier": c.owner.identifier}
}

func passwordWithOwner(c cell) (string, string, any) {
	return http.MethodPost, "/api/me/password", map[string]any{
		"currentPassword": c.caller.password, "newPassword": "Never-Applied-55!", "confirmation": "Never-Applied-55!",
		"identifier": c.owner.identifier,
	}
}

func listWithOwnerCursor(c cell) (string, string, any) {
	return http.MethodGet, "/api/documents?limit=1&cursor=" + url.QueryEscape(c.owner.cursor), nil
}

func listWithOwnerNumber(c cell) (string, string, any) {
	return http.MethodGet, "/api/documents?numberMatch=exact&number=" + url.QueryEscape(c.owner.co.docs[0].number) + "&" + ownerQuery(c.owner), nil
}

func downloadOwnersDocument(c cell) (string, string, any) {
	co := c.owner.co
	return http.MethodGet, "/api/documents/" + co.ids[co.docs[0].number] + "/download", nil
}

func downloadCollision(c cell) (string, string, any) {
	return http.MethodGet, "/api/documents/" + c.w.companies[0].ids["F-0001"] + "/download", nil
}

func exportOwnersDocument(c cell) (string, string, any) {
	co := c.owner.co
	return http.MethodPost, "/api/exports", map[string]any{"ids": []string{co.ids[co.docs[0].number]}, "format": "csv"}
}

func exportNamingOwner(c cell) (string, string, any) {
	co := c.owner.co
	if c.caller.co != nil {
		co = c.caller.co
	}
	return http.MethodPost, "/api/exports", map[string]any{
		"ids": []string{co.ids[co.docs[0].number]}, "format": "csv", "space": c.owner.co.space, "customerNumber": c.owner.co.number,
	}
}

func exportStatus(c cell) (string, string, any) {
	return http.MethodGet, "/api/exports/" + c.owner.exportID, nil
}

func followLink(c cell) (string, string, any) {
	return http.MethodGet, "/api/links/" + c.owner.co.link, nil
}

func usersWithOwner(c cell) (string, string, any) {
	return http.MethodGet, "/api/admin/users?" + ownerQuery(c.owner), nil
}

var created atomic.Int64

func createInOwnersCompany(c cell) (string, string, any) {
	id := "matrix.new" + strconv.FormatInt(created.Add(1), 10)
	return http.MethodPost, "/api/admin/users", map[string]any{
		"identifier": id, "password": "Fresh-Account-31!", "confirmation": "Fresh-Account-31!",
		"space": c.owner.co.space, "customerNumber": c.owner.co.number,
	}
}

func createTakingOwnersIdentifier(c cell) (string, string, any) {
	return http.MethodPost, "/api/admin/users", map[string]any{"identifier": c.owner.identifier, "password": "Taken-Check-77!", "confirmation": "Taken-Check-77!"}
}

func createWithOwnersAddress(c cell) (string, string, any) {
	return http.MethodPost, "/api/admin/users", map[string]any{
		"identifier": c.owner.email, "email": c.owner.email, "password": "Taken-Check-77!", "confirmation": "Taken-Check-77!",
	}
}

func patchOwner(c cell) (string, string, any) {
	return http.MethodPatch, "/api/admin/users/" + url.PathEscape(c.owner.identifier), map[string]any{"firstName": "Matrix"}
}

// resetPassword is a new password that passes the policy, so only the rights decide.
const resetPassword = "Matrix-Reset-Key-64!"

func resetOwnersPassword(c cell) (string, string, any) {
	return http.MethodPatch, "/api/admin/users/" + url.PathEscape(c.owner.identifier), map[string]any{
		"password": resetPassword, "confirmation": resetPassword, "adminPassword": c.caller.password,
	}
}

func resetWithoutAdminPassword(c cell) (string, string, any) {
	return http.MethodPatch, "/api/admin/users/" + url.PathEscape(c.owner.identifier), map[string]any{
		"password": resetPassword, "confirmation": resetPassword,
	}
}

func resetWithWrongAdminPassword(c cell) (string, string, any) {
	return http.MethodPatch, "/api/admin/users/" + url.PathEscape(c.owner.identifier), map[string]any{
		"password": resetPassword, "confirmation": resetPassword, "adminPassword": wrongPassword,
	}
}

func auditWithOwnerCursor(c cell) (string, string, any) {
	return http.MethodGet, "/api/admin/audit?limit=1&cursor=" + url.QueryEscape(c.owner.auditCursor), nil
}

func loginAsOwner(c cell) (string, string, any) {
	return http.MethodPost, "/api/auth/login", map[string]string{"identifier": c.owner.identifier, "password": c.caller.password}
}

func logout(cell) (string, string, any) { return http.MethodPost, "/api/auth/logout", nil }

// TestIsolationMatrix runs every cell of the matrix against the running portal.
func TestIsolationMatrix(t *testing.T) {
	w := theWorld(t)
	t0 := time.Now()
	total := 0
	routes := map[string]bool{}
	for _, r := range matrix {
		routes[r.route] = true
		t.Run(r.route+" "+r.swap, func(t *testing.T) {
			if r.tokens {
				w.recoveryTokens(t)
			}
			var run []cell
			for _, c := range r.cells(w) {
				if r.want(c) != "-" {
					run = append(run, c)
				}
			}
			total += len(run)
			if r.route == "POST /api/auth/logout" {
				for _, c := range run {
					sessions.Store(c.caller, c.caller.c.cookie())
				}
			}
			answers := make([]response, len(run))
			workers := 4
			if r.serial {
				workers = 1
			}
			var wg sync.WaitGroup
			next := atomic.Int64{}
			for range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := int(next.Add(1) - 1); i < len(run); i = int(next.Add(1) - 1) {
						method, path, body := r.send(run[i])
						answers[i] = run[i].caller.c.send(t, method, path, body)
					}
				}()
			}
			wg.Wait()
			for i, c := range run {
				checkCell(t, r, c, answers[i])
			}
			if r.route == "POST /api/auth/recovery" {
				for i := range answers {
					if string(answers[i].body) != string(answers[0].body) {
						t.Errorf("recovery answers differ: %s for %s in %s, %s for %s in %s",
							answers[0], run[0].owner.email, run[0].space, answers[i], run[i].owner.email, run[i].space)
					}
				}
			}
			if r.route == "POST /api/auth/logout" {
				for _, c := range run {
					if c.caller.co != nil {
						c.caller.c.setCookie(sessionOf(c)) // the cookie a thief kept
						if got := c.caller.c.send(t, http.MethodGet, "/api/me", nil); got.status != http.StatusUnauthorized {
							t.Errorf("%s: the session still works after logout: %s", c.caller, got)
						}
					}
				}
			}
		})
	}
	served := len(httpapi.AuthRoutes) + len(httpapi.AdminRoutes) + len(httpapi.DocumentsRoutes)
	t.Logf("isolation matrix: %d cells over %d of %d routes, %d rows, %d signed-in actors and an anonymous caller, in %v",
		total, len(routes), served, len(matrix), len(w.actors), time.Since(t0).Round(time.Second))
	if len(routes) != served {
		t.Errorf("the matrix covers %d routes, the API serves %d", len(routes), served)
	}
}

// sessions keeps each caller's session id from before the logout row.
var sessions sync.Map

func sessionOf(c cell) string {
	v, _ := sessions.Load(c.caller)
	s, _ := v.(string)
	return s
}

// checkCell compares an answer with the table and searches it for other companies' data.
func checkCell(t *testing.T, r row, c cell, got response) {
	t.Helper()
	want := r.want(c)
	name := fmt.Sprintf("caller %s, owner %s (%s)", c.caller, c.owner, relationOf(c.caller, c.owner))
	if c.space != "" {
		name += " in " + c.space
	}
	status, data, _ := strings.Cut(want, " ")
	if strconv.Itoa(got.status) != status {
		t.Errorf("%s: got %s, want %s", name, got, want)
		return
	}
	allowed := c.caller.co
	if data == "owner" {
		allowed = c.owner.co
	}
	if leaks := c.w.leaks(got, allowed); len(leaks) > 0 {
		t.Errorf("%s: the answer carries another company's data %v: %s %s", name, leaks, got, got.header.Get("Location"))
	}
	if (data == "own" || data == "owner") && !carries(got, allowed) {
		t.Errorf("%s: got %s %s, want %s data", name, got, got.header.Get("Location"), data)
	}
}

// TestCellChecks keeps the matrix's judge honest without a portal: an answer carrying
// another company's data, or none of the data it should, fails its cell.
func TestCellChecks(t *testing.T) {
	alpha := &company{space: "acme", number: "C001", name: "Alpha", docs: []doc{{"AL-1", "2026-11-02", false}}, ids: map[string]string{"AL-1": "MjAyNi0xMS0wMiNBTC0x"}}
	twinA := &company{space: "acme", number: "C002", name: "Shared", siren: "552100554", docs: []doc{{"SA-1", "2026-11-02", false}}}
	twinG := &company{space: "globex", number: "C002", name: "Shared", siren: "552100554", docs: []doc{{"SG-1", "2026-11-02", false}}}
	for _, co := range []*company{alpha, twinA, twinG} {
		co.accounts = []*actor{{role: roleRegistered, co: co, identifier: "ra." + co.space + co.number, email: "boss@" + co.name + ".example"}}
	}
	w := &world{companies: []*company{alpha, twinA, twinG}}
	answer := func(body, location string) response {
		h := http.Header{}
		if location != "" {
			h.Set("Location", location)
		}
		return response{status: 200, header: h, body: []byte(body)}
	}
	tests := []struct {
		name    string
		r       response
		allowed *company
		leaks   int
		carries bool
	}{
		{"own document", answer(`{"items":[{"number":"AL-1"}]}`, ""), alpha, 0, true},
		{"another company's number", answer(`{"items":[{"number":"SA-1"}]}`, ""), alpha, 1, false},
		{"another company's archive key", answer("", "http://127.0.0.1:1/bucket/documents/globex/C002/ab.pdf?x=1"), twinA, 1, false},
		{"twin's shared name only", answer(`{"companyName":"Shared"}`, ""), twinA, 0, true},
		{"twin's identifier", answer(`{"identifier":"ra.globexC002"}`, ""), twinA, 1, false},
		{"nothing at all", answer(`{"status":"ok"}`, ""), alpha, 0, false},
		{"anonymous sees a document id", answer(`{"id":"MjAyNi0xMS0wMiNBTC0x"}`, ""), nil, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := w.leaks(tt.r, tt.allowed); len(got) != tt.leaks {
				t.Errorf("leaks: got %v, want %d", got, tt.leaks)
			}
			if tt.allowed != nil {
				if got := carries(tt.r, tt.allowed); got != tt.carries {
					t.Errorf("carries: got %v, want %v", got, tt.carries)
				}
			}
		})
	}
}
