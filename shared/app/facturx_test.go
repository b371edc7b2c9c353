package app_test

import (
	"strings"
	"testing"

	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/domain/documents"
)

// TestFacturXCrossCheck drops Factur-X invoices through the real inbox: the XML's fields
// are checked against the metadata and the referential's SIREN.
func TestFacturXCrossCheck(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number;company_name;siren\nC1;Un;123456782\n"), nil)
	p.ingestAll()

	gen := func(number, profile string, o samplepdf.XMLOverride) []byte {
		b, err := samplepdf.Generate(samplepdf.Invoice{
			Number: number, Type: samplepdf.TypeInvoice, IssueDate: "2026-11-20", SellerName: "Acme Finance",
			SellerSIREN: "552100554", BuyerName: "Un", BuyerSIREN: "123456782", Currency: "EUR", FacturX: profile,
			Lines: []samplepdf.Line{{Description: "Loyer", Quantity: 1, UnitPriceCents: 120000}}, XML: o,
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	p.put("inbox/acme/documents/full.pdf", gen("FX-1", "EN 16931", samplepdf.XMLOverride{}), meta("C1", "FX-1"))
	p.put("inbox/acme/documents/light.pdf", gen("FX-2", "BASIC WL", samplepdf.XMLOverride{}), meta("C1", "FX-2"))
	p.put("inbox/acme/documents/number.pdf", gen("FX-3", "EN 16931", samplepdf.XMLOverride{Number: "FX-999"}), meta("C1", "FX-3"))
	p.put("inbox/acme/documents/siren.pdf", gen("FX-4", "EN 16931", samplepdf.XMLOverride{BuyerSIREN: "987654321"}), meta("C1", "FX-4"))
	amount := meta("C1", "FX-5")
	amount["amount"] = "1 440,01"
	p.put("inbox/acme/documents/amount.pdf", gen("FX-5", "EN 16931", samplepdf.XMLOverride{}), amount)
	p.ingestAll()

	full := p.item(p.env.DocumentsTable, pk("acme#C1", "2026-11-20#FX-1"))
	if full == nil || full["profile"] != "EN 16931" || full["flagged"] != nil {
		t.Errorf("EN 16931 document: got %v", full)
	}
	light := p.item(p.env.DocumentsTable, pk("acme#C1", "2026-11-20#FX-2"))
	if light == nil || light["profile"] != "BASIC WL" || light["flagged"] != true {
		t.Errorf("BASIC WL document: got %v", light)
	}
	for key, code := range map[string]string{
		"number.pdf": documents.CodeMetadataMismatch,
		"siren.pdf":  documents.CodeSirenMismatch,
		"amount.pdf": documents.CodeMetadataMismatch,
	} {
		var rej documents.Rejection
		p.readJSON(p.env.InboxBucket, "rejected/acme/documents/"+key+".error.json", &rej)
		if rej.Code != code {
			t.Errorf("%s: got %s (%s), want %s", key, rej.Code, rej.MessageEN, code)
		}
	}
}

// TestFacturXOnlyDrop drops a Factur-X credit note with nothing but its customer number:
// it is filed with the XML's number, type, date and amount, and its notification mail,
// which states them, reaches the SES emulator (PRODUCT.md §3).
func TestFacturXOnlyDrop(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number,company_name,email,notification,language\nC7,Sept,sept@example.fr,link,en\n"), nil)
	p.ingestAll()
	pdf, err := samplepdf.Generate(samplepdf.Invoice{
		Number: "AV-2026-031", Type: samplepdf.TypeCreditNote, IssueDate: "2026-11-18", SellerName: "Acme Finance",
		SellerSIREN: "552100554", BuyerName: "Sept", Currency: "EUR", FacturX: samplepdf.ProfileEN16931,
		Lines: []samplepdf.Line{{Description: "Avoir loyer", Quantity: 1, UnitPriceCents: 25000}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.put("inbox/acme/documents/only-customer.pdf", pdf, map[string]string{"customer-number": "C7"})
	p.ingestAll()
	p.mailAll()

	if rejected := p.keys(p.env.InboxBucket, "rejected/"); len(rejected) != 0 {
		t.Fatalf("rejected: %q", rejected)
	}
	doc := p.item(p.env.DocumentsTable, pk("acme#C7", "2026-11-18#AV-2026-031"))
	if doc == nil || doc["type"] != "credit_note" || doc["number"] != "AV-2026-031" || doc["issueDate"] != "2026-11-18" ||
		doc["amount"] != "300.00" || doc["currency"] != "EUR" || doc["profile"] != "EN 16931" {
		t.Fatalf("filed document: got %v; want AV-2026-031, credit note of 2026-11-18, 300.00 EUR, EN 16931", doc)
	}
	var notices int
	for _, m := range p.mails() {
		if strings.Join(m.To, ",") == "sept@example.fr" && strings.Contains(m.Text, "AV-2026-031") &&
			strings.Contains(m.Text, "€300.00") && strings.Contains(m.Text, "18 November 2026") {
			notices++
		}
	}
	if notices != 1 {
		for _, m := range p.mails() {
			t.Logf("mail to %v: %s\n%s", m.To, m.Subject, m.Text)
		}
		t.Errorf("got %d notification mails stating AV-2026-031, €300.00 and the date, want 1", notices)
	}
}
