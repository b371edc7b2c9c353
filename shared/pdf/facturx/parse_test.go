package facturx_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/efacture/efacture/shared/pdf/facturx"
)

// baseCII is a complete EN 16931 invoice as a third-party producer writes
// it: its own prefixes, a seller with its own legal ID, two payment terms.
const baseCII = `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>A1</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:cen.eu:en16931:2017</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>FA-2026-0107</ram:ID>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20260930</udt:DateTimeString></ram:IssueDateTime>
    <ram:IncludedNote><ram:Content>Note</ram:Content></ram:IncludedNote>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:IncludedSupplyChainTradeLineItem>
      <ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>
      <ram:SpecifiedTradeProduct><ram:Name>Ligne</ram:Name></ram:SpecifiedTradeProduct>
    </ram:IncludedSupplyChainTradeLineItem>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:ID>SELLER-1</ram:ID>
        <ram:Name>Acme Location</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">732829320</ram:ID></ram:SpecifiedLegalOrganization>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:ID>C-0042</ram:ID>
        <ram:Name>Boulangerie   Dupré
          SARL</ram:Name>
        <ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">552100554</ram:ID></ram:SpecifiedLegalOrganization>
      </ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime><udt:DateTimeString format="102">20261030</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime><udt:DateTimeString format="102">20261130</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:TaxBasisTotalAmount>1028.80</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">205.76</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>1234.56</ram:GrandTotalAmount>
        <ram:DuePayableAmount>1234.56</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
`

// zugferd1 is a ZUGFeRD 1.0 COMFORT invoice, the older Cross Industry Document.
const zugferd1 = `<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:SpecifiedExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:comfort</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:SpecifiedExchangedDocumentContext>
  <rsm:HeaderExchangedDocument>
    <ram:ID>RE-1001</ram:ID>
    <ram:Name>RECHNUNG</ram:Name>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20260301</udt:DateTimeString></ram:IssueDateTime>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:SellerTradeParty><ram:Name>Lieferant GmbH</ram:Name></ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:ID>552100554</ram:ID><ram:Name>Kunde SARL</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime><udt:DateTimeString format="102">20260331</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:GrandTotalAmount currencyID="EUR">529.87</ram:GrandTotalAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
`

var baseWant = facturx.Invoice{
	Number: "FA-2026-0107", TypeCode: "380", IssueDate: "2026-09-30", DueDate: "2026-10-30",
	BuyerName: "Boulangerie Dupré SARL", BuyerSIREN: "552100554", GrandTotal: "1234.56",
	Currency: "EUR", Profile: facturx.ProfileEN16931,
}

