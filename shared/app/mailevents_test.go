package app_test

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

func sesEvent(company, to, kind, bounceType, subType string) events.SNSEventRecord {
	body := `{"eventType":"` + kind + `","mail":{"headers":[{"name":"X-Efacture-Company","value":"` + company + `"}]},` +
		`"bounce":{"bounceType":"` + bounceType + `","bounceSubType":"` + subType + `","bouncedRecipients":[{"emailAddress":"` + to + `"}]},` +
		`"complaint":{"complainedRecipients":[{"emailAddress":"` + to + `"}]}}`
	return events.SNSEventRecord{SNS: events.SNSEntity{MessageID: "m-" + kind, Message: body}}
}

// TestMailEvents feeds SES events as SNS delivers them: permanent bounces and complaints
// mark the customer; transient bounces and unknown customers change nothing.
func TestMailEvents(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number,email\nC1,un@example.fr\nC2,deux@example.fr\n"), nil)
	p.ingestAll()
	h := build[lambdaevents.SNSHandler](t, app.MailEventsFunction, p.env, p.clients, app.Options{})
	status := func(cust string) any {
		return p.item(p.env.MainTable, pk("CUST#acme#"+cust, "CUST"))["mailStatus"]
	}

	if err := h(context.Background(), events.SNSEvent{Records: []events.SNSEventRecord{
		sesEvent("acme#C1", "un@example.fr", "Bounce", "Transient", "MailboxFull"),
		sesEvent("acme#C2", "deux@example.fr", "Complaint", "", ""),
		sesEvent("acme#C404", "x@example.fr", "Bounce", "Permanent", "NoEmail"),
	}}); err != nil {
		t.Fatal(err)
	}
	if got := status("C1"); got != nil {
		t.Errorf("transient bounce: got status %v, want none", got)
	}
	if got := status("C2"); got != "complaint" {
		t.Errorf("complaint: got %v", got)
	}
	if got := p.item(p.env.MainTable, pk("CUST#acme#C404", "CUST")); got != nil {
		t.Errorf("an event created customer C404: %v", got)
	}
	if err := h(context.Background(), events.SNSEvent{Records: []events.SNSEventRecord{sesEvent("acme#C1", "un@example.fr", "Bounce", "Permanent", "MailboxFull")}}); err != nil {
		t.Fatal(err)
	}
	if got := status("C1"); got != "bounced: mailbox full" {
		t.Errorf("permanent bounce: got %v", got)
	}
}
