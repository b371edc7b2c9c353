package facturx_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/pdf/facturx"
	"github.com/efacture/efacture/shared/service/ingest"
)

func init() {
	// The tests call pdfcpu's api package, which must not touch ~/.config.
	api.DisableConfigDir()
}

func sampleInvoice() samplepdf.Invoice {
	return samplepdf.Invoice{
		Number:      "F2026-0042",
		Type:        samplepdf.TypeInvoice,
		IssueDate:   "2026-09-15",
		DueDate:     "2026-10-15",
		SellerName:  "Acme Location",
		SellerSIREN: "732829320",
		BuyerName:   "Boulangerie Dupré SARL",
		BuyerSIREN:  "552100554",
		Lines: []samplepdf.Line{
			{Description: "Location nacelle 12 m, 3 jours", Quantity: 3, UnitPriceCents: 45000},
			{Description: "Transport aller-retour", Quantity: 1, UnitPriceCents: 12050},
		},
	}
}

func generate(t *testing.T, inv samplepdf.Invoice) []byte {
	t.Helper()
	pdf, err := samplepdf.Generate(inv)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	return pdf
}

var profiles = []string{
	samplepdf.ProfileMinimum, samplepdf.ProfileBasicWL, samplepdf.ProfileBasic,
	samplepdf.ProfileEN16931, samplepdf.ProfileExtended,
}

func TestExtractRoundTrip(t *testing.T) {
	for _, profile := range profiles {
		for _, docType := range []string{samplepdf.TypeInvoice, samplepdf.TypeCreditNote} {
			t.Run(profile+" "+docType, func(t *testing.T) {
				inv := sampleInvoice()
				inv.FacturX = profile
				inv.Type = docType
				inv.Currency = "EUR"
				got, err := facturx.Extract(generate(t, inv))
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				want := facturx.Invoice{
					Number: inv.Number, TypeCode: inv.TypeCode(), IssueDate: inv.IssueDate, DueDate: inv.DueDate,
					BuyerName: inv.BuyerName, BuyerSIREN: inv.BuyerSIREN, GrandTotal: inv.GrandTotal(),
					Currency: "EUR", Profile: profile, FileName: "factur-x.xml",
				}
				if profile == samplepdf.ProfileMinimum {
					want.DueDate = "" // MINIMUM has no payment terms
				}
				if *got != want {
					t.Errorf("got  %+v\nwant %+v", *got, want)
				}
				if got.DocumentType() != docType {
					t.Errorf("got document type %q, want %q", got.DocumentType(), docType)
				}
				wantFlag := profile == samplepdf.ProfileMinimum || profile == samplepdf.ProfileBasicWL
				if got.Flagged() != wantFlag {
					t.Errorf("got Flagged %v, want %v", got.Flagged(), wantFlag)
				}
			})
		}
	}
}

func TestExtractReturnsTheXMLValues(t *testing.T) {
	inv := sampleInvoice()
	inv.FacturX = samplepdf.ProfileEN16931
	inv.XML = samplepdf.XMLOverride{
		Number: "F2026-9999", TypeCode: "381", IssueDate: "2026-09-01", DueDate: "2026-12-31",
		BuyerName: "Autre Client SA", BuyerSIREN: "443061841", Currency: "usd", GrandTotal: "999.9",
	}
	got, err := facturx.Extract(generate(t, inv))
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	want := facturx.Invoice{
		Number: "F2026-9999", TypeCode: "381", IssueDate: "2026-09-01", DueDate: "2026-12-31",
		BuyerName: "Autre Client SA", BuyerSIREN: "443061841", GrandTotal: "999.90", Currency: "USD",
		Profile: facturx.ProfileEN16931, FileName: "factur-x.xml",
	}
	if *got != want {
		t.Errorf("got  %+v\nwant %+v", *got, want)
	}
}

