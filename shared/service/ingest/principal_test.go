package ingest_test

import (
	"slices"
	"testing"

	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/spaces"
)

const (
	ownPrincipal   = "AWS:AROACONFBILLING00001:billing-run"
	otherPrincipal = "AWS:AROAACMEBILLING00001:billing-run"
)

// confined adds the space conf, which names one billing role.
func (e *env) confined(t *testing.T) {
	t.Helper()
	sp := normalized(t, spaces.Space{ID: "conf", Name: "Confined", Since: "2024-01-01",
		BillingPrincipals: []string{"arn:aws:iam::123456789012:role/billing-conf"}, BillingPrincipalIDs: []string{"AROACONFBILLING00001"}})
	e.store.spaces[sp.ID] = sp
}

// TestForbiddenSpace: in a space that names its billing principals, a document, a
// referential or an unreadable document from anyone else is rejected forbidden_space
// unread, and nothing of the space changes; the space's own principal is filed.
func TestForbiddenSpace(t *testing.T) {
	e := newEnv(t)
	e.confined(t)
	e.store.addCustomer(customer("conf", "C1", email))
	before := e.store.customer("conf", "C1")
	drops := []struct{ key, principal string }{
		{"inbox/conf/documents/F1.pdf", otherPrincipal},
		{"inbox/conf/documents/F2.pdf", ""},
		{"inbox/conf/documents/F3.pdf", "AWS:LOCAL"},
		{"inbox/conf/customers/c.csv", otherPrincipal},
		{"inbox/conf/elsewhere/x.txt", otherPrincipal},
	}
	e.objects.drop(drops[0].key, pdf("one"), meta("C1", "F1", "2026-11-20"))
	e.objects.drop(drops[1].key, pdf("two"), meta("C1", "F2", "2026-11-20"))
	e.objects.drop(drops[2].key, pdf("three"), meta("C1", "F3", "2026-11-20"))
	e.objects.drop(drops[3].key, []byte("customer_number,company_name,email\nC1,Taken Over,attacker@example.com\n"), nil)
	e.objects.drop(drops[4].key, []byte("x"), nil)
	for _, d := range drops {
		e.handleAs(t, d.key, d.principal)
		rej := e.rejection(t, "rejected/"+d.key[len("inbox/"):])
		if rej.Code != documents.CodeForbiddenSpace || rej.Key != d.key || !slices.Equal(rej.Fields, []string{"principal"}) {
			t.Errorf("%s by %q: got %+v", d.key, d.principal, rej)
		}
	}
	e.objects.drop("inbox/conf/documents/F4.pdf", pdf("four"), meta("C1", "F4", "2026-11-20"))
	if err := e.svc.RejectUnreadable(t.Context(), "inbox/conf/documents/F4.pdf", otherPrincipal); err != nil {
		t.Fatal(err)
	}
	if rej := e.rejection(t, "rejected/conf/documents/F4.pdf"); rej.Code != documents.CodeForbiddenSpace {
		t.Errorf("unreadable from another principal: got %s", rej.Code)
	}
	if left := e.objects.keys("inbox/"); len(left) != 0 {
		t.Errorf("inbox keeps %q", left)
	}
	if docs := e.store.documents(); len(docs) != 0 {
		t.Errorf("filed %d documents", len(docs))
	}
	if after := e.store.customer("conf", "C1"); after.CompanyName != before.CompanyName || after.Email != before.Email {
		t.Errorf("customer changed: %+v", after)
	}
	if n := len(e.store.outbox); n != 0 {
		t.Errorf("%d mails queued", n)
	}

	// The space's own principal: filed, and activation follows.
	e.objects.drop("inbox/conf/documents/F5.pdf", pdf("five"), meta("C1", "F5", "2026-11-20"))
	e.handleAs(t, "inbox/conf/documents/F5.pdf", ownPrincipal)
	if docs := e.store.documents(); len(docs) != 1 || docs[0].Number != "F5" {
		t.Fatalf("own principal: got %+v", docs)
	}
	// Other spaces name nobody: any principal still drops there (PRODUCT.md §9).
	e.objects.drop("inbox/acme/documents/A1.pdf", pdf("acme"), meta("C9", "A1", "2026-11-20"))
	e.handleAs(t, "inbox/acme/documents/A1.pdf", otherPrincipal)
	if docs := e.store.documents(); len(docs) != 2 {
		t.Errorf("open space: got %d documents, want 2", len(docs))
	}
}

// TestForbiddenSpaceReferentialContinuations: a referential applied in chunks carries its
// principal into every continuation, which are checked like the first delivery.
func TestForbiddenSpaceReferentialContinuations(t *testing.T) {
	e := newEnv(t)
	e.confined(t)
	q := &fakeQueue{}
	e.svc.Queue, e.svc.ChunkRows = q, 5
	const key = "inbox/conf/customers/all.csv"
	e.objects.drop(key, []byte(referentialCSV(20, "Conf", 0)), nil)
	e.handleAs(t, key, ownPrincipal)
	if n := e.drain(t, q); n != 3 {
		t.Errorf("got %d continuations, want 3 for 20 rows 5 at a time", n)
	}
	if r := e.report(t, "reports/conf/customers/all.csv.20261126T100000Z.report.json"); r.Applied != 20 {
		t.Errorf("report: got %+v", r)
	}

	// A continuation that lost its principal is refused like a foreign drop.
	e.objects.drop(key, []byte(referentialCSV(20, "Autre", 0)), nil)
	e.handleAs(t, key, ownPrincipal)
	e.handleAs(t, key, "")
	if rej := e.rejection(t, "rejected/conf/customers/all.csv"); rej.Code != documents.CodeForbiddenSpace {
		t.Errorf("got %+v", rej)
	}
}
