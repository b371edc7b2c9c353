package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/efacture/efacture/infra/template"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/spaces"
)

const durandReferential = "customer_number;company_name;siren;email;notification;delivery;language\n" +
	"C001;Durand Transports SARL;;pierre.durand@example.fr;;;\n" +
	"C002;Durand Logistique SAS;;Pierre.Durand@example.fr;;;en\n" +
	"C010;Martin Conseil;;alice.martin@example.fr;;;\n"

// TestFAQStory follows the FAQ from the activation mail to a changed password: the link
// shows the account, the first password is set, the login page shows the previous login,
// the profile changes, and changing the password mails the account's own address.
func TestFAQStory(t *testing.T) {
	p := newPortal(t, nil)
	p.seed(durandReferential, "C001")
	const id = "pierre.durand@example.fr"
	tok := p.activationToken(id)
	b := p.browser("198.51.100.10")

	r := b.post("/api/auth/recovery/inspect", map[string]any{"token": tok}).want(t, http.StatusOK)
	got := r.json(t)
	accts, _ := got["accounts"].([]any)
	if got["email"] != id || len(accts) != 1 {
		t.Fatalf("inspect: got %s", r.body)
	}
	if a := accts[0].(map[string]any); a["identifier"] != id || a["companyName"] != "Durand Transports SARL" {
		t.Errorf("inspect account: got %v", a)
	}

	const pw1 = "Camion-Rouge-42"
	b.post("/api/auth/recovery/complete", map[string]any{"token": tok, "identifier": id, "password": pw1, "confirmation": pw1 + "x"}).
		wantError(t, http.StatusBadRequest, "password_mismatch")
	e := b.post("/api/auth/recovery/complete", map[string]any{"token": tok, "identifier": id, "password": "azerty", "confirmation": "azerty"}).
		wantError(t, http.StatusBadRequest, "password_policy")
	if rules, _ := e["rules"].([]any); !slices.Contains(rules, any("too_short")) {
		t.Errorf("policy rules: got %v, want too_short among them", e["rules"])
	}
	b.post("/api/auth/recovery/complete", map[string]any{"token": tok, "identifier": id, "password": pw1, "confirmation": pw1}).
		want(t, http.StatusNoContent)
	b.post("/api/auth/recovery/inspect", map[string]any{"token": tok}).wantError(t, http.StatusGone, "link_expired")
	b.post("/api/auth/recovery/complete", map[string]any{"token": tok, "identifier": id, "password": pw1, "confirmation": pw1}).
		wantError(t, http.StatusGone, "link_expired")
	p.mailAll()
	if got := p.mailsTo(id, "mot de passe"); len(got) != 0 {
		t.Errorf("the first set from an activation link sent %d password mails, want none", len(got))
	}

	first := p.now
	r = b.post("/api/auth/login", map[string]any{"identifier": "Pierre.Durand@Example.fr", "password": pw1}).want(t, http.StatusOK)
	me := r.json(t)
	if me["identifier"] != id || me["previousLoginAt"] != nil || me["lastLoginAt"] != first.Format(time.RFC3339) {
		t.Errorf("first login: got %s", r.body)
	}
	if c, _ := me["company"].(map[string]any); c["customerNumber"] != "C001" || c["name"] != "Durand Transports SARL" {
		t.Errorf("company: got %v", me["company"])
	}
	if s, _ := me["space"].(map[string]any); s["id"] != "acme" || s["name"] != "Acme Finance / Acme Location" {
		t.Errorf("space: got %v", me["space"])
	}
	if pr, _ := me["preferences"].(map[string]any); pr["historyMonths"] != 3.0 || pr["language"] != "fr" {
		t.Errorf("preferences: got %v", me["preferences"])
	}
	if me["admin"] != true || me["registeredAdmin"] != true || me["active"] != true || me["profile"] != "Aucun" {
		t.Errorf("rights: got %s", r.body)
	}
	if _, leaked := me["passwordHash"]; leaked || strings.Contains(string(r.body), "argon2") {
		t.Errorf("me shows the password hash: %s", r.body)
	}
	if b.session == "" {
		t.Fatal("login set no session cookie")
	}

	// The next day, on another computer: « Votre dernière connexion » is the first login.
	p.now = p.now.Add(26*time.Hour + 14*time.Minute)
	b2 := p.browser("198.51.100.11")
	r = b2.post("/api/auth/login", map[string]any{"identifier": id, "password": pw1}).want(t, http.StatusOK)
	if got := r.json(t)["previousLoginAt"]; got != first.Format(time.RFC3339) {
		t.Errorf("previousLoginAt: got %v, want %s", got, first.Format(time.RFC3339))
	}
	if b2.session == b.session {
		t.Error("a second login got the first one's session id")
	}
	r = b2.get("/api/me").want(t, http.StatusOK)
	if got := r.json(t)["previousLoginAt"]; got != first.Format(time.RFC3339) {
		t.Errorf("GET /api/me previousLoginAt: got %v", got)
	}

	r = b2.do(http.MethodPut, "/api/me/preferences", map[string]any{"historyMonths": 12, "language": "en"}).want(t, http.StatusOK)
	if pr, _ := r.json(t)["preferences"].(map[string]any); pr["historyMonths"] != 12.0 || pr["language"] != "en" {
		t.Errorf("preferences after PUT: got %v", r.json(t)["preferences"])
	}
	e = b2.do(http.MethodPut, "/api/me/preferences", map[string]any{"historyMonths": 5}).wantError(t, http.StatusBadRequest, "bad_request")
	if e["message"] != "Invalid value: historyMonths." {
		t.Errorf("a signed-in English account got the message %q", e["message"])
	}

	const pw2 = "Remorque-Bleue-17"
	b2.post("/api/me/password", map[string]any{"currentPassword": "nope", "newPassword": pw2, "confirmation": pw2}).
		wantError(t, http.StatusBadRequest, "wrong_password")
	b2.post("/api/me/password", map[string]any{"currentPassword": pw1, "newPassword": pw2, "confirmation": "other"}).
		wantError(t, http.StatusBadRequest, "password_mismatch")
	oldID := b2.session
	b2.post("/api/me/password", map[string]any{"currentPassword": pw1, "newPassword": pw2, "confirmation": pw2}).
		want(t, http.StatusNoContent)
	if b2.session == "" || b2.session == oldID {
		t.Fatal("changing the password did not hand a new session id")
	}
	b2.get("/api/me").want(t, http.StatusOK)
	b.get("/api/me").wantError(t, http.StatusUnauthorized, "unauthenticated")
	stale := p.browser("198.51.100.11")
	stale.session = oldID
	stale.get("/api/me").wantError(t, http.StatusUnauthorized, "unauthenticated")

	b.post("/api/auth/login", map[string]any{"identifier": id, "password": pw1}).wantError(t, http.StatusUnauthorized, "invalid_credentials")
	b.post("/api/auth/login", map[string]any{"identifier": id, "password": pw2}).want(t, http.StatusOK)

	p.mailAll()
	changed := p.mailsTo(id, "password was changed")
	if len(changed) != 1 {
		t.Fatalf("got %d password-changed mails, want 1 (in English, the account's language now)", len(changed))
	}
	for _, want := range []string{id, "If this was not you", portalOrigin + "/acme/"} {
		if !strings.Contains(changed[0].Text, want) {
			t.Errorf("password-changed mail lacks %q:\n%s", want, changed[0].Text)
		}
	}
	p.checkLogs()
}

