package facturx_test

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/pdf/facturx"
)

var (
	amountRE   = regexp.MustCompile(`^-?[0-9]+\.[0-9]{2,}$`)
	currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)
	sirenRE    = regexp.MustCompile(`^[0-9]{9}$`)
)

// checkNormalised fails when a field Parse returned is not in its documented form.
func checkNormalised(t *testing.T, inv *facturx.Invoice) {
	t.Helper()
	for name, d := range map[string]string{"IssueDate": inv.IssueDate, "DueDate": inv.DueDate} {
		if _, err := time.Parse(time.DateOnly, d); d != "" && err != nil {
			t.Errorf("%s: got %q, want YYYY-MM-DD or empty", name, d)
		}
	}
	if inv.GrandTotal != "" && !amountRE.MatchString(inv.GrandTotal) {
		t.Errorf("GrandTotal: got %q, want a normalised decimal", inv.GrandTotal)
	}
	if inv.Currency != "" && !currencyRE.MatchString(inv.Currency) {
		t.Errorf("Currency: got %q, want three capitals", inv.Currency)
	}
	if inv.BuyerSIREN != "" && !sirenRE.MatchString(inv.BuyerSIREN) {
		t.Errorf("BuyerSIREN: got %q, want 9 digits", inv.BuyerSIREN)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(baseCII))
	f.Add([]byte(zugferd1))
	for _, p := range profiles {
		inv := sampleInvoice()
		inv.FacturX = p
		f.Add(samplepdf.CIIXML(inv))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := facturx.Parse(data)
		if err != nil {
			if !errors.Is(err, facturx.ErrBadXML) || inv != nil {
				t.Fatalf("got %v, %v; want nil and an ErrBadXML", inv, err)
			}
			return
		}
		checkNormalised(t, inv)
	})
}

func FuzzExtract(f *testing.F) {
	for _, p := range []string{"", samplepdf.ProfileMinimum, samplepdf.ProfileExtended} {
		inv := sampleInvoice()
		inv.FacturX = p
		pdf, err := samplepdf.Generate(inv)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pdf)
	}
	f.Fuzz(func(t *testing.T, pdf []byte) {
		inv, err := facturx.Extract(pdf)
		if err != nil {
			if inv != nil || !errors.Is(err, facturx.ErrBadPDF) && !errors.Is(err, facturx.ErrNoXML) && !errors.Is(err, facturx.ErrBadXML) {
				t.Fatalf("got %v, %v; want nil and one of the sentinel errors", inv, err)
			}
			return
		}
		if inv.FileName == "" {
			t.Error("got no FileName for an extracted invoice")
		}
		checkNormalised(t, inv)
	})
}
