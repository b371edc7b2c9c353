package samplepdf_test

import (
	"bytes"
	"compress/zlib"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"

	"github.com/efacture/efacture/infra/local/samplepdf"
)

func sample() samplepdf.Invoice {
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

func TestTotals(t *testing.T) {
	tests := []struct {
		name  string
		lines []samplepdf.Line
		want  samplepdf.Totals
	}{
		{"two lines", sample().Lines, samplepdf.Totals{Net: 147050, VAT: 29410, Grand: 176460}},
		{"VAT rounds half up", []samplepdf.Line{{Quantity: 1, UnitPriceCents: 1}, {Quantity: 1, UnitPriceCents: 2}}, samplepdf.Totals{Net: 3, VAT: 1, Grand: 4}},
		{"VAT rounds down", []samplepdf.Line{{Quantity: 1, UnitPriceCents: 2}}, samplepdf.Totals{Net: 2, VAT: 0, Grand: 2}},
		{"discount line", []samplepdf.Line{{Quantity: 2, UnitPriceCents: 1000}, {Quantity: 1, UnitPriceCents: -503}}, samplepdf.Totals{Net: 1497, VAT: 299, Grand: 1796}},
		{"negative rounds away from zero", []samplepdf.Line{{Quantity: 1, UnitPriceCents: -3}}, samplepdf.Totals{Net: -3, VAT: -1, Grand: -4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := samplepdf.Invoice{Lines: tt.lines}
			if got := inv.Totals(); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		cents int64
		want  string
	}{
		{0, "0.00"}, {5, "0.05"}, {176460, "1764.60"}, {-1250, "-12.50"}, {123456789, "1234567.89"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := samplepdf.FormatAmount(tt.cents); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGenerateRejectsInvalidInvoices(t *testing.T) {
	tests := []struct {
		name   string
		change func(*samplepdf.Invoice)
	}{
		{"no number", func(i *samplepdf.Invoice) { i.Number = " " }},
		{"unknown type", func(i *samplepdf.Invoice) { i.Type = "receipt" }},
		{"bad issue date", func(i *samplepdf.Invoice) { i.IssueDate = "15/09/2026" }},
		{"bad due date", func(i *samplepdf.Invoice) { i.DueDate = "2026-02-30" }},
		{"no lines", func(i *samplepdf.Invoice) { i.Lines = nil }},
		{"unknown profile", func(i *samplepdf.Invoice) { i.FacturX = "COMFORT" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := sample()
			tt.change(&inv)
			_, err := samplepdf.Generate(inv)
			if !errors.Is(err, samplepdf.ErrInvalid) {
				t.Errorf("got error %v, want ErrInvalid", err)
			}
		})
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	for _, profile := range []string{"", samplepdf.ProfileMinimum, samplepdf.ProfileEN16931} {
		t.Run("profile "+profile, func(t *testing.T) {
			inv := sample()
			inv.FacturX = profile
			first, err := samplepdf.Generate(inv)
			if err != nil {
				t.Fatal(err)
			}
			// Several runs, since fpdf iterates maps whose order varies.
			for i := 0; i < 5; i++ {
				again, err := samplepdf.Generate(inv)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again, first) {
					t.Fatalf("run %d: got %d different bytes, want the same %d bytes", i, len(again), len(first))
				}
			}
			inv.Lines[0].Quantity++
			other, err := samplepdf.Generate(inv)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(other, first) {
				t.Error("got the same bytes for another quantity, want different bytes")
			}
		})
	}
}

// inflate returns the page content and the embedded XML of pdf, found by
// inflating every Flate stream: fpdf writes page text as literal strings.
func inflate(t *testing.T, pdf []byte) (page, embedded string) {
	t.Helper()
	var p, x strings.Builder
	re := regexp.MustCompile(`>>\nstream\n`)
	for _, m := range re.FindAllIndex(pdf, -1) {
		r, err := zlib.NewReader(bytes.NewReader(pdf[m[1]:]))
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(r)
		if bytes.HasPrefix(b, []byte("<?xml")) {
			x.Write(b)
		} else {
			p.Write(b)
		}
	}
	return p.String(), x.String()
}

func TestGenerateDrawsTheVisibleInvoice(t *testing.T) {
	inv := sample()
	inv.FacturX = samplepdf.ProfileBasic
	inv.XML.Number = "XML-0001"
	pdf, err := samplepdf.Generate(inv)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("got prefix %q, want %%PDF-", pdf[:8])
	}
	text, embedded := inflate(t, pdf)
	// cp1252: "\xb0" is °, "\x80" is €, "\xa0" a no-break space.
	for _, want := range []string{"(FACTURE)", "(N\xb0 F2026-0042)", "(Date : 15/09/2026)", "(1\xa0764,60\xa0\x80)", "(SIREN 552 100 554)", "(N\xb0 TVA intracommunautaire FR44732829320)"} {
		if !strings.Contains(text, want) {
			t.Errorf("page text lacks %q", want)
		}
	}
	if strings.Contains(text, "XML-0001") {
		t.Error("got the XML override on the page, want it in the XML only")
	}
	if !strings.Contains(embedded, "<ram:ID>XML-0001</ram:ID>") {
		t.Error("embedded XML lacks the overridden number")
	}
}

func TestCreditNoteTitle(t *testing.T) {
	inv := sample()
	inv.Type = samplepdf.TypeCreditNote
	pdf, err := samplepdf.Generate(inv)
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := inflate(t, pdf); !strings.Contains(text, "(AVOIR)") {
		t.Error("credit note page lacks the title AVOIR")
	}
	if got := inv.TypeCode(); got != "381" {
		t.Errorf("got type code %q, want 381", got)
	}
}

// ciiDoc is the part of the generated XML the tests inspect.
type ciiDoc struct {
	XMLName xml.Name `xml:"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100 CrossIndustryInvoice"`
	Profile string   `xml:"ExchangedDocumentContext>GuidelineSpecifiedDocumentContextParameter>ID"`
	Number  string   `xml:"ExchangedDocument>ID"`
	Type    string   `xml:"ExchangedDocument>TypeCode"`
	Issue   struct {
		Format string `xml:"format,attr"`
		Value  string `xml:",chardata"`
	} `xml:"ExchangedDocument>IssueDateTime>DateTimeString"`
	Tx struct {
		Lines     []struct{} `xml:"IncludedSupplyChainTradeLineItem"`
		Agreement struct {
			Buyer struct {
				Name  string `xml:"Name"`
				Legal struct {
					Scheme string `xml:"schemeID,attr"`
					Value  string `xml:",chardata"`
				} `xml:"SpecifiedLegalOrganization>ID"`
			} `xml:"BuyerTradeParty"`
		} `xml:"ApplicableHeaderTradeAgreement"`
		Settlement struct {
			Currency string `xml:"InvoiceCurrencyCode"`
			Due      string `xml:"SpecifiedTradePaymentTerms>DueDateDateTime>DateTimeString"`
			Grand    string `xml:"SpecifiedTradeSettlementHeaderMonetarySummation>GrandTotalAmount"`
		} `xml:"ApplicableHeaderTradeSettlement"`
	} `xml:"SupplyChainTradeTransaction"`
}

func TestCIIXMLProfiles(t *testing.T) {
	tests := []struct {
		profile   string
		urn       string
		wantLines int
		wantDue   string
	}{
		{samplepdf.ProfileMinimum, "urn:factur-x.eu:1p0:minimum", 0, ""},
		{samplepdf.ProfileBasicWL, "urn:factur-x.eu:1p0:basicwl", 0, "20261015"},
		{samplepdf.ProfileBasic, "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", 2, "20261015"},
		{samplepdf.ProfileEN16931, "urn:cen.eu:en16931:2017", 2, "20261015"},
		{samplepdf.ProfileExtended, "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", 2, "20261015"},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			inv := sample()
			inv.FacturX = tt.profile
			var doc ciiDoc
			if err := xml.Unmarshal(samplepdf.CIIXML(inv), &doc); err != nil {
				t.Fatalf("generated XML does not parse: %v", err)
			}
			checks := []struct{ name, got, want string }{
				{"profile", doc.Profile, tt.urn},
				{"ProfileURN", samplepdf.ProfileURN(tt.profile), tt.urn},
				{"number", doc.Number, "F2026-0042"},
				{"type", doc.Type, "380"},
				{"issue date format", doc.Issue.Format, "102"},
				{"issue date", doc.Issue.Value, "20260915"},
				{"buyer", doc.Tx.Agreement.Buyer.Name, "Boulangerie Dupré SARL"},
				{"buyer scheme", doc.Tx.Agreement.Buyer.Legal.Scheme, "0002"},
				{"buyer SIREN", doc.Tx.Agreement.Buyer.Legal.Value, "552100554"},
				{"currency", doc.Tx.Settlement.Currency, "EUR"},
				{"due date", doc.Tx.Settlement.Due, tt.wantDue},
				{"grand total", doc.Tx.Settlement.Grand, "1764.60"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
				}
			}
			if len(doc.Tx.Lines) != tt.wantLines {
				t.Errorf("got %d lines, want %d", len(doc.Tx.Lines), tt.wantLines)
			}
		})
	}
}

func TestCIIXMLOverrides(t *testing.T) {
	inv := sample()
	inv.FacturX = samplepdf.ProfileEN16931
	inv.XML = samplepdf.XMLOverride{
		Number: "OTHER-1", TypeCode: "389", IssueDate: "2026-09-01", DueDate: "2026-09-30",
		BuyerName: "Autre <Client> & Cie", BuyerSIREN: "443061841", Currency: "USD", GrandTotal: "999.99",
		ProfileURN: "urn:example:custom",
	}
	var doc ciiDoc
	if err := xml.Unmarshal(samplepdf.CIIXML(inv), &doc); err != nil {
		t.Fatalf("generated XML does not parse: %v", err)
	}
	checks := []struct{ name, got, want string }{
		{"profile", doc.Profile, "urn:example:custom"},
		{"number", doc.Number, "OTHER-1"},
		{"type", doc.Type, "389"},
		{"issue date", doc.Issue.Value, "20260901"},
		{"buyer", doc.Tx.Agreement.Buyer.Name, "Autre <Client> & Cie"},
		{"buyer SIREN", doc.Tx.Agreement.Buyer.Legal.Value, "443061841"},
		{"currency", doc.Tx.Settlement.Currency, "USD"},
		{"due date", doc.Tx.Settlement.Due, "20260930"},
		{"grand total", doc.Tx.Settlement.Grand, "999.99"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}

	inv.XML = samplepdf.XMLOverride{Raw: []byte("<not-cii/>")}
	if got := string(samplepdf.CIIXML(inv)); got != "<not-cii/>" {
		t.Errorf("raw override: got %q, want %q", got, "<not-cii/>")
	}
}

func TestEmbeddedFileStructure(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		xml     samplepdf.XMLOverride
		want    []string
		absent  []string
	}{
		{
			name: "MINIMUM is Data", profile: samplepdf.ProfileMinimum,
			want: []string{"/AFRelationship /Data", "/Names [(factur-x.xml) ", "/AF [", "/Subtype /text#2Fxml", "<fx:ConformanceLevel>MINIMUM</fx:ConformanceLevel>"},
		},
		{
			name: "EN 16931 is Alternative", profile: samplepdf.ProfileEN16931,
			want: []string{"/AFRelationship /Alternative", "/F (factur-x.xml) /UF (factur-x.xml)"},
		},
		{
			name: "another file name", profile: samplepdf.ProfileBasic, xml: samplepdf.XMLOverride{FileName: "zugferd-invoice.xml"},
			want: []string{"/Names [(zugferd-invoice.xml) ", "<fx:DocumentFileName>zugferd-invoice.xml</fx:DocumentFileName>"},
		},
		{
			name: "non-ASCII file name is UTF-16", profile: samplepdf.ProfileBasic, xml: samplepdf.XMLOverride{FileName: "facturé.xml"},
			want: []string{"/UF <FEFF00660061006300740075007200E9002E0078006D006C>"},
		},
		{
			name: "annotation", profile: samplepdf.ProfileBasic, xml: samplepdf.XMLOverride{Annotation: true},
			want:   []string{"/Subtype /FileAttachment", "/Annots ["},
			absent: []string{"/AF [", "/Names [(", "/AFRelationship"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := sample()
			inv.FacturX = tt.profile
			inv.XML = tt.xml
			pdf, err := samplepdf.Generate(inv)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !bytes.Contains(pdf, []byte(w)) {
					t.Errorf("PDF lacks %q", w)
				}
			}
			for _, a := range tt.absent {
				if bytes.Contains(pdf, []byte(a)) {
					t.Errorf("PDF holds %q, want it absent", a)
				}
			}
		})
	}
}