// TestRecovery covers PRODUCT.md §6.2–6.3: one link lists every account of an address in the
// space, a newer link voids the older, a link is spent by its set, an identifier of
// another address is refused, and unknown addresses get the same answer as known ones.
func TestRecovery(t *testing.T) {
	p := newPortal(t, nil)
	p.seed(durandReferential, "C001", "C002", "C010")
	const pierre, pierre1, alice = "pierre.durand@example.fr", "pierre.durand_1", "alice.martin@example.fr"
	b := p.browser("198.51.100.20")

	known := b.post("/api/auth/recovery", map[string]any{"space": "acme", "email": " Pierre.Durand@Example.FR "}).want(t, http.StatusAccepted)
	unknown := b.post("/api/auth/recovery", map[string]any{"space": "acme", "email": "personne@example.fr"}).want(t, http.StatusAccepted)
	if string(known.body) != string(unknown.body) {
		t.Errorf("known address answered %s, unknown %s: want the same", known.body, unknown.body)
	}
	if msg := known.json(t)["message"]; !strings.Contains(msg.(string), "mail de récupération de votre identifiant ou mot de passe") {
		t.Errorf("message: got %q", msg)
	}
	b.post("/api/auth/recovery", map[string]any{"space": "nowhere", "email": pierre}).wantError(t, http.StatusNotFound, "not_found")
	b.post("/api/auth/recovery", map[string]any{"space": "acme", "email": "pas-une-adresse"}).wantError(t, http.StatusBadRequest, "bad_request")

	p.mailAll()
	sent := p.mailsTo(pierre, "oublié")
	if len(sent) != 1 || len(p.mailsTo("personne@example.fr", "")) != 0 {
		t.Fatalf("got %d recovery mails to %s and %d to the unknown address, want 1 and 0", len(sent), pierre, len(p.mailsTo("personne@example.fr", "")))
	}
	t1 := p.token(sent[0])
	if p.item(p.env.MainTable, pk("TOKEN#"+t1, "TOKEN")) != nil {
		t.Error("the raw token is a key of the table")
	}
	if tok := p.item(p.env.MainTable, pk("TOKEN#"+tokenHash(t1), "TOKEN")); tok == nil || tok["kind"] != "recovery" || tok["expiresAt"] != p.now.Add(time.Hour).Format(time.RFC3339) {
		t.Errorf("recovery token item: got %v", tok)
	}
	// The outbox record holds a nonce, never the token it derives.
	out, err := p.aws.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(p.env.OutboxTable), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	attributevalue.UnmarshalListOfMaps(out.Items, &recs)
	found := 0
	for _, rec := range recs {
		if rec["kind"] != "recovery" {
			continue
		}
		found++
		if rec["status"] != "sent" || rec["nonce"] == nil || rec["secret"] != nil || strings.Contains(fmt.Sprint(rec), t1) {
			t.Errorf("outbox record after sending: got %v", rec)
		}
	}
	if found != 1 {
		t.Errorf("got %d recovery records in the outbox, want 1", found)
	}

	r := b.post("/api/auth/recovery/inspect", map[string]any{"token": t1}).want(t, http.StatusOK)
	got := r.json(t)
	var listed []string
	for _, a := range got["accounts"].([]any) {
		m := a.(map[string]any)
		listed = append(listed, m["identifier"].(string)+" / "+m["companyName"].(string))
	}
	slices.Sort(listed)
	want := []string{pierre + " / Durand Transports SARL", pierre1 + " / Durand Logistique SAS"}
	if got["email"] != pierre || !slices.Equal(listed, want) {
		t.Errorf("inspect: got %v %v, want %s with %v", got["email"], listed, pierre, want)
	}

	// A newer request voids the older link.
	p.now = p.now.Add(5 * time.Minute)
	b.post("/api/auth/recovery", map[string]any{"space": "acme", "email": pierre}).want(t, http.StatusAccepted)
	p.mailAll()
	sent = p.mailsTo(pierre, "oublié")
	if len(sent) != 2 {
		t.Fatalf("got %d recovery mails, want 2", len(sent))
	}
	t2 := p.token(sent[1])
	if t2 == t1 {
		t.Fatal("the second mail carries the first token")
	}
	b.post("/api/auth/recovery/inspect", map[string]any{"token": t1}).wantError(t, http.StatusGone, "link_expired")
	const pw = "Semi-Remorque-2026"
	b.post("/api/auth/recovery/complete", map[string]any{"token": t1, "identifier": pierre1, "password": pw, "confirmation": pw}).
		wantError(t, http.StatusGone, "link_expired")
	b.post("/api/auth/recovery/inspect", map[string]any{"token": t2}).want(t, http.StatusOK)

	// The link sets only the accounts of its address.
	b.post("/api/auth/recovery/complete", map[string]any{"token": t2, "identifier": alice, "password": pw, "confirmation": pw}).
		wantError(t, http.StatusForbidden, "forbidden")
	b.post("/api/auth/recovery/complete", map[string]any{"token": t2, "identifier": "Pierre.Durand_1", "password": pw, "confirmation": pw}).
		want(t, http.StatusNoContent)
	b.post("/api/auth/recovery/inspect", map[string]any{"token": t2}).wantError(t, http.StatusGone, "link_expired")
	b.post("/api/auth/recovery/complete", map[string]any{"token": t2, "identifier": pierre, "password": pw, "confirmation": pw}).
		wantError(t, http.StatusGone, "link_expired")
	r = b.post("/api/auth/login", map[string]any{"identifier": pierre1, "password": pw}).want(t, http.StatusOK)
	if r.json(t)["company"].(map[string]any)["customerNumber"] != "C002" {
		t.Errorf("login as %s landed in %s", pierre1, r.body)
	}
	p.mailAll()
	if got := p.mailsTo(pierre, "password was changed"); len(got) != 1 || !strings.Contains(got[0].Text, pierre1) {
		t.Errorf("got %d password-changed mails (English, C002's language) naming %s, want 1", len(got), pierre1)
	}

	// The activation link of that account still works until its own set or expiry.
	p.now = p.now.Add(time.Minute)
	act := p.activationToken(pierre1)
	b.post("/api/auth/recovery/inspect", map[string]any{"token": act}).want(t, http.StatusOK)
	const pw3 = "Citerne-Verte-88"
	b.post("/api/auth/recovery/complete", map[string]any{"token": act, "identifier": pierre, "password": pw3, "confirmation": pw3}).
		wantError(t, http.StatusForbidden, "forbidden")
	b.post("/api/auth/recovery/complete", map[string]any{"token": act, "identifier": pierre1, "password": pw3, "confirmation": pw3}).
		want(t, http.StatusNoContent)
	p.mailAll()
	if got := p.mailsTo(pierre, "password was changed"); len(got) != 2 {
		t.Errorf("an activation link on an account with a password sent %d password-changed mails in all, want 2", len(got))
	}
	b.get("/api/me").wantError(t, http.StatusUnauthorized, "unauthenticated") // a set ends every session

	// A recovery link lasts one hour.
	b3 := p.browser("198.51.100.21")
	b3.post("/api/auth/recovery", map[string]any{"space": "acme", "email": alice}).want(t, http.StatusAccepted)
	p.mailAll()
	t3 := p.token(p.mailsTo(alice, "oublié")[0])
	p.now = p.now.Add(59 * time.Minute)
	b3.post("/api/auth/recovery/inspect", map[string]any{"token": t3}).want(t, http.StatusOK)
	p.now = p.now.Add(time.Minute)
	b3.post("/api/auth/recovery/inspect", map[string]any{"token": t3}).wantError(t, http.StatusGone, "link_expired")
	for _, bad := range []string{"", "not-a-token", strings.Repeat("A", 22), strings.Repeat("x", 5000)} {
		b3.post("/api/auth/recovery/inspect", map[string]any{"token": bad}).wantError(t, http.StatusGone, "link_expired")
	}

	// Five requests per address per hour, then 429, known or not.
	b4 := p.browser("198.51.100.22")
	for i := 0; i < 5; i++ {
		b4.post("/api/auth/recovery", map[string]any{"space": "acme", "email": "inconnu@example.fr"}).want(t, http.StatusAccepted)
	}
	b4.post("/api/auth/recovery", map[string]any{"space": "acme", "email": "inconnu@example.fr"}).wantError(t, http.StatusTooManyRequests, "too_many_requests")
	// Twenty per client per hour.
	b5 := p.browser("198.51.100.23")
	for i := 0; i < 20; i++ {
		b5.post("/api/auth/recovery", map[string]any{"space": "acme", "email": "x" + strings.Repeat("y", i) + "@example.fr"}).want(t, http.StatusAccepted)
	}
	b5.post("/api/auth/recovery", map[string]any{"space": "acme", "email": "z@example.fr"}).wantError(t, http.StatusTooManyRequests, "too_many_requests")
	p.browser("198.51.100.24").post("/api/auth/recovery", map[string]any{"space": "acme", "email": "z@example.fr"}).want(t, http.StatusAccepted)
	p.now = p.now.Add(time.Hour)
	b5.post("/api/auth/recovery", map[string]any{"space": "acme", "email": "z@example.fr"}).want(t, http.StatusAccepted)

	// A space that opted in says when no account matches, with the FAQ's words.
	reveal := p.now.Format(time.DateOnly)
	if err := app.Store(p.env, p.clients, app.Options{}).PutSpace(context.Background(), revealSpace(t, reveal)); err != nil {
		t.Fatal(err)
	}
	e := b3.post("/api/auth/recovery", map[string]any{"space": "reveal", "email": "Personne@Example.fr"}).wantError(t, http.StatusNotFound, "no_account")
	if e["message"] != "Aucun compte trouvé pour personne@example.fr" {
		t.Errorf("no_account message: got %q", e["message"])
	}
	p.checkLogs()
}

