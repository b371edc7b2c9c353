package samplepdf_test

import (
	"os"
	"testing"

	"github.com/efacture/efacture/shared/samplepdf"
)

func TestDump(t *testing.T) {
	inv := samplepdf.Invoice{Number: "F2026-0001", Type: "invoice", IssueDate: "2026-09-15", DueDate: "2026-10-15",
		SellerName: "Acme Location", SellerSIREN: "732829320", BuyerName: "Boulangerie Dupré SARL", BuyerSIREN: "552100554",
		Lines: []samplepdf.Line{{"Location nacelle 12 m — 3 jours", 3, 45000}, {"Transport aller-retour", 1, 12050}}, FacturX: "EN 16931"}
	b, err := samplepdf.Generate(inv)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/fxscratch/fx.pdf", b, 0644)
	inv.FacturX = ""
	b, _ = samplepdf.Generate(inv)
	os.WriteFile("/tmp/fxscratch/plain.pdf", b, 0644)
	inv.FacturX = "BASIC"
	inv.XML.Annotation = true
	b, _ = samplepdf.Generate(inv)
	os.WriteFile("/tmp/fxscratch/annot.pdf", b, 0644)
}
