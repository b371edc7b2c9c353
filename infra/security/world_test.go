package security

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/samplepdf"
)

// Roles of the matrix's callers.
const (
	roleAnon       = "anonymous"
	roleRegistered = "registered admin"
	roleAdmin      = "admin"
	roleUser       = "user"
)

// doc is a document billing drops for a company.
type doc struct {
	number, date string
	facturX      bool // embeds Factur-X XML naming the company's SIREN
}

// company is a customer company of a space, with what the world learns of it.
type company struct {
	space, number, name, siren, email string
	slug                              string // names its accounts
	docs                              []doc

	ids      map[string]string // document number → id, as the API lists them
	link     string            // a no-login link token from its digest
	accounts []*actor
}

func (c *company) String() string { return c.space + "/" + c.number }

// archivePrefix is where its PDFs are archived; a presigned URL names it.
func (c *company) archivePrefix() string { return "documents/" + c.space + "/" + c.number + "/" }

// actor is one caller of the matrix.
type actor struct {
	role                        string
	co                          *company // nil for the anonymous caller
	identifier, email, password string
	c                           *client

	cursor, auditCursor, exportID, recoveryToken string
}

func (a *actor) String() string {
	if a.co == nil {
		return roleAnon
	}
	return a.co.String() + " " + a.role
}

func (a *actor) admin() bool { return a.role == roleAdmin || a.role == roleRegistered }

// world is the matrix's population: two spaces of two companies each, the second company
// of each space being one legal company (same SIREN, same registered address) that is a
// customer of both; three accounts per company; and an anonymous caller.
type world struct {
	p         *portal
	companies []*company
	actors    []*actor // the signed-in ones
	anon      *actor

	// Accounts of acme/C001 the brute-force tests attack, by identifier, and the
	// addresses of its recovery-timing users.
	targets         map[string]*actor
	timingAddresses []string

	recoveryOnce sync.Once
}

var (
	worldOnce  sync.Once
	worldValue *world
	worldOK    bool
)

// theWorld builds the world once, through the real paths: referentials and PDFs through
// the inbox, activation mails, set-password links, logins, the admin API, the digest.
func theWorld(t *testing.T) *world {
	t.Helper()
	p := thePortal(t)
	worldOnce.Do(func() {
		worldValue = &world{p: p, companies: []*company{
			{space: "acme", number: "C001", name: "Alpha Outillage SARL", email: "ra.alpha@alpha.example", slug: "alpha",
				docs: []doc{{"AL-1001", "2026-11-02", false}, {"AL-1002", "2026-10-15", false}, {"AL-1003", "2026-09-20", false}, {"F-0001", "2026-11-10", false}}},
			{space: "acme", number: "C002", name: "Shared Industries SAS", siren: "552100554", email: "boss@shared.example", slug: "shared.acme",
				docs: []doc{{"SA-3001", "2026-11-05", true}, {"SA-3002", "2026-10-20", false}, {"SA-3003", "2026-09-25", true}}},
			{space: "globex", number: "C001", name: "Gamma Hotels SA", email: "ra.gamma@gamma.example", slug: "gamma",
				docs: []doc{{"GA-2001", "2026-11-03", false}, {"GA-2002", "2026-10-16", false}, {"GA-2003", "2026-09-21", false}, {"F-0001", "2026-11-10", false}}},
			{space: "globex", number: "C002", name: "Shared Industries SAS", siren: "552100554", email: "boss@shared.example", slug: "shared.globex",
				docs: []doc{{"SG-4001", "2026-11-06", true}, {"SG-4002", "2026-10-21", false}, {"SG-4003", "2026-09-26", true}}},
		}}
		worldValue.build(t)
		worldOK = !t.Failed()
	})
	if !worldOK {
		t.Fatal("the world could not be built (see the first test that built it)")
	}
	return worldValue
}

const (
	acmeReferential = "customer_number;company_name;siren;email;notification;delivery;language\n" +
		"C001;Alpha Outillage SARL;;ra.alpha@alpha.example;digest;;\n" +
		"C002;Shared Industries SAS;552100554;boss@shared.example;digest;;\n" +
		"C900;Cible Tests SA;;ra.cible@cible.example;none;;\n"
	globexReferential = `{"customer_number":"C001","company_name":"Gamma Hotels SA","email":"ra.gamma@gamma.example","notification":"digest"}` + "\n" +
		`{"customer_number":"C002","company_name":"Shared Industries SAS","siren":"552100554","email":"boss@shared.example","notification":"digest"}` + "\n"
)