// edit returns baseCII with each (old, new) pair replaced once; it fails the
// test when old is missing, so fixtures cannot silently drift.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	s := baseCII
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("fixture lacks %q", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		xml    func(t *testing.T) string
		change func(*facturx.Invoice)
	}{
		{"third-party EN 16931", func(t *testing.T) string { return baseCII }, nil},
		{"other prefixes", func(t *testing.T) string {
			s := strings.NewReplacer("rsm:", "inv:", "ram:", "r:", "udt:", "u:").Replace(baseCII)
			return s
		}, nil},
		{"default namespace, no prefixes", func(t *testing.T) string {
			return strings.NewReplacer("rsm:", "", "ram:", "", "udt:", "", "xmlns:rsm=", "xmlns=").Replace(baseCII)
		}, nil},
		{"byte order mark", func(t *testing.T) string { return "\ufeff" + baseCII }, nil},
		{"credit note", func(t *testing.T) string {
			return edit(t, "<ram:TypeCode>380</ram:TypeCode>", "<ram:TypeCode> 381 </ram:TypeCode>")
		}, func(i *facturx.Invoice) { i.TypeCode = "381" }},
		{"amount without decimals", func(t *testing.T) string {
			return edit(t, "<ram:GrandTotalAmount>1234.56<", "<ram:GrandTotalAmount> 01234 <")
		}, func(i *facturx.Invoice) { i.GrandTotal = "1234.00" }},
		{"amount with trailing zeros", func(t *testing.T) string {
			return edit(t, "<ram:GrandTotalAmount>1234.56<", "<ram:GrandTotalAmount>1234.5000<")
		}, func(i *facturx.Invoice) { i.GrandTotal = "1234.50" }},
		{"amount with three decimals", func(t *testing.T) string {
			return edit(t, "<ram:GrandTotalAmount>1234.56<", "<ram:GrandTotalAmount>+1234.567<")
		}, func(i *facturx.Invoice) { i.GrandTotal = "1234.567" }},
		{"negative amount", func(t *testing.T) string {
			return edit(t, "<ram:GrandTotalAmount>1234.56<", "<ram:GrandTotalAmount>-12.5<")
		}, func(i *facturx.Invoice) { i.GrandTotal = "-12.50" }},
		{"ISO date without format", func(t *testing.T) string {
			return edit(t, `<udt:DateTimeString format="102">20260930<`, `<udt:DateTimeString>2026-09-30<`)
		}, nil},
		{"no due date", func(t *testing.T) string {
			return edit(t,
				`<ram:DueDateDateTime><udt:DateTimeString format="102">20261030</udt:DateTimeString></ram:DueDateDateTime>`, "",
				`<ram:DueDateDateTime><udt:DateTimeString format="102">20261130</udt:DateTimeString></ram:DueDateDateTime>`, "")
		}, func(i *facturx.Invoice) { i.DueDate = "" }},
		{"SIRET gives the SIREN", func(t *testing.T) string {
			return edit(t, `<ram:ID schemeID="0002">552100554<`, `<ram:ID schemeID="0009">55210055400013<`)
		}, nil},
		{"legal ID without scheme", func(t *testing.T) string {
			return edit(t, `<ram:ID schemeID="0002">552100554<`, `<ram:ID>552 100 554<`)
		}, nil},
		{"buyer ID fallback", func(t *testing.T) string {
			return edit(t, `<ram:ID schemeID="0002">552100554<`, `<ram:ID schemeID="0088">3012345678901<`,
				"<ram:ID>C-0042</ram:ID>", "<ram:ID>C-0042</ram:ID><ram:ID>443061841</ram:ID>")
		}, func(i *facturx.Invoice) { i.BuyerSIREN = "443061841" }},
		{"no buyer SIREN, seller's is not taken", func(t *testing.T) string {
			return edit(t, `<ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">552100554</ram:ID></ram:SpecifiedLegalOrganization>`, "")
		}, func(i *facturx.Invoice) { i.BuyerSIREN = "" }},
		{"currency from the total", func(t *testing.T) string {
			return edit(t, "<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>", "",
				"<ram:GrandTotalAmount>", `<ram:GrandTotalAmount currencyID="chf">`)
		}, func(i *facturx.Invoice) { i.Currency = "CHF" }},
		{"lower-case currency", func(t *testing.T) string {
			return edit(t, "<ram:InvoiceCurrencyCode>EUR<", "<ram:InvoiceCurrencyCode>eur<")
		}, nil},
		{"MINIMUM", func(t *testing.T) string {
			return edit(t, "urn:cen.eu:en16931:2017<", "urn:factur-x.eu:1p0:minimum<")
		}, func(i *facturx.Invoice) { i.Profile = facturx.ProfileMinimum }},
		{"only the header", func(t *testing.T) string {
			return `<x:CrossIndustryInvoice xmlns:x="urn:x"><x:ExchangedDocument><x:ID>N1</x:ID></x:ExchangedDocument></x:CrossIndustryInvoice>`
		}, func(i *facturx.Invoice) { *i = facturx.Invoice{Number: "N1"} }},
		{"CDATA and entities", func(t *testing.T) string {
			return edit(t, "<ram:ID>FA-2026-0107</ram:ID>", "<ram:ID><![CDATA[FA-2026]]>&#x2D;0107</ram:ID>",
				"Boulangerie   Dupré", "Boulangerie &amp; Dupré")
		}, func(i *facturx.Invoice) { i.BuyerName = "Boulangerie & Dupré SARL" }},
		{"ZUGFeRD 1.0", func(t *testing.T) string { return zugferd1 }, func(i *facturx.Invoice) {
			*i = facturx.Invoice{Number: "RE-1001", TypeCode: "380", IssueDate: "2026-03-01", DueDate: "2026-03-31",
				BuyerName: "Kunde SARL", BuyerSIREN: "552100554", GrandTotal: "529.87", Currency: "EUR",
				Profile: "urn:ferd:CrossIndustryDocument:invoice:1p0:comfort"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := baseWant
			if tt.change != nil {
				tt.change(&want)
			}
			got, err := facturx.Parse([]byte(tt.xml(t)))
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if *got != want {
				t.Errorf("got  %+v\nwant %+v", *got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name      string
		xml       func(t *testing.T) string
		wantField string // "" when no *FieldError is expected
	}{
		{"empty", func(t *testing.T) string { return "" }, ""},
		{"not XML", func(t *testing.T) string { return "%PDF-1.7 garbage" }, ""},
		{"truncated", func(t *testing.T) string { return baseCII[:len(baseCII)/2] }, ""},
		{"mismatched tags", func(t *testing.T) string {
			return edit(t, "</ram:TypeCode>", "</ram:Code>")
		}, ""},
		{"UBL root", func(t *testing.T) string {
			return `<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>1</ID></Invoice>`
		}, ""},
		{"undefined entity", func(t *testing.T) string { return edit(t, "FA-2026-0107", "&num;") }, ""},
		{"Latin-1 declaration", func(t *testing.T) string { return edit(t, `encoding="UTF-8"`, `encoding="ISO-8859-1"`) }, ""},
		{"nested too deep", func(t *testing.T) string {
			return "<CrossIndustryInvoice>" + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + "</CrossIndustryInvoice>"
		}, ""},
		{"impossible date", func(t *testing.T) string {
			return edit(t, `format="102">20260930<`, `format="102">20260231<`)
		}, "IssueDate"},
		{"unsupported date format", func(t *testing.T) string {
			return edit(t, `format="102">20261030<`, `format="610">202610<`)
		}, "DueDate"},
		{"French decimal comma", func(t *testing.T) string {
			return edit(t, "<ram:GrandTotalAmount>1234.56<", "<ram:GrandTotalAmount>1234,56<")
		}, "GrandTotal"},
		{"empty amount", func(t *testing.T) string {
			return edit(t, "<ram:GrandTotalAmount>1234.56<", "<ram:GrandTotalAmount>.<")
		}, "GrandTotal"},
		{"currency name", func(t *testing.T) string {
			return edit(t, "<ram:InvoiceCurrencyCode>EUR<", "<ram:InvoiceCurrencyCode>Euro<")
		}, "Currency"},
		{"short SIREN", func(t *testing.T) string {
			return edit(t, `schemeID="0002">552100554<`, `schemeID="0002">55210055<`)
		}, "BuyerSIREN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := facturx.Parse([]byte(tt.xml(t)))
			if !errors.Is(err, facturx.ErrBadXML) {
				t.Fatalf("got %+v, %v; want an ErrBadXML", got, err)
			}
			var fe *facturx.FieldError
			if errors.As(err, &fe) != (tt.wantField != "") {
				t.Fatalf("got error %v, want a FieldError: %v", err, tt.wantField != "")
			}
			if fe != nil && fe.Field != tt.wantField {
				t.Errorf("got field %q, want %q", fe.Field, tt.wantField)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	big := make([]byte, facturx.MaxXMLBytes+1)
	if _, err := facturx.Parse(big); !errors.Is(err, facturx.ErrBadXML) {
		t.Errorf("got %v, want ErrBadXML", err)
	}
}

func TestNormalizeProfile(t *testing.T) {
	tests := []struct{ urn, want string }{
		{"urn:factur-x.eu:1p0:minimum", facturx.ProfileMinimum},
		{"urn:factur-x.eu:1p0:basicwl", facturx.ProfileBasicWL},
		{"urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", facturx.ProfileBasic},
		{"urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic", facturx.ProfileBasic},
		{"urn:cen.eu:en16931:2017", facturx.ProfileEN16931},
		{" urn:cen.eu:EN16931:2017\n", facturx.ProfileEN16931},
		{"urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", facturx.ProfileExtended},
		{"urn:zugferd.de:2p0:minimum", facturx.ProfileMinimum},
		{"urn:zugferd.de:2p0:basicwl", facturx.ProfileBasicWL},
		{"urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic", facturx.ProfileBasic},
		{"urn:cen.eu:en16931:2017#conformant#urn:zugferd.de:2p0:extended", facturx.ProfileExtended},
		{"urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0", facturx.ProfileXRechnung},
		{"urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.1", facturx.ProfileXRechnung},
		{"urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended-ctc-fr", "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended-ctc-fr"},
		{" urn:example:own ", "urn:example:own"},
	}
	for _, tt := range tests {
		t.Run(tt.urn, func(t *testing.T) {
			if got := facturx.NormalizeProfile(tt.urn); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFlaggedAndDocumentType(t *testing.T) {
	tests := []struct {
		profile, typeCode string
		flagged           bool
		docType           string
	}{
		{facturx.ProfileMinimum, "380", true, "invoice"},
		{facturx.ProfileBasicWL, "381", true, "credit_note"},
		{facturx.ProfileBasic, "380", false, "invoice"},
		{facturx.ProfileEN16931, "389", false, ""},
		{facturx.ProfileExtended, "381", false, "credit_note"},
		{facturx.ProfileXRechnung, "380", false, "invoice"},
		{"urn:example:own", "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.profile+" "+tt.typeCode, func(t *testing.T) {
			inv := &facturx.Invoice{Profile: tt.profile, TypeCode: tt.typeCode}
			if got := inv.Flagged(); got != tt.flagged {
				t.Errorf("Flagged: got %v, want %v", got, tt.flagged)
			}
			if got := inv.DocumentType(); got != tt.docType {
				t.Errorf("DocumentType: got %q, want %q", got, tt.docType)
			}
		})
	}
}
