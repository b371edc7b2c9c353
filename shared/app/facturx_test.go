package app_test

import (
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