var (
	setPasswordLink = regexp.MustCompile(`/(acme|globex)/password#token=([A-Za-z0-9_-]{22})`)
	noLoginLink     = regexp.MustCompile(`/(?:acme|globex)/link#token=([A-Za-z0-9_-]{22})`)
)

func (w *world) build(t *testing.T) {
	p := w.p
	p.drop(t, "inbox/acme/customers/referential.csv", []byte(acmeReferential), nil)
	p.drop(t, "inbox/globex/customers/referential.jsonl", []byte(globexReferential), nil)
	p.settle(t)

	// The brute-force tests' company, outside the matrix.
	target := &company{space: "acme", number: "C900", name: "Cible Tests SA", email: "ra.cible@cible.example", slug: "cible",
		docs: []doc{{"CI-9001", "2026-11-01", false}}}
	pdf, meta := target.render(t, target.docs[0])
	p.drop(t, "inbox/acme/documents/CI-9001.pdf", pdf, meta)

	// acme's documents first: the shared address's first account is acme's, so it gets
	// the address itself as identifier and globex's gets boss_1 (PRODUCT.md §4).
	for _, space := range []string{"acme", "globex"} {
		for _, co := range w.companies {
			if co.space != space {
				continue
			}
			for _, d := range co.docs {
				pdf, meta := co.render(t, d)
				p.drop(t, "inbox/"+co.space+"/documents/"+d.number+".pdf", pdf, meta)
			}
		}
		p.settle(t)
	}
	if rejected := p.keys(t, p.r.Env.InboxBucket, "rejected/"); len(rejected) > 0 {
		t.Fatalf("documents were rejected: %v", rejected)
	}

	n := 0
	nextPassword := func() string { n++; return fmt.Sprintf("Isolation-%02d-Key!", n) }
	mails := p.mails(t)
	w.addTargets(t, w.activate(t, target, mails, nextPassword()))
	for _, co := range w.companies {
		ra := w.activate(t, co, mails, nextPassword())

		for _, role := range []string{roleAdmin, roleUser} {
			a := &actor{role: role, co: co, password: nextPassword(), c: p.client()}
			a.identifier = co.slug + "." + role
			a.email = role + "@" + co.email[strings.IndexByte(co.email, '@')+1:]
			if co.siren != "" {
				// The shared company's admins have an address per space, its users one
				// address in both.
				a.email = role + "@shared.example"
				if role == roleAdmin {
					a.email = "admin." + co.space + "@shared.example"
				}
			}
			ra.c.send(t, http.MethodPost, "/api/admin/users", map[string]any{
				"identifier": a.identifier, "password": a.password, "confirmation": a.password,
				"firstName": strings.ToUpper(role[:1]) + role[1:], "lastName": co.name, "email": a.email, "admin": role == roleAdmin,
			}).want(t, http.StatusCreated, co.String()+" create "+a.identifier)
			a.c.login(t, a.identifier, a.password)
			co.accounts = append(co.accounts, a)
		}
		w.actors = append(w.actors, co.accounts...)

		items, _ := ra.c.send(t, http.MethodGet, "/api/documents?from=2026-01-01", nil).
			want(t, http.StatusOK, co.String()+" listing").json()["items"].([]any)
		co.ids = map[string]string{}
		for _, it := range items {
			m := it.(map[string]any)
			co.ids[m["number"].(string)] = m["id"].(string)
		}
		if len(co.ids) != len(co.docs) {
			t.Fatalf("%s lists %v, want its %d documents", co, co.ids, len(co.docs))
		}
	}
	w.anon = &actor{role: roleAnon, c: p.client()}

	// The digest hour of both spaces is the clock's: firing the schedule mails each
	// company its digest, whose links are the no-login tokens of the matrix.
	if _, err := p.r.FireSchedules(context.Background()); err != nil {
		t.Fatalf("fire the digest: %v", err)
	}
	p.settle(t)
	for _, m := range p.mails(t) {
		link := noLoginLink.FindStringSubmatch(m.Text)
		if link == nil {
			continue
		}
		for _, co := range w.companies {
			if strings.EqualFold(strings.Join(m.To, ","), co.email) && strings.Contains(m.Subject, spaceNames[co.space]) {
				co.link = link[1]
			}
		}
	}
	for _, co := range w.companies {
		if co.link == "" {
			t.Fatalf("%s: no digest mail with a link", co)
		}
	}

	for _, a := range w.actors {
		r := a.c.send(t, http.MethodPost, "/api/exports", map[string]any{"ids": []string{a.co.ids[a.co.docs[0].number]}, "format": "csv"}).
			want(t, http.StatusAccepted, a.String()+" export")
		a.exportID, _ = r.json()["id"].(string)
		a.cursor, _ = a.c.send(t, http.MethodGet, "/api/documents?limit=1", nil).
			want(t, http.StatusOK, a.String()+" first page").json()["nextCursor"].(string)
		if a.exportID == "" || a.cursor == "" {
			t.Fatalf("%s: export %q, cursor %q: want both", a, a.exportID, a.cursor)
		}
		if a.admin() {
			a.auditCursor, _ = a.c.send(t, http.MethodGet, "/api/admin/audit?limit=1", nil).
				want(t, http.StatusOK, a.String()+" audit page").json()["nextCursor"].(string)
			if a.auditCursor == "" {
				t.Fatalf("%s: no audit cursor", a)
			}
		}
	}
}

