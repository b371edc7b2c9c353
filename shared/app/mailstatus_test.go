package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/fault"
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

// TestClearMailStatusByStaff clears a status on a staff member's word, against moto: the
// status goes, and the customer's audit log says who cleared what.
func TestClearMailStatusByStaff(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number,email,notification\nC1,un@example.fr,link\n"), nil)
	p.ingestAll()
	h := build[lambdaevents.SNSHandler](t, app.MailEventsFunction, p.env, p.clients, app.Options{})
	if err := h(context.Background(), events.SNSEvent{Records: []events.SNSEventRecord{sesRecord("Bounce", "acme#C1", "un@example.fr", p.now)}}); err != nil {
		t.Fatal(err)
	}
	store := app.Store(p.env, p.clients, app.Options{})
	svc := &mailevents.Service{Store: store, Now: func() time.Time { return p.now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()

	if err := svc.ClearMailStatus(ctx, "acme", "C404", "conseil.martin"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("unknown customer: got %v, want not_found", err)
	}
	if err := svc.ClearMailStatus(ctx, "acme", "C1", ""); fault.CodeOf(err) != fault.CodeInvalid {
		t.Errorf("no actor: got %v, want invalid", err)
	}
	if err := svc.ClearMailStatus(ctx, "acme", "C1", "conseil.martin"); err != nil {
		t.Fatal(err)
	}
	if cust := p.item(p.env.MainTable, pk("CUST#acme#C1", "CUST")); cust["mailStatus"] != nil || cust["mailStatusAt"] != nil {
		t.Errorf("after the clear: got customer %v", cust)
	}
	entries, _, err := store.AuditPage(ctx, "acme#C1", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	var cleared []audit.Entry
	for _, e := range entries {
		if e.Action == audit.ActionMailStatusCleared {
			cleared = append(cleared, e)
		}
	}
	if len(cleared) != 1 || cleared[0].Actor != "conseil.martin" || cleared[0].Target != "un@example.fr" || cleared[0].Detail != mailevents.BouncedAddressUnknown {
		t.Fatalf("audit: got %+v, want one mail_status_cleared by conseil.martin", cleared)
	}
	// Nothing left to clear: nothing written.
	if err := svc.ClearMailStatus(ctx, "acme", "C1", "conseil.martin"); err != nil {
		t.Fatal(err)
	}
	if entries, _, _ := store.AuditPage(ctx, "acme#C1", "", 10); len(entries) != 1 {
		t.Errorf("clearing an empty status wrote the audit log: %d entries", len(entries))
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
