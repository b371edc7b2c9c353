package app_test

import (
	"net/http"
	"testing"
)

// TestIdentifierAllocation runs PRODUCT.md §4's identifiers against moto through the
// DynamoDB store: the same address in four companies gets its address, then _1 and _2
// (the last straight from the hint item), and when an admin has taken the hinted _3 the
// allocation recovers with _4 and moves the hint past it.
func TestIdentifierAllocation(t *testing.T) {
	p := newPortal(t, nil)
	const mail = "marie.curie@example.fr"
	p.seed("customer_number,email\nC1,"+mail+"\nC2,"+mail+"\nC3,Marie.Curie@example.fr\nC4,"+mail+"\n", "C1", "C2", "C3")
	for cust, want := range map[string]string{"C1": mail, "C2": "marie.curie_1", "C3": "marie.curie_2"} {
		if got := p.item(p.env.MainTable, pk("CUST#acme#"+cust, "CUST"))["adminIdentifier"]; got != want {
			t.Errorf("%s: got identifier %v, want %s", cust, got, want)
		}
	}
	hint := func() any { return p.item(p.env.MainTable, pk("EMAILIDS#"+mail, "EMAILIDS"))["next"] }
	if got := hint(); got != float64(3) {
		t.Fatalf("hint after _2: got %v, want 3", got)
	}

	// An admin takes marie.curie_3 for a colleague: the hint now names a taken identifier.
	p.activate(mail, "Radium-Polonium-1898")
	admin := p.browser("198.51.100.50")
	admin.post("/api/auth/login", map[string]any{"identifier": mail, "password": "Radium-Polonium-1898"}).want(t, http.StatusOK)
	admin.post("/api/admin/users", map[string]any{
		"identifier": "marie.curie_3", "password": "Uranium-Pierre-1903", "confirmation": "Uranium-Pierre-1903",
		"lastName": "Curie", "firstName": "Pierre", "email": "pierre.curie@example.fr", "phone": "", "mobile": "", "profile": "",
	}).want(t, http.StatusCreated)

	p.put("inbox/acme/documents/F-C4.pdf", pdfFor(t, "F-C4", "C4"), meta("C4", "F-C4"))
	p.ingestAll()
	p.mailAll()
	if got := p.item(p.env.MainTable, pk("CUST#acme#C4", "CUST"))["adminIdentifier"]; got != "marie.curie_4" {
		t.Errorf("C4: got identifier %v, want marie.curie_4", got)
	}
	if got := hint(); got != float64(5) {
		t.Errorf("hint after _4: got %v, want 5", got)
	}
	if got := p.item(p.env.MainTable, pk("ACCT#marie.curie_3", "ACCT"))["customerNumber"]; got != "C1" {
		t.Errorf("the colleague's marie.curie_3: got customer %v, want C1 untouched", got)
	}
	if n := len(p.mailsTo(mail, "Activation")); n != 4 {
		t.Errorf("got %d activation mails to %s, want 4", n, mail)
	}
}