// activate sets the first password of a company's registered admin from its activation
// mail, signs it in and returns it as the company's first account.
func (w *world) activate(t *testing.T, co *company, mails []localaws.Mail, password string) *actor {
	t.Helper()
	ra := &actor{role: roleRegistered, co: co, email: co.email, password: password, c: w.p.client()}
	token := ""
	for _, m := range mails {
		link := setPasswordLink.FindStringSubmatch(m.Text)
		if strings.Contains(m.Subject, "Activation") && strings.EqualFold(strings.Join(m.To, ","), co.email) && link != nil && link[1] == co.space {
			token = link[2]
		}
	}
	if token == "" {
		t.Fatalf("%s: no activation mail to %s", co, co.email)
	}
	got := ra.c.send(t, http.MethodPost, "/api/auth/recovery/inspect", map[string]string{"token": token}).
		want(t, http.StatusOK, co.String()+" activation link").json()
	list, _ := got["accounts"].([]any)
	if len(list) != 1 {
		t.Fatalf("%s: activation link lists %v, want one account", co, got)
	}
	ra.identifier, _ = list[0].(map[string]any)["identifier"].(string)
	ra.c.send(t, http.MethodPost, "/api/auth/recovery/complete", map[string]string{
		"token": token, "identifier": ra.identifier, "password": ra.password, "confirmation": ra.password,
	}).want(t, http.StatusNoContent, co.String()+" first password")
	ra.c.login(t, ra.identifier, ra.password)
	co.accounts = append(co.accounts, ra)
	return ra
}

// samples is how many timing samples TestEnumeration takes per series; docs/SECURITY.md
// reports a run with 200 (go test ./infra/security -run TestEnumeration -v -args -samples=200).
var samples = flag.Int("samples", 20, "timing samples per series of TestEnumeration")

// addTargets has the target company's registered admin create the brute-force tests'
// accounts: each address lends itself to 5 recovery timing samples an hour.
func (w *world) addTargets(t *testing.T, ra *actor) {
	t.Helper()
	create := func(identifier, email string) *actor {
		a := &actor{role: roleUser, co: ra.co, identifier: identifier, email: email, password: "Brute-Force-Target-1!"}
		body := map[string]any{"identifier": identifier, "password": a.password, "confirmation": a.password}
		if email != "" {
			body["email"] = email
		}
		ra.c.send(t, http.MethodPost, "/api/admin/users", body).want(t, http.StatusCreated, "create "+identifier)
		return a
	}
	w.targets = map[string]*actor{}
	for _, id := range []string{"bf.lock", "bf.client", "bf.timing", "bf.inactive", "bf.burst", "bf.change"} {
		w.targets[id] = create(id, "")
	}
	ra.c.send(t, http.MethodPatch, "/api/admin/users/bf.inactive", map[string]any{"active": false}).
		want(t, http.StatusOK, "deactivate bf.inactive")
	for i := 1; i <= (*samples+limits.RecoveryPerAddress.Max-1)/limits.RecoveryPerAddress.Max; i++ {
		email := fmt.Sprintf("rt%02d@timing.example", i)
		create(fmt.Sprintf("bf.rt%02d", i), email)
		w.timingAddresses = append(w.timingAddresses, email)
	}
}