func TestExtractAttachmentNames(t *testing.T) {
	tests := []struct {
		name       string
		xml        samplepdf.XMLOverride
		wantFile   string
		wantProfil string
		wantErr    error
	}{
		{"ZUGFeRD 2.0 name", samplepdf.XMLOverride{FileName: "zugferd-invoice.xml"}, "zugferd-invoice.xml", facturx.ProfileBasic, nil},
		{"ZUGFeRD 1.0 name", samplepdf.XMLOverride{FileName: "ZUGFeRD-invoice.xml"}, "ZUGFeRD-invoice.xml", facturx.ProfileBasic, nil},
		{"XRechnung", samplepdf.XMLOverride{FileName: "xrechnung.xml", ProfileURN: "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"}, "xrechnung.xml", facturx.ProfileXRechnung, nil},
		{"other case", samplepdf.XMLOverride{FileName: "Factur-X.XML"}, "Factur-X.XML", facturx.ProfileBasic, nil},
		{"unknown profile URN", samplepdf.XMLOverride{ProfileURN: "urn:example:own"}, "factur-x.xml", "urn:example:own", nil},
		{"page annotation", samplepdf.XMLOverride{Annotation: true}, "factur-x.xml", facturx.ProfileBasic, nil},
		{"another XML name", samplepdf.XMLOverride{FileName: "invoice.xml"}, "", "", facturx.ErrNoXML},
		{"another XML name on the page", samplepdf.XMLOverride{FileName: "order.xml", Annotation: true}, "", "", facturx.ErrNoXML},
		{"malformed XML", samplepdf.XMLOverride{Raw: []byte("<rsm:CrossIndustryInvoice><oops>")}, "", "", facturx.ErrBadXML},
		{"UBL XML", samplepdf.XMLOverride{Raw: []byte(`<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>`)}, "", "", facturx.ErrBadXML},
		{"bad value", samplepdf.XMLOverride{IssueDate: "2026-13-01"}, "", "", facturx.ErrBadXML},
		{"empty attachment", samplepdf.XMLOverride{Raw: []byte{}}, "", "", facturx.ErrBadXML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := sampleInvoice()
			inv.FacturX = samplepdf.ProfileBasic
			inv.XML = tt.xml
			got, err := facturx.Extract(generate(t, inv))
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %+v, %v; want %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got.FileName != tt.wantFile || got.Profile != tt.wantProfil || got.Number != inv.Number {
				t.Errorf("got file %q profile %q number %q, want %q %q %q",
					got.FileName, got.Profile, got.Number, tt.wantFile, tt.wantProfil, inv.Number)
			}
		})
	}
}

func TestExtractWithoutXML(t *testing.T) {
	plain := generate(t, sampleInvoice())
	_, err := facturx.Extract(plain)
	if !errors.Is(err, facturx.ErrNoXML) {
		t.Errorf("plain PDF: got %v, want ErrNoXML", err)
	}
}

func TestExtractUnreadableInput(t *testing.T) {
	inv := sampleInvoice()
	inv.FacturX = samplepdf.ProfileEN16931
	pdf := generate(t, inv)
	tests := []struct {
		name  string
		input []byte
	}{
		{"nil", nil},
		{"garbage", []byte("this is not a PDF at all, just words")},
		{"header only", []byte("%PDF-1.7\n%%EOF\n")},
		{"binary noise", bytes.Repeat([]byte{0x00, 0xff, 0x25, 0x50}, 500)},
		{"truncated", pdf[:len(pdf)/3]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := facturx.Extract(tt.input)
			if err == nil {
				t.Fatalf("got %+v, want an error", got)
			}
			if !errors.Is(err, facturx.ErrBadPDF) && !errors.Is(err, facturx.ErrNoXML) {
				t.Errorf("got %v, want ErrBadPDF or ErrNoXML", err)
			}
		})
	}
}