func revealSpace(t *testing.T, since string) spaces.Space {
	t.Helper()
	sp := spaces.Space{ID: "reveal", Name: "Révélation", Since: since, RevealUnknownAccounts: true}
	if err := sp.Normalize(); err != nil {
		t.Fatal(err)
	}
	return sp
}

// TestThrottlingAndSessions covers PRODUCT.md §6's lock, per-client limit and session lifetimes.
func TestThrottlingAndSessions(t *testing.T) {
	limits := ratelimit.Default()
	limits.LoginFailuresPerClient = ratelimit.Limit{Max: 8, Window: 10 * time.Minute}
	p := newPortal(t, &limits)
	p.seed(durandReferential, "C010")
	const alice, pw = "alice.martin@example.fr", "Conseil-Martin-75"
	p.activate(alice, pw)
	login := func(b *browser, id, password string) apiResponse {
		return b.post("/api/auth/login", map[string]any{"identifier": id, "password": password})
	}
	acct := func() map[string]any { return p.item(p.env.MainTable, pk("ACCT#"+alice, "ACCT")) }

	t.Run("unknown and known identifiers answer alike", func(t *testing.T) {
		b := p.browser("192.0.2.1")
		unknown := login(b, "personne", "Quelconque-123")
		wrong := login(b, alice, "Quelconque-123")
		noPassword := login(b, "pierre.durand@example.fr", "Quelconque-123") // never set
		for _, r := range []apiResponse{unknown, wrong, noPassword} {
			r.wantError(t, http.StatusUnauthorized, "invalid_credentials")
			if string(r.body) != string(unknown.body) || len(r.header.Values("Set-Cookie")) != 0 {
				t.Errorf("got %s with cookies %v, want %s without", r.body, r.header.Values("Set-Cookie"), unknown.body)
			}
		}
		login(b, alice, pw).want(t, http.StatusOK)
		if a := acct(); a["failures"] != 0.0 {
			t.Errorf("a successful login left failures %v", a["failures"])
		}
		// The unknown identifier's refusal wrote what a known one's writes, in the log of
		// identifiers no account has (the same round trips: no timing difference).
		entries, _, err := app.Store(p.env, p.clients, p.opts).AuditPage(context.Background(), audit.UnknownLog("personne"), "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Action != audit.ActionLoginFailed || entries[0].Target != "personne" || entries[0].Detail != "unknown" ||
			entries[0].ExpiresAt.Sub(entries[0].At) != audit.UnknownLogKept {
			t.Errorf("unknown identifiers' log: got %+v, want one login_failed of personne kept 90 days", entries)
		}
	})

	t.Run("lock after 5 failures, doubling", func(t *testing.T) {
		b := p.browser("192.0.2.2")
		for i := 0; i < 5; i++ {
			login(b, alice, "Mauvais-Passe-1").wantError(t, http.StatusUnauthorized, "invalid_credentials")
		}
		if a := acct(); a["failures"] != 5.0 || a["lockedUntil"] != p.now.Add(time.Minute).Format(time.RFC3339) {
			t.Fatalf("after 5 failures: got failures %v lockedUntil %v, want 5 and %s", a["failures"], a["lockedUntil"], p.now.Add(time.Minute).Format(time.RFC3339))
		}
		// Locked: even the right password answers exactly like a wrong one.
		locked := login(b, alice, pw)
		locked.wantError(t, http.StatusUnauthorized, "invalid_credentials")
		if b.session != "" {
			t.Fatal("a locked account got a session")
		}
		p.now = p.now.Add(61 * time.Second)
		login(b, alice, "Mauvais-Passe-1").wantError(t, http.StatusUnauthorized, "invalid_credentials")
		if a := acct(); a["failures"] != 6.0 || a["lockedUntil"] != p.now.Add(2*time.Minute).Format(time.RFC3339) {
			t.Fatalf("6th failure: got failures %v lockedUntil %v, want a 2-minute lock", a["failures"], a["lockedUntil"])
		}
		b = p.browser("192.0.2.3") // the client limit is another test's
		p.now = p.now.Add(61 * time.Second)
		login(b, alice, pw).wantError(t, http.StatusUnauthorized, "invalid_credentials")
		p.now = p.now.Add(60 * time.Second)
		login(b, alice, pw).want(t, http.StatusOK)
		if a := acct(); a["failures"] != 0.0 || a["lockedUntil"] != nil {
			t.Errorf("after a login: got failures %v lockedUntil %v, want cleared", a["failures"], a["lockedUntil"])
		}
	})

	t.Run("a set password clears the lock", func(t *testing.T) {
		b := p.browser("192.0.2.4")
		for i := 0; i < 5; i++ {
			login(b, alice, "Mauvais-Passe-2").wantError(t, http.StatusUnauthorized, "invalid_credentials")
		}
		b.post("/api/auth/recovery", map[string]any{"space": "acme", "email": alice}).want(t, http.StatusAccepted)
		p.mailAll()
		got := p.mailsTo(alice, "oublié")
		tok := p.token(got[len(got)-1])
		const pw2 = "Conseil-Martin-76"
		b.post("/api/auth/recovery/complete", map[string]any{"token": tok, "identifier": alice, "password": pw2, "confirmation": pw2}).want(t, http.StatusNoContent)
		login(b, alice, pw2).want(t, http.StatusOK)
		// The rest of this test signs in with pw2.
	})
	const pw2 = "Conseil-Martin-76"

	t.Run("per client, 429 after the limit", func(t *testing.T) {
		b := p.browser("192.0.2.5")
		for i := 0; i < 8; i++ {
			id := "inconnu" + strings.Repeat("x", i)
			if i%2 == 1 {
				id = alice
			}
			login(b, id, "Mauvais-Passe-3").wantError(t, http.StatusUnauthorized, "invalid_credentials")
		}
		login(b, alice, pw2).wantError(t, http.StatusTooManyRequests, "too_many_requests")
		login(p.browser("192.0.2.6"), alice, pw2).want(t, http.StatusOK)
		p.now = p.now.Add(10 * time.Minute)
		login(b, alice, pw2).want(t, http.StatusOK)
	})

	t.Run("per client, an IPv6 /64 is one client", func(t *testing.T) {
		// A client moving through the addresses of its /64 keeps one counter.
		for i := 0; i < 8; i++ {
			b := p.browser(fmt.Sprintf("[2001:db8:5:1::%x]", i+1))
			login(b, "inconnu-v6", "Mauvais-Passe-3").wantError(t, http.StatusUnauthorized, "invalid_credentials")
		}
		login(p.browser("[2001:db8:5:1:ffff::9]"), alice, pw2).wantError(t, http.StatusTooManyRequests, "too_many_requests")
		login(p.browser("[2001:db8:5:2::1]"), alice, pw2).want(t, http.StatusOK)
		p.now = p.now.Add(10 * time.Minute)
	})

	t.Run("idle expiry", func(t *testing.T) {
		b := p.browser("192.0.2.7")
		login(b, alice, pw2).want(t, http.StatusOK)
		p.now = p.now.Add(29 * time.Minute)
		b.get("/api/me").want(t, http.StatusOK)
		p.now = p.now.Add(29 * time.Minute) // 58 minutes after the login, 29 after the last request
		b.get("/api/me").want(t, http.StatusOK)
		p.now = p.now.Add(30 * time.Minute)
		b.get("/api/me").wantError(t, http.StatusUnauthorized, "unauthenticated")
		if b.session != "" {
			t.Error("an expired session's cookie was not cleared")
		}
	})

	t.Run("absolute expiry", func(t *testing.T) {
		b := p.browser("192.0.2.8")
		start := p.now
		login(b, alice, pw2).want(t, http.StatusOK)
		for p.now.Add(25 * time.Minute).Before(start.Add(12 * time.Hour)) {
			p.now = p.now.Add(25 * time.Minute)
			b.get("/api/me").want(t, http.StatusOK)
		}
		if p.now.Sub(start) < 11*time.Hour+30*time.Minute {
			t.Fatalf("the session was last used %v after the login, want near 12 h", p.now.Sub(start))
		}
		p.now = start.Add(12 * time.Hour)
		b.get("/api/me").wantError(t, http.StatusUnauthorized, "unauthenticated")
	})

	t.Run("logout", func(t *testing.T) {
		b := p.browser("192.0.2.9")
		login(b, alice, pw2).want(t, http.StatusOK)
		other := p.browser("192.0.2.10")
		login(other, alice, pw2).want(t, http.StatusOK)
		id := b.session
		r := b.post("/api/auth/logout", nil).want(t, http.StatusNoContent)
		if b.session != "" || !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), ";"), "Max-Age=0") {
			t.Errorf("logout did not clear the cookie: %v", r.header.Values("Set-Cookie"))
		}
		b.session = id
		b.get("/api/me").wantError(t, http.StatusUnauthorized, "unauthenticated")
		if p.item(p.env.MainTable, pk("SESS#"+tokenHash(id), "SESS")) != nil {
			t.Error("the session item outlived the logout")
		}
		other.get("/api/me").want(t, http.StatusOK) // logout ends the caller's session only
		p.browser("192.0.2.11").post("/api/auth/logout", nil).want(t, http.StatusNoContent)
	})

	t.Run("rehash on login when the parameters changed", func(t *testing.T) {
		old := password.Hasher{Params: password.Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}}
		phc, err := old.Hash(pw2)
		if err != nil {
			t.Fatal(err)
		}
		p.setAttr("ACCT#"+alice, "ACCT", "passwordHash", phc)
		login(p.browser("192.0.2.13"), alice, pw2).want(t, http.StatusOK)
		got, _ := acct()["passwordHash"].(string)
		if got == phc || !strings.HasPrefix(got, "$argon2id$v=19$m=19456,t=2,p=1$") {
			t.Errorf("stored hash after login: got %q, want one with the current parameters", got)
		}
		login(p.browser("192.0.2.13"), alice, pw2).want(t, http.StatusOK)
	})

	t.Run("sessions are stored hashed with their TTL", func(t *testing.T) {
		b := p.browser("192.0.2.12")
		login(b, alice, pw2).want(t, http.StatusOK)
		if p.item(p.env.MainTable, pk("SESS#"+b.session, "SESS")) != nil {
			t.Error("the raw session id is a key of the table")
		}
		s := p.item(p.env.MainTable, pk("SESS#"+tokenHash(b.session), "SESS"))
		if s == nil || s["identifier"] != alice || s["space"] != "acme" || s["customerNumber"] != "C010" || s["ttl"] != float64(p.now.Add(12*time.Hour).Unix()) {
			t.Errorf("session item: got %v", s)
		}
	})
	p.checkLogs()
}

