package mailevents

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	headers := `"mail":{"headers":[{"name":"From","value":"x"},{"name":"X-Efacture-Company","value":"acme#C001"}]}`
	cases := []struct {
		name, body string
		ok         bool
		status     string
	}{
		{"mailbox full", `{"eventType":"Bounce",` + headers + `,"bounce":{"bounceType":"Permanent","bounceSubType":"MailboxFull","bouncedRecipients":[{"emailAddress":"a@b.fr"}]}}`, true, BouncedMailboxFull},
		{"no such address", `{"eventType":"Bounce",` + headers + `,"bounce":{"bounceType":"Permanent","bounceSubType":"NoEmail"}}`, true, BouncedAddressUnknown},
		{"transient", `{"eventType":"Bounce",` + headers + `,"bounce":{"bounceType":"Transient","bounceSubType":"MailboxFull"}}`, false, ""},
		{"complaint", `{"eventType":"Complaint",` + headers + `,"complaint":{"complainedRecipients":[{"emailAddress":"a@b.fr"}]}}`, true, Complaint},
		{"legacy notification", `{"notificationType":"Complaint",` + headers + `}`, true, Complaint},
		{"delivery naming no recipient", `{"eventType":"Delivery",` + headers + `}`, false, ""},
		{"not a customer mail", `{"eventType":"Complaint","mail":{"headers":[]}}`, false, Complaint},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, ok, err := Parse(c.body)
			if err != nil {
				t.Fatal(err)
			}
			if ok != c.ok || (c.status != "" && out.Status != c.status) {
				t.Errorf("got %+v ok=%v, want status %q ok=%v", out, ok, c.status, c.ok)
			}
			if ok && out.Company != "acme#C001" {
				t.Errorf("company: got %q", out.Company)
			}
		})
	}
	if _, _, err := Parse("{"); err == nil {
		t.Error("got no error for broken JSON")
	}
}

func TestParseDeliveryAndTimes(t *testing.T) {
	recovery := `"mail":{"headers":[{"name":"X-Efacture-Space","value":"acme"}]}`
	out, ok, err := Parse(`{"eventType":"Delivery",` + recovery + `,"delivery":{"recipients":["un@example.fr"],"timestamp":"2026-11-26T09:00:02.250Z"}}`)
	if err != nil || !ok {
		t.Fatalf("recovery delivery: got ok=%v err=%v, want an outcome", ok, err)
	}
	if !out.Delivered || out.Status != "" || out.Space != "acme" || out.Company != "" || len(out.Addresses) != 1 || out.Addresses[0] != "un@example.fr" ||
		!out.At.Equal(time.Date(2026, 11, 26, 9, 0, 2, 250e6, time.UTC)) {
		t.Errorf("recovery delivery: got %+v", out)
	}

	company := `"mail":{"headers":[{"name":"x-efacture-company","value":"acme#C001"}]}`
	out, ok, err = Parse(`{"eventType":"Bounce",` + company + `,"bounce":{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"a@b.fr"}],"timestamp":"2026-11-26T09:00:00.000Z"}}`)
	if err != nil || !ok || out.Space != "acme" || out.Status != BouncedAddressUnknown || !out.At.Equal(time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("bounce: got %+v ok=%v err=%v, want space acme from the company header and the bounce's time", out, ok, err)
	}

	// A bounce of a recovery mail names its address and space: the address's customers
	// are looked up.
	if _, ok, _ := Parse(`{"eventType":"Complaint",` + recovery + `,"complaint":{"complainedRecipients":[{"emailAddress":"a@b.fr"}]}}`); !ok {
		t.Error("complaint about a recovery mail: got ok=false")
	}
	if _, _, err := Parse(`{"eventType":"Delivery",` + recovery + `,"delivery":{"recipients":["a@b.fr"],"timestamp":"yesterday"}}`); err == nil {
		t.Error("bad timestamp: got no error")
	}
}
