package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/staff"
	"github.com/efacture/efacture/shared/service/mailevents"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// sesRecord is an SES event as the configuration set publishes it to SNS: kind Bounce
// (permanent, no such address) or Delivery, about to, at at; company "" for a mail of no
// single company, such as a recovery mail, which carries only the space.
func sesRecord(kind, company, to string, at time.Time) events.SNSEventRecord {
	headers := `[{"name":"To","value":"` + to + `"},{"name":"X-Efacture-Space","value":"acme"}`
	if company != "" {
		headers += `,{"name":"X-Efacture-Company","value":"` + company + `"}`
	}
	stamp := at.UTC().Format("2006-01-02T15:04:05.000Z")
	body := `{"eventType":"` + kind + `","mail":{"timestamp":"` + stamp + `","destination":["` + to + `"],"headers":` + headers + `]},`
	switch kind {
	case "Bounce":
		body += `"bounce":{"bounceType":"Permanent","bounceSubType":"NoEmail","bouncedRecipients":[{"emailAddress":"` + to + `","status":"5.1.1"}],"timestamp":"` + stamp + `"}}`
	case "Delivery":
		body += `"delivery":{"recipients":["` + to + `"],"timestamp":"` + stamp + `","smtpResponse":"250 2.0.0 OK"}}`
	}
	return events.SNSEventRecord{EventSource: "aws:sns", SNS: events.SNSEntity{MessageID: kind + "-" + stamp, Message: body}}
}

// TestMailStatusHoldsNotifications follows PRODUCT.md §5's mail status through the local
// stack: after a permanent bounce the next document queues no notification while a
// recovery mail, which a person asked for, still goes; the admin's me says so; an
// earlier delivery changes nothing, the recovery mail's delivery clears the status; a
// second bounce holds mail again until the referential changes the address, after which
// the next document's notification reaches the new address.
func TestMailStatusHoldsNotifications(t *testing.T) {
	p := newPortal(t, nil)
	p.seed("customer_number,company_name,email,notification,language\nC1,Un,un@example.fr,link,fr\n", "C1")
	const un = "un@example.fr"
	if n := len(p.mailsTo(un, "")); n != 2 {
		t.Fatalf("after the first document: got %d mails to %s, want activation and notification", n, un)
	}
	p.activate(un, "Correct-Horse-7")
	b := p.browser("198.51.100.31")
	b.post("/api/auth/login", map[string]any{"identifier": un, "password": "Correct-Horse-7"}).want(t, http.StatusOK)
	company := func() map[string]any {
		t.Helper()
		return b.get("/api/me").want(t, http.StatusOK).json(t)["company"].(map[string]any)
	}
	if c := company(); c["mailStatus"] != nil || c["mailStatusAt"] != nil {
		t.Fatalf("me before any bounce: got company %v", c)
	}
	onSNS := build[lambdaevents.SNSHandler](t, app.MailEventsFunction, p.env, p.clients, app.Options{Now: func() time.Time { return p.now }})
	publish := func(r events.SNSEventRecord) {
		t.Helper()
		if err := onSNS(context.Background(), events.SNSEvent{Records: []events.SNSEventRecord{r}}); err != nil {
			t.Fatal(err)
		}
	}
	document := func(number string) {
		t.Helper()
		p.put("inbox/acme/documents/"+number+".pdf", pdfFor(t, number, "Un"), meta("C1", number))
		p.ingestAll()
		p.mailAll()
		if p.item(p.env.DocumentsTable, pk("acme#C1", "2026-11-20#"+number)) == nil {
			t.Fatalf("%s was not filed", number)
		}
	}
	notified := func(number string) bool {
		return p.item(p.env.OutboxTable, pk("notify#acme#C1#"+number, "")) != nil
	}

	bounceAt := p.now.Add(-time.Minute)
	publish(sesRecord("Bounce", "acme#C1", un, bounceAt))
	cust := p.item(p.env.MainTable, pk("CUST#acme#C1", "CUST"))
	if cust["mailStatus"] != mailevents.BouncedAddressUnknown || cust["mailStatusEmail"] != un || cust["mailStatusAt"] != "2026-11-26T09:59:00.000Z" {
		t.Fatalf("customer after the bounce: got %v", cust)
	}
	if c := company(); c["mailStatus"] != mailevents.BouncedAddressUnknown || c["mailStatusAt"] != "2026-11-26T09:59:00Z" {
		t.Errorf("admin's me after the bounce: got company %v", c)
	}

	document("F-2")
	if notified("F-2") || len(p.mailsTo(un, "")) != 2 {
		t.Fatalf("after a bounce: notification queued %v, %d mails to %s; want none queued, still 2", notified("F-2"), len(p.mailsTo(un, "")), un)
	}

	// A delivery that happened before the bounce clears nothing.
	publish(sesRecord("Delivery", "acme#C1", un, bounceAt.Add(-time.Second)))
	if c := company(); c["mailStatus"] == nil {
		t.Fatal("an earlier delivery cleared the status")
	}

	// Recovery is asked for by a person: it is sent despite the status, and its delivery
	// (a mail of no single company) clears the status.
	p.browser("198.51.100.32").post("/api/auth/recovery", map[string]any{"space": "acme", "email": un}).want(t, http.StatusAccepted)
	p.mailAll()
	if n := len(p.mailsTo(un, "oublié")); n != 1 {
		t.Fatalf("recovery while held: got %d mails, want 1", n)
	}
	publish(sesRecord("Delivery", "", un, bounceAt.Add(time.Second)))
	if cust := p.item(p.env.MainTable, pk("CUST#acme#C1", "CUST")); cust["mailStatus"] != nil || cust["mailStatusAt"] != nil || cust["mailStatusEmail"] != nil {
		t.Fatalf("after the recovery mail's delivery: got customer %v", cust)
	}
	if c := company(); c["mailStatus"] != nil {
		t.Errorf("me after the delivery: got company %v", c)
	}
	document("F-3")
	if !notified("F-3") {
		t.Fatal("after the delivery: F-3 queued no notification")
	}

	// Bounced again; the referential gives a new address, whose notifications go.
	publish(sesRecord("Bounce", "acme#C1", un, p.now))
	document("F-4")
	if notified("F-4") {
		t.Fatal("after the second bounce: F-4 queued a notification")
	}
	p.put("inbox/acme/customers/new.csv", []byte("customer_number,company_name,email,notification,language\nC1,Un,trois@example.fr,link,fr\n"), nil)
	p.ingestAll()
	if cust := p.item(p.env.MainTable, pk("CUST#acme#C1", "CUST")); cust["mailStatus"] != nil || cust["email"] != "trois@example.fr" {
		t.Fatalf("after the address changed: got customer %v", cust)
	}
	document("F-5")
	if !notified("F-5") {
		t.Fatal("after the address changed: F-5 queued no notification")
	}
	var activation, notice int
	for _, m := range p.mailsTo("trois@example.fr", "") {
		switch {
		case strings.Contains(m.Text, "F-5"):
			notice++
		case strings.Contains(m.Subject, "Activation"):
			activation++
		}
	}
	if activation != 1 || notice != 1 {
		t.Errorf("new address: got %d activation and %d notification mails, want 1 and 1", activation, notice)
	}
	p.checkLogs()
}