// TestAdministration covers PRODUCT.md §6.6: a company's users, their rights, the registered
// admin's protection, tenancy, and the audit log.
func TestAdministration(t *testing.T) {
	p := newPortal(t, nil)
	p.seed(durandReferential, "C001", "C010")
	const pierre, pwPierre = "pierre.durand@example.fr", "Camion-Rouge-42"
	const alice, pwAlice = "alice.martin@example.fr", "Conseil-Martin-75"
	p.activate(pierre, pwPierre)
	p.activate(alice, pwAlice)
	admin := p.browser("198.51.100.30")
	admin.post("/api/auth/login", map[string]any{"identifier": pierre, "password": pwPierre}).want(t, http.StatusOK)

	r := admin.get("/api/admin/users").want(t, http.StatusOK)
	items, _ := r.json(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["identifier"] != pierre || items[0].(map[string]any)["registeredAdmin"] != true {
		t.Fatalf("users: got %s", r.body)
	}

	const jean, pwJean = "jean.dupont", "Tracteur-Jaune-09"
	newUser := map[string]any{
		"identifier": "Jean.Dupont", "password": pwJean, "confirmation": pwJean, "lastName": "Dupont", "firstName": "Jean",
		"email": "jean.dupont@example.fr", "phone": "01 23 45 67 89", "mobile": "", "profile": "",
	}
	r = admin.post("/api/admin/users", newUser).want(t, http.StatusCreated)
	u := r.json(t)
	if u["identifier"] != jean || u["customerNumber"] != "C001" || u["active"] != true || u["admin"] != false ||
		u["registeredAdmin"] != false || u["profile"] != "Aucun" || u["email"] != "jean.dupont@example.fr" || u["lastLoginAt"] != nil {
		t.Errorf("created user: got %s", r.body)
	}
	admin.post("/api/admin/users", newUser).wantError(t, http.StatusConflict, "identifier_taken")
	for _, c := range []struct {
		name   string
		change map[string]any
		code   string
	}{
		{"identifier of another company", map[string]any{"identifier": alice, "email": alice}, "bad_request"},
		{"the user's own address", map[string]any{"identifier": "jean.dupont@example.fr"}, "bad_request"},
		{"too short", map[string]any{"identifier": "jd"}, "bad_request"},
		{"forbidden character", map[string]any{"identifier": "jean dupont"}, "bad_request"},
		{"someone else's address", map[string]any{"identifier": "autre@example.fr"}, "bad_request"},
		{"unknown profile", map[string]any{"identifier": "jean.d", "profile": "Direction"}, "bad_request"},
		{"weak password", map[string]any{"identifier": "jean.d", "password": "password", "confirmation": "password"}, "password_policy"},
		{"password mismatch", map[string]any{"identifier": "jean.d", "confirmation": "Tracteur-Jaune-10"}, "password_mismatch"},
		{"bad e-mail", map[string]any{"identifier": "jean.d", "email": "jean@"}, "bad_request"},
	} {
		t.Run("create refused: "+c.name, func(t *testing.T) {
			body := map[string]any{}
			for k, v := range newUser {
				body[k] = v
			}
			for k, v := range c.change {
				body[k] = v
			}
			status := http.StatusBadRequest
			if c.code == "identifier_taken" {
				status = http.StatusConflict
			}
			admin.post("/api/admin/users", body).wantError(t, status, c.code)
		})
	}
	// "@" is ingestion's: an admin's identifier never looks like an address.
	at := map[string]any{}
	for k, v := range newUser {
		at[k] = v
	}
	at["identifier"] = "jean.dupont@example.fr"
	e := admin.post("/api/admin/users", at).wantError(t, http.StatusBadRequest, "bad_request")
	if e["field"] != "identifier" || !strings.Contains(e["message"].(string), "« @ »") {
		t.Errorf("an identifier with @: got %v, want the identifier named and why", e)
	}
	admin.do(http.MethodPut, "/api/me/preferences", map[string]any{"language": "en"}).want(t, http.StatusOK)
	e = admin.post("/api/admin/users", at).wantError(t, http.StatusBadRequest, "bad_request")
	if e["message"] != "An identifier chosen by an admin cannot contain “@”: it is reserved to accounts created from a registered e-mail address." {
		t.Errorf("English message: got %q", e["message"])
	}
	admin.do(http.MethodPut, "/api/me/preferences", map[string]any{"language": "fr"}).want(t, http.StatusOK)
	p.mailAll()
	if got := p.mailsTo("jean.dupont@example.fr", ""); len(got) != 0 {
		t.Errorf("creating a user sent %d mails, want none (FAQ §13)", len(got))
	}

	j := p.browser("198.51.100.31")
	j.post("/api/auth/login", map[string]any{"identifier": jean, "password": pwJean}).want(t, http.StatusOK)
	j.get("/api/admin/users").wantError(t, http.StatusForbidden, "forbidden")
	j.get("/api/admin/audit").wantError(t, http.StatusForbidden, "forbidden")
	j.do(http.MethodPatch, "/api/admin/users/"+jean, map[string]any{"admin": true}).wantError(t, http.StatusForbidden, "forbidden")
	p.browser("198.51.100.39").get("/api/admin/users").wantError(t, http.StatusUnauthorized, "unauthenticated")

	r = admin.do(http.MethodPatch, "/api/admin/users/JEAN.DUPONT", map[string]any{"firstName": " Jean-Marc ", "mobile": "06 11 22 33 44"}).want(t, http.StatusOK)
	if u := r.json(t); u["firstName"] != "Jean-Marc" || u["mobile"] != "06 11 22 33 44" || u["phone"] != "01 23 45 67 89" {
		t.Errorf("patched user: got %s", r.body)
	}
	admin.do(http.MethodPatch, "/api/admin/users/"+jean, map[string]any{"admin": true}).want(t, http.StatusOK)
	j.get("/api/admin/users").want(t, http.StatusOK) // rights hold from the next request

	// The registered admin is protected from other admins; no admin demotes itself.
	j.do(http.MethodPatch, "/api/admin/users/"+pierre, map[string]any{"active": false}).wantError(t, http.StatusForbidden, "forbidden")
	j.do(http.MethodPatch, "/api/admin/users/"+pierre, map[string]any{"admin": false}).wantError(t, http.StatusForbidden, "forbidden")
	j.do(http.MethodPatch, "/api/admin/users/"+pierre, map[string]any{"email": "autre@example.fr"}).wantError(t, http.StatusForbidden, "forbidden")
	j.do(http.MethodPatch, "/api/admin/users/"+pierre, map[string]any{"phone": "01 00 00 00 00"}).want(t, http.StatusOK)
	admin.do(http.MethodPatch, "/api/admin/users/"+pierre, map[string]any{"active": false}).wantError(t, http.StatusForbidden, "forbidden")
	j.do(http.MethodPatch, "/api/admin/users/"+jean, map[string]any{"admin": false}).wantError(t, http.StatusForbidden, "forbidden")

	// Tenancy: another company's account is as unknown as a missing one.
	admin.do(http.MethodPatch, "/api/admin/users/"+alice, map[string]any{"firstName": "X"}).wantError(t, http.StatusNotFound, "not_found")
	admin.do(http.MethodPatch, "/api/admin/users/personne", map[string]any{"firstName": "X"}).wantError(t, http.StatusNotFound, "not_found")
	if a := p.item(p.env.MainTable, pk("ACCT#"+alice, "ACCT")); a["firstName"] != nil {
		t.Errorf("another company's account changed: %v", a)
	}

	// A password set by an admin ends the user's sessions and mails the user.
	p.now = p.now.Add(time.Minute)
	const pwJean2 = "Tracteur-Jaune-10"
	admin.do(http.MethodPatch, "/api/admin/users/"+jean, map[string]any{"password": pwJean2, "confirmation": "x", "adminPassword": pwPierre}).wantError(t, http.StatusBadRequest, "password_mismatch")
	// Setting another's password takes the admin's own; nobody sets its own here, and
	// nobody but the registered admin sets the registered admin's.
	e = admin.do(http.MethodPatch, "/api/admin/users/"+jean, map[string]any{"password": pwJean2, "confirmation": pwJean2}).wantError(t, http.StatusBadRequest, "bad_request")
	if e["field"] != "adminPassword" || e["message"] != "Saisissez votre propre mot de passe pour définir celui d'un autre utilisateur." {
		t.Errorf("no admin password: got %v", e)
	}
	admin.do(http.MethodPatch, "/api/admin/users/"+jean, map[string]any{"password": pwJean2, "confirmation": pwJean2, "adminPassword": pwJean}).wantError(t, http.StatusBadRequest, "wrong_password")
	if a := p.item(p.env.MainTable, pk("ACCT#"+pierre, "ACCT")); a["failures"] != 1.0 {
		t.Errorf("a wrong admin password: the admin's failures are %v, want 1", a["failures"])
	}
	admin.do(http.MethodPatch, "/api/admin/users/"+pierre, map[string]any{"password": pwJean2, "confirmation": pwJean2, "adminPassword": pwPierre}).wantError(t, http.StatusForbidden, "forbidden")
	j.do(http.MethodPatch, "/api/admin/users/"+pierre, map[string]any{"password": pwJean2, "confirmation": pwJean2, "adminPassword": pwJean}).wantError(t, http.StatusForbidden, "forbidden")
	j.do(http.MethodPatch, "/api/admin/users/"+jean, map[string]any{"password": pwJean2, "confirmation": pwJean2, "adminPassword": pwJean}).wantError(t, http.StatusForbidden, "forbidden")
	admin.do(http.MethodPatch, "/api/admin/users/"+jean, map[string]any{"password": pwJean2, "confirmation": pwJean2, "adminPassword": pwPierre}).want(t, http.StatusOK)
	if a := p.item(p.env.MainTable, pk("ACCT#"+pierre, "ACCT")); a["failures"] != 0.0 {
		t.Errorf("the right admin password left the admin's failures at %v, want 0", a["failures"])
	}
	j.get("/api/me").wantError(t, http.StatusUnauthorized, "unauthenticated")
	j.post("/api/auth/login", map[string]any{"identifier": jean, "password": pwJean}).wantError(t, http.StatusUnauthorized, "invalid_credentials")
	j.post("/api/auth/login", map[string]any{"identifier": jean, "password": pwJean2}).want(t, http.StatusOK)
	p.mailAll()
	if got := p.mailsTo("jean.dupont@example.fr", "mot de passe"); len(got) != 1 || !strings.Contains(got[0].Text, jean) {
		t.Errorf("got %d password-changed mails to jean, want 1", len(got))
	}

	// A new address is where recovery finds the account.
	r = admin.do(http.MethodPatch, "/api/admin/users/"+jean, map[string]any{"email": "Jean.D@Example.fr"}).want(t, http.StatusOK)
	if a := p.item(p.env.MainTable, pk("ACCT#"+jean, "ACCT")); r.json(t)["email"] != "Jean.D@Example.fr" || a["gsi1pk"] != "EMAIL#acme#jean.d@example.fr" || a["gsi1sk"] != jean {
		t.Errorf("after an e-mail change: got %s and index keys %v %v", r.body, a["gsi1pk"], a["gsi1sk"])
	}
	admin.do(http.MethodPatch, "/api/admin/users/"+jean, map[string]any{"email": ""}).want(t, http.StatusOK)
	if a := p.item(p.env.MainTable, pk("ACCT#"+jean, "ACCT")); a["email"] != nil || a["gsi1pk"] != nil {
		t.Errorf("after removing the e-mail: got %v", a)
	}

	// Deactivation ends the sessions and refuses logins like a wrong password.
	p.now = p.now.Add(time.Minute)
	r = admin.do(http.MethodPatch, "/api/admin/users/"+jean, map[string]any{"active": false}).want(t, http.StatusOK)
	if r.json(t)["active"] != false {
		t.Errorf("deactivated user: got %s", r.body)
	}
	p.now = p.now.Add(time.Second)
	j.get("/api/me").wantError(t, http.StatusUnauthorized, "unauthenticated")
	j.post("/api/auth/login", map[string]any{"identifier": jean, "password": pwJean2}).wantError(t, http.StatusUnauthorized, "invalid_credentials")
	admin.get("/api/me").want(t, http.StatusOK)

	// The audit log, newest first, three at a time.
	p.now = p.now.Add(time.Minute)
	var actions []string
	var last time.Time
	cursor := ""
	for page := 0; page < 10; page++ {
		path := "/api/admin/audit?limit=3"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		got := admin.get(path).want(t, http.StatusOK).json(t)
		items, _ := got["items"].([]any)
		if len(items) == 0 || len(items) > 3 {
			t.Fatalf("page %d: got %d items", page, len(items))
		}
		for _, it := range items {
			m := it.(map[string]any)
			at, err := time.Parse(time.RFC3339Nano, m["at"].(string))
			if err != nil || (!last.IsZero() && at.After(last)) {
				t.Errorf("page %d: entry at %v after %v: not newest first", page, m["at"], last)
			}
			last = at
			actions = append(actions, m["action"].(string)+" "+m["actor"].(string)+" "+m["target"].(string))
		}
		next, _ := got["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	for _, want := range []string{
		"login_failed " + jean + " " + jean, "user_updated " + pierre + " " + jean, "password_reset " + pierre + " " + jean,
		"login " + jean + " " + jean, "user_created " + pierre + " " + jean, "login " + pierre + " " + pierre,
		"password_set " + pierre + " " + pierre, "user_updated " + jean + " " + pierre,
	} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log lacks %q: got %q", want, actions)
		}
	}
	for _, a := range actions {
		if strings.Contains(a, alice) {
			t.Errorf("another company's entry %q in the log", a)
		}
	}
	if actions[0] != "login_failed "+jean+" "+jean {
		t.Errorf("newest entry: got %q, want jean's failed login", actions[0])
	}

	// Cursors are signed and bound to the company.
	first := admin.get("/api/admin/audit?limit=1").want(t, http.StatusOK).json(t)
	cur := first["nextCursor"].(string)
	admin.get("/api/admin/audit?cursor="+cur[:len(cur)-2]+"xx").wantError(t, http.StatusBadRequest, "bad_request")
	admin.get("/api/admin/audit?limit=0").wantError(t, http.StatusBadRequest, "bad_request")
	other := p.browser("198.51.100.32")
	other.post("/api/auth/login", map[string]any{"identifier": alice, "password": pwAlice}).want(t, http.StatusOK)
	other.get("/api/admin/audit?cursor="+cur).wantError(t, http.StatusBadRequest, "bad_request")
	r = other.get("/api/admin/audit").want(t, http.StatusOK)
	if strings.Contains(string(r.body), pierre) || strings.Contains(string(r.body), jean) {
		t.Errorf("another company's audit log shows C001's entries: %s", r.body)
	}
	p.checkLogs()
}

