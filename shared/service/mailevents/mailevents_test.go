package mailevents

import "testing"

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
		{"delivery", `{"eventType":"Delivery",` + headers + `}`, false, ""},
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