// TestMailStatusOtherAddresses: a bounce or a delivery about an address that is not the
// registered e-mail (a user's own, mailed under the company) changes nothing.
func TestMailStatusOtherAddresses(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number,email,notification\nC1,un@example.fr,link\n"), nil)
	p.ingestAll()
	h := build[lambdaevents.SNSHandler](t, app.MailEventsFunction, p.env, p.clients, app.Options{})
	if err := h(context.Background(), events.SNSEvent{Records: []events.SNSEventRecord{
		sesRecord("Bounce", "acme#C1", "collegue@example.fr", p.now),
		sesRecord("Bounce", "", "inconnu@example.fr", p.now),
	}}); err != nil {
		t.Fatal(err)
	}
	if cust := p.item(p.env.MainTable, pk("CUST#acme#C1", "CUST")); cust["mailStatus"] != nil {
		t.Errorf("a bounce of another address set the status: %v", cust)
	}
}

// TestMailStatusHoldsDigest: documents queued for a digest before the address bounced are
// not mailed at the digest hour; they stay in the portal and the queue is emptied.
func TestMailStatusHoldsDigest(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number;email;notification\nD1;dupont@example.fr;digest\n"), nil)
	p.ingestAll()
	p.put("inbox/acme/documents/D-1.pdf", pdfFor(t, "D-1", "Dupont"), meta("D1", "D-1"))
	p.ingestAll()
	p.mailAll()
	if due := p.digestDue("acme"); len(due) != 1 {
		t.Fatalf("before the bounce: due counters %v, want D1's", due)
	}
	h := build[lambdaevents.SNSHandler](t, app.MailEventsFunction, p.env, p.clients, app.Options{})
	if err := h(context.Background(), events.SNSEvent{Records: []events.SNSEventRecord{sesRecord("Bounce", "acme#D1", "dupont@example.fr", p.now)}}); err != nil {
		t.Fatal(err)
	}
	before := len(p.mails())
	run := build[lambdaevents.ScheduleHandler](t, app.DigestFunction, p.env, p.clients, app.Options{Now: func() time.Time { return p.now }})
	p.now = time.Date(2026, 11, 26, 17, 0, 5, 0, time.UTC) // 18:00:05 in Paris
	if err := run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	p.mailAll()
	if got := len(p.mails()); got != before {
		t.Errorf("digest hour with a bounced address: got %d new mails, want none", got-before)
	}
	if due := p.digestDue("acme"); len(due) != 0 {
		t.Errorf("after the digest hour: due counters %v, want none", due)
	}
	if p.item(p.env.DocumentsTable, pk("acme#D1", "2026-11-20#D-1")) == nil {
		t.Error("the document left the portal")
	}
}