// TestRequestGuards covers PRODUCT.md §6's same-origin rule and closed CORS, the public space
// route, and that the template declares exactly the routes the code serves.
func TestRequestGuards(t *testing.T) {
	p := newPortal(t, nil)
	b := p.browser("198.51.100.40")
	body := `{"identifier":"personne","password":"Quelconque-123"}`
	for _, c := range []struct {
		name                      string
		origin, site, contentType string
		wantStatus                int
		wantCode                  string
	}{
		{"no origin, no fetch metadata", "", "", "application/json", http.StatusForbidden, "forbidden"},
		{"foreign origin", "https://evil.example", "", "application/json", http.StatusForbidden, "forbidden"},
		{"portal origin but cross-site", portalOrigin, "cross-site", "application/json", http.StatusForbidden, "forbidden"},
		{"same-site is not same-origin", portalOrigin, "same-site", "application/json", http.StatusForbidden, "forbidden"},
		{"null origin", "null", "", "application/json", http.StatusForbidden, "forbidden"},
		{"form post", portalOrigin, "same-origin", "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, "bad_request"},
		{"plain text", portalOrigin, "same-origin", "text/plain", http.StatusUnsupportedMediaType, "bad_request"},
		{"origin only", portalOrigin, "", "application/json; charset=utf-8", http.StatusUnauthorized, "invalid_credentials"},
		{"fetch metadata only", "", "same-origin", "application/json", http.StatusUnauthorized, "invalid_credentials"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, portalOrigin+"/api/auth/login", strings.NewReader(body))
			for k, v := range map[string]string{"Origin": c.origin, "Sec-Fetch-Site": c.site, "Content-Type": c.contentType} {
				if v != "" {
					req.Header.Set(k, v)
				}
			}
			b.send(req).wantError(t, c.wantStatus, c.wantCode)
		})
	}
	t.Run("admin routes are guarded too", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPatch, portalOrigin+"/api/admin/users/x", strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "https://evil.example")
		b.send(req).wantError(t, http.StatusForbidden, "forbidden")
	})
	t.Run("no CORS preflight answer", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodOptions, portalOrigin+"/api/auth/login", nil)
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		if r := b.send(req); r.status < 400 {
			t.Errorf("preflight: got %d, want a refusal", r.status)
		}
		req = httptest.NewRequest(http.MethodGet, portalOrigin+"/api/spaces/acme", nil)
		req.Header.Set("Origin", "https://evil.example")
		b.send(req).want(t, http.StatusOK) // send checks that no Access-Control-* header came back
	})
	t.Run("body limits", func(t *testing.T) {
		b.post("/api/auth/login", map[string]any{"identifier": strings.Repeat("x", 70<<10), "password": "p"}).wantError(t, http.StatusRequestEntityTooLarge, "too_large")
		b.post("/api/auth/login", map[string]any{"identifier": "x", "password": "p", "extra": true}).wantError(t, http.StatusBadRequest, "bad_request")
	})
	t.Run("languages", func(t *testing.T) {
		en := p.browser("198.51.100.41")
		en.lang = "en-GB,en;q=0.9,fr;q=0.8"
		e := en.post("/api/auth/login", map[string]any{"identifier": "x", "password": "p"}).wantError(t, http.StatusUnauthorized, "invalid_credentials")
		if e["message"] != "Incorrect identifier or password." {
			t.Errorf("English message: got %q", e["message"])
		}
		fr := p.browser("198.51.100.42")
		fr.lang = "de-DE,fr;q=0.8,en;q=0.5"
		e = fr.post("/api/auth/login", map[string]any{"identifier": "x", "password": "p"}).wantError(t, http.StatusUnauthorized, "invalid_credentials")
		if e["message"] != "Identifiant ou mot de passe incorrect." {
			t.Errorf("French message: got %q", e["message"])
		}
	})
	t.Run("public space", func(t *testing.T) {
		r := b.get("/api/spaces/acme").want(t, http.StatusOK)
		got := r.json(t)
		brand, _ := got["brand"].(map[string]any)
		if got["id"] != "acme" || got["name"] != "Acme Finance / Acme Location" || got["since"] != "2022-12-02" ||
			brand["color"] != "#1f4e79" || got["revealUnknownAccounts"] != false || len(got["profiles"].([]any)) != 1 {
			t.Errorf("space: got %s", r.body)
		}
		for _, id := range []string{"nowhere", "ACME", "a", "..%2F..%2Fetc"} {
			b.get("/api/spaces/"+id).wantError(t, http.StatusNotFound, "not_found")
		}
		b.get("/api/nothing-here").wantError(t, http.StatusNotFound, "not_found")
	})
	t.Run("template routes are the served routes", func(t *testing.T) {
		declared, code := map[string][]string{}, map[string][]string{}
		for id, fn := range p.aws.Stack.Functions() {
			declared[id] = nil
			for _, r := range fn.HTTP {
				declared[id] = append(declared[id], r.Method+" "+r.Path)
			}
		}
		for _, fn := range app.Functions() {
			code[fn.ID] = fn.Routes
		}
		if err := template.Check(declared, code, "app.Functions()"); err != nil {
			t.Error(err)
		}
	})
	p.checkLogs()
}