var spaceNames = map[string]string{"acme": "Acme Finance", "globex": "Globex Energie"}

// render draws one of the company's documents and its S3 metadata.
func (co *company) render(t *testing.T, d doc) ([]byte, map[string]string) {
	t.Helper()
	inv := samplepdf.Invoice{
		Number: d.number, Type: samplepdf.TypeInvoice, IssueDate: d.date,
		SellerName: "Acme Location SAS", SellerSIREN: "732829320", BuyerName: co.name, Currency: "EUR",
		Lines: []samplepdf.Line{{Description: "Location " + co.slug, Quantity: 1, UnitPriceCents: 12500}},
	}
	if d.facturX {
		inv.FacturX, inv.BuyerSIREN = samplepdf.ProfileEN16931, co.siren
	}
	pdf, err := samplepdf.Generate(inv)
	if err != nil {
		t.Fatal(err)
	}
	return pdf, map[string]string{
		"customer-number": co.number, "document-number": d.number, "document-type": inv.Type,
		"issue-date": d.date, "amount": inv.GrandTotal(), "currency": "EUR",
	}
}

// recoveryTokens gives every actor a fresh recovery token for its address in its space,
// after the recovery rows have used the route: the newest token voids the older ones.
func (w *world) recoveryTokens(t *testing.T) {
	t.Helper()
	w.recoveryOnce.Do(func() {
		p := w.p
		p.settle(t)
		p.clearMails(t)
		for _, a := range w.actors {
			p.client().send(t, http.MethodPost, "/api/auth/recovery", map[string]string{"space": a.co.space, "email": a.email}).
				want(t, http.StatusAccepted, a.String()+" recovery")
		}
		p.settle(t)
		for _, m := range p.mails(t) {
			link := setPasswordLink.FindStringSubmatch(m.Text)
			if link == nil {
				continue
			}
			for _, a := range w.actors {
				if strings.EqualFold(strings.Join(m.To, ","), a.email) && link[1] == a.co.space {
					a.recoveryToken = link[2]
				}
			}
		}
	})
	for _, a := range w.actors {
		if a.recoveryToken == "" {
			t.Fatalf("%s: no recovery mail", a)
		}
	}
}

// relation is how an id's owner stands to the caller.
type relation string

const (
	self      relation = "self"
	colleague relation = "colleague" // same company
	neighbour relation = "neighbour" // same space, another company
	twin      relation = "twin"      // the same legal company (SIREN) in the other space
	stranger  relation = "stranger"  // another space, another company
)

func relationOf(caller, owner *actor) relation {
	switch {
	case caller == owner:
		return self
	case caller.co == nil || owner.co == nil:
		return stranger
	case caller.co == owner.co:
		return colleague
	case caller.co.space == owner.co.space:
		return neighbour
	case caller.co.siren != "" && caller.co.siren == owner.co.siren:
		return twin
	}
	return stranger
}

// markers are strings only a company's data carries: its name, document numbers and
// ids, its accounts' identifiers and addresses, its archive and export prefixes.
func (co *company) markers() map[string]bool {
	m := map[string]bool{co.name: true, co.archivePrefix(): true, "exports/" + co.space + "/" + co.number + "/": true}
	for _, d := range co.docs {
		m[d.number] = true
	}
	for _, id := range co.ids {
		m[id] = true
	}
	for _, a := range co.accounts {
		m[a.identifier], m[a.email] = true, true
	}
	return m
}

// leaks returns the markers of companies other than allowed found in an answer's body or
// Location; markers allowed's data shares (the twin's name and address) are not counted.
func (w *world) leaks(r response, allowed *company) []string {
	text := string(r.body) + "\n" + r.header.Get("Location")
	if loc, err := url.PathUnescape(r.header.Get("Location")); err == nil {
		text += "\n" + loc
	}
	var own map[string]bool
	if allowed != nil {
		own = allowed.markers()
	}
	var found []string
	for _, co := range w.companies {
		if co == allowed {
			continue
		}
		for m := range co.markers() {
			if !own[m] && strings.Contains(text, m) {
				found = append(found, co.String()+": "+m)
			}
		}
	}
	return found
}

// carries reports whether an answer shows at least one of co's markers.
func carries(r response, co *company) bool {
	text := string(r.body) + "\n" + r.header.Get("Location")
	for m := range co.markers() {
		if strings.Contains(text, m) {
			return true
		}
	}
	return false
}