// TestStaffClearsMailStatus: once the customer says its mailbox works again, a member of
// the space lifts the status it sees (PRODUCT.md §11); a status changed since is not
// cleared unseen, another space's member cannot reach it, both audit logs record it, and
// the next document is notified again.
func TestStaffClearsMailStatus(t *testing.T) {
	p := newPortal(t, nil)
	p.seed("customer_number,company_name,email,notification,language\nC1,Un,un@example.fr,link,fr\n", "C1")
	const un = "un@example.fr"
	onSNS := build[lambdaevents.SNSHandler](t, app.MailEventsFunction, p.env, p.clients, app.Options{Now: func() time.Time { return p.now }})
	if err := onSNS(context.Background(), events.SNSEvent{Records: []events.SNSEventRecord{sesRecord("Bounce", "acme#C1", un, p.now.Add(-time.Minute))}}); err != nil {
		t.Fatal(err)
	}
	p.addStaff("acme", "paul", staff.RoleAdvisor, staffPassword)
	p.addStaff("globex", "gina", staff.RoleSupervisor, staffPassword)
	adv := p.browser("203.0.113.50")
	adv.staffLogin("acme", "paul", staffPassword, p.code(0)).want(t, http.StatusOK)
	p.now = p.now.Add(30 * time.Second)
	other := p.browser("203.0.113.51")
	other.staffLogin("globex", "gina", staffPassword, p.code(0)).want(t, http.StatusOK)

	if v := adv.get("/api/staff/customers/C1").want(t, http.StatusOK).json(t); v["mailStatus"] != mailevents.BouncedAddressUnknown || v["mailStatusAt"] == nil {
		t.Fatalf("view after the bounce: got %v", v)
	}
	const clear = "/api/staff/customers/C1/mail-status?status="
	other.do(http.MethodDelete, clear+url.QueryEscape(mailevents.BouncedAddressUnknown), nil).wantError(t, http.StatusNotFound, "not_found")
	adv.do(http.MethodDelete, "/api/staff/customers/C1/mail-status", nil).wantError(t, http.StatusBadRequest, "bad_request")
	adv.do(http.MethodDelete, clear+url.QueryEscape(mailevents.Complaint), nil).wantError(t, http.StatusConflict, "mail_status_changed")
	if cust := p.item(p.env.MainTable, pk("CUST#acme#C1", "CUST")); cust["mailStatus"] != mailevents.BouncedAddressUnknown {
		t.Fatalf("refused clears changed the customer: %v", cust)
	}
	adv.do(http.MethodDelete, clear+url.QueryEscape(mailevents.BouncedAddressUnknown), nil).want(t, http.StatusNoContent)
	if cust := p.item(p.env.MainTable, pk("CUST#acme#C1", "CUST")); cust["mailStatus"] != nil || cust["mailStatusAt"] != nil || cust["mailStatusEmail"] != nil {
		t.Fatalf("after the clear: got customer %v", cust)
	}
	if v := adv.get("/api/staff/customers/C1").want(t, http.StatusOK).json(t); v["mailStatus"] != nil || v["mailStatusAt"] != nil {
		t.Errorf("view after the clear: got %v", v)
	}
	// Cleared already: what the member saw is gone.
	adv.do(http.MethodDelete, clear+url.QueryEscape(mailevents.BouncedAddressUnknown), nil).wantError(t, http.StatusConflict, "mail_status_changed")

	store := app.Store(p.env, p.clients, p.opts)
	entries, _, err := store.AuditPage(context.Background(), "acme#C1", "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var cleared int
	for _, e := range entries {
		if e.Action == staff.ActionMailStatusCleared {
			cleared++
			if e.Actor != staff.CustomerService || e.Target != "C1" || e.Detail != un {
				t.Errorf("customer audit entry: got %+v", e)
			}
		}
	}
	if cleared != 1 {
		t.Errorf("customer audit log: %d %s entries, want 1", cleared, staff.ActionMailStatusCleared)
	}

	p.put("inbox/acme/documents/F-9.pdf", pdfFor(t, "F-9", "Un"), meta("C1", "F-9"))
	p.ingestAll()
	p.mailAll()
	if p.item(p.env.OutboxTable, pk("notify#acme#C1#F-9", "")) == nil {
		t.Fatal("after the clear: F-9 queued no notification")
	}
	if n := len(p.mailsTo(un, "F-9")); n != 1 {
		t.Errorf("after the clear: got %d notifications of F-9, want 1", n)
	}
	p.checkLogs()
}
