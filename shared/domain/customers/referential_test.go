package customers

import (
	"strings"
	"testing"
)

func TestParseCSV(t *testing.T) {
	in := "\ufeffEmail;Customer_Number;company_name;siren;notification;delivery;language\n" +
		"pierre.durand@example.fr;C001;Durand SARL;123456789;link;paper;en\n" +
		";C002;Blank Defaults;;;;\n" +
		"bad;C003;X;12;often;fax;de\n" +
		";;missing number;;;;\n"
	p, err := ParseCSV([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 2 {
		t.Fatalf("got %d rows, want 2: %+v", len(p.Rows), p)
	}
	c := p.Rows[0].Customer
	if c.Number != "C001" || c.Email != "pierre.durand@example.fr" || c.Notification != "link" || c.Delivery != "paper" || c.Language != "en" || c.SIREN != "123456789" {
		t.Errorf("row 1: got %+v", c)
	}
	d := p.Rows[1].Customer
	if d.Email != "" || d.Notification != NotifyNone || d.Delivery != DeliveryElectronic || d.Language != "fr" {
		t.Errorf("blank defaults: got %+v", d)
	}
	if len(p.Errors) != 2 || p.Errors[0].Line != 4 || p.Errors[1].Line != 5 {
		t.Fatalf("errors: got %+v", p.Errors)
	}
	for _, want := range []string{"email", "siren", "notification", "delivery", "language"} {
		if !strings.Contains(p.Errors[0].Reason, want) {
			t.Errorf("line 4 reason %q does not mention %s", p.Errors[0].Reason, want)
		}
	}
}

func TestParseCSVComma(t *testing.T) {
	p, err := ParseCSV([]byte("customer_number,company_name\nC1,\"Acme, Inc\"\n"))
	if err != nil || len(p.Rows) != 1 || p.Rows[0].Customer.CompanyName != "Acme, Inc" {
		t.Fatalf("got %+v, %v", p, err)
	}
}

func TestParseCSVNoNumberColumn(t *testing.T) {
	if _, err := ParseCSV([]byte("name;email\nx;y\n")); err == nil {
		t.Error("got no error for a header without customer_number")
	}
}

func TestParseJSONL(t *testing.T) {
	in := `{"customer_number":"C1","company_name":"A","email":"A@Example.com","notification":"digest"}` + "\n\n" +
		`not json` + "\n" + `{"customer_number":42}` + "\n"
	p, err := ParseJSONL([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != 2 || p.Rows[0].Customer.Email != "a@example.com" || p.Rows[1].Customer.Number != "42" {
		t.Fatalf("rows: got %+v", p.Rows)
	}
	if len(p.Errors) != 1 || p.Errors[0].Line != 3 {
		t.Fatalf("errors: got %+v", p.Errors)
	}
}

func TestActivationDue(t *testing.T) {
	cases := []struct {
		c    Customer
		want bool
	}{
		{Customer{}, false},
		{Customer{Email: "a@b.fr"}, true},
		{Customer{Email: "a@b.fr", AdminEmail: "A@b.fr"}, false},
		{Customer{Email: "new@b.fr", AdminEmail: "a@b.fr"}, true},
	}
	for _, c := range cases {
		if got := c.c.ActivationDue(); got != c.want {
			t.Errorf("%+v: got %v, want %v", c.c, got, c.want)
		}
	}
}