// TestPdfcpuSeesTheAttachment checks the generated files with pdfcpu's own
// API: relaxed validation passes and the attachment lists and extracts.
func TestPdfcpuSeesTheAttachment(t *testing.T) {
	for _, profile := range append([]string{""}, profiles...) {
		t.Run("profile "+profile, func(t *testing.T) {
			inv := sampleInvoice()
			inv.FacturX = profile
			pdf := generate(t, inv)

			conf := model.NewDefaultConfiguration()
			conf.ValidationMode = model.ValidationRelaxed
			if err := api.Validate(bytes.NewReader(pdf), conf); err != nil {
				t.Fatalf("relaxed validation: %v", err)
			}

			list, err := api.Attachments(bytes.NewReader(pdf), nil)
			if err != nil {
				t.Fatalf("list attachments: %v", err)
			}
			if profile == "" {
				if len(list) != 0 {
					t.Errorf("plain PDF: got %d attachments, want 0", len(list))
				}
				return
			}
			if len(list) != 1 || list[0].FileName != "factur-x.xml" || list[0].ID != "factur-x.xml" {
				t.Fatalf("got attachments %v, want one factur-x.xml", list)
			}
			if list[0].ModTime == nil || list[0].ModTime.Format("2006-01-02") != inv.IssueDate {
				t.Errorf("got ModTime %v, want the issue date %s", list[0].ModTime, inv.IssueDate)
			}

			raw, err := api.ExtractAttachmentsRaw(bytes.NewReader(pdf), "", []string{"factur-x.xml"}, nil)
			if err != nil || len(raw) != 1 {
				t.Fatalf("extract attachment: got %d, %v; want 1", len(raw), err)
			}
			content, err := io.ReadAll(raw[0])
			if err != nil {
				t.Fatal(err)
			}
			if want := samplepdf.CIIXML(inv); !bytes.Equal(content, want) {
				t.Errorf("got %d bytes of XML, want the %d bytes CIIXML returns", len(content), len(want))
			}
		})
	}
}

func TestPdfcpuValidatesAnnotatedPDF(t *testing.T) {
	inv := sampleInvoice()
	inv.FacturX = samplepdf.ProfileBasic
	inv.XML.Annotation = true
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	if err := api.Validate(bytes.NewReader(generate(t, inv)), conf); err != nil {
		t.Fatalf("relaxed validation: %v", err)
	}
}

// TestExtractDecompressionBombs reads half-megabyte PDFs whose object stream or
// factur-x.xml inflates to 512 MiB: the decode limits stop both, while the same
// files inflating under the limits are read as far as their (empty) XML.
func TestExtractDecompressionBombs(t *testing.T) {
	tests := []struct {
		part string
		want error // past the limit
	}{
		{samplepdf.BombObjectStream, facturx.ErrBadPDF},
		{samplepdf.BombEmbeddedFile, facturx.ErrBadXML},
	}
	for _, tt := range tests {
		t.Run(tt.part, func(t *testing.T) {
			small, err := samplepdf.Bomb(tt.part, facturx.MaxDecodeBytes/2)
			if err != nil {
				t.Fatal(err)
			}
			// The XML holds no root element: pdfcpu got through the structure.
			if _, err := facturx.Extract(small); !errors.Is(err, facturx.ErrBadXML) || !strings.Contains(err.Error(), "no root element") {
				t.Fatalf("under the limits: got %v, want the XML read and refused", err)
			}
			bomb, err := samplepdf.Bomb(tt.part, 512<<20)
			if err != nil {
				t.Fatal(err)
			}
			if len(bomb) > 1<<20 {
				t.Fatalf("bomb is %d bytes, want about half a megabyte", len(bomb))
			}
			_, err = facturx.Extract(bomb)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), "limit exceeded") {
				t.Fatalf("got %v, want %v from a decode limit", err, tt.want)
			}
			// Ingestion files a PDF pdfcpu cannot read on its metadata alone.
			_, err = facturx.ReadForIngest(bomb)
			if tt.want == facturx.ErrBadPDF && !errors.Is(err, ingest.ErrNoXML) {
				t.Errorf("ReadForIngest: got %v, want ingest.ErrNoXML", err)
			}
		})
	}
}
