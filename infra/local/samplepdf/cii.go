package samplepdf

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"strings"
)

// profileURNs maps each Factur-X profile to its guideline identifier (BT-24).
var profileURNs = map[string]string{
	ProfileMinimum:  "urn:factur-x.eu:1p0:minimum",
	ProfileBasicWL:  "urn:factur-x.eu:1p0:basicwl",
	ProfileBasic:    "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
	ProfileEN16931:  "urn:cen.eu:en16931:2017",
	ProfileExtended: "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
}

// ProfileURN returns the guideline URN of a Factur-X profile, or "" when the
// profile is unknown.
func ProfileURN(profile string) string { return profileURNs[profile] }

// CIIXML returns the UN/CEFACT Cross Industry Invoice (D16B) that Generate
// embeds, with inv.XML's overrides applied. Elements follow the order and the
// profile restrictions of the Factur-X schemas: MINIMUM has no lines and no
// payment terms, BASIC WL adds tax breakdown and terms, BASIC and above add
// lines. An empty inv.FacturX gives the EN 16931 profile.
func CIIXML(inv Invoice) []byte {
	if inv.XML.Raw != nil {
		return inv.XML.Raw
	}
	profile := inv.FacturX
	if profile == "" {
		profile = ProfileEN16931
	}
	o := inv.XML
	pick := func(override, value string) string {
		if override != "" {
			return override
		}
		return value
	}
	cur := pick(o.Currency, inv.currency())
	totals := inv.Totals()
	withTerms := profile != ProfileMinimum
	withLines := withTerms && profile != ProfileBasicWL

	w := &xmlWriter{}
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.raw(`<rsm:CrossIndustryInvoice` +
		` xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"` +
		` xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"` +
		` xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"` +
		` xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">` + "\n")

	w.open("rsm:ExchangedDocumentContext")
	w.open("ram:GuidelineSpecifiedDocumentContextParameter")
	w.leaf("ram:ID", "", pick(o.ProfileURN, profileURNs[profile]))
	w.close("ram:GuidelineSpecifiedDocumentContextParameter")
	w.close("rsm:ExchangedDocumentContext")

	w.open("rsm:ExchangedDocument")
	w.leaf("ram:ID", "", pick(o.Number, inv.Number))
	w.leaf("ram:TypeCode", "", pick(o.TypeCode, inv.TypeCode()))
	w.date("ram:IssueDateTime", pick(o.IssueDate, inv.IssueDate))
	w.close("rsm:ExchangedDocument")

	w.open("rsm:SupplyChainTradeTransaction")
	if withLines {
		for i, l := range inv.Lines {
			w.open("ram:IncludedSupplyChainTradeLineItem")
			w.open("ram:AssociatedDocumentLineDocument")
			w.leaf("ram:LineID", "", itoa(int64(i+1)))
			w.close("ram:AssociatedDocumentLineDocument")
			w.open("ram:SpecifiedTradeProduct")
			w.leaf("ram:Name", "", l.Description)
			w.close("ram:SpecifiedTradeProduct")
			w.open("ram:SpecifiedLineTradeAgreement")
			w.open("ram:NetPriceProductTradePrice")
			w.leaf("ram:ChargeAmount", "", FormatAmount(l.UnitPriceCents))
			w.close("ram:NetPriceProductTradePrice")
			w.close("ram:SpecifiedLineTradeAgreement")
			w.open("ram:SpecifiedLineTradeDelivery")
			w.leaf("ram:BilledQuantity", `unitCode="C62"`, itoa(l.Quantity))
			w.close("ram:SpecifiedLineTradeDelivery")
			w.open("ram:SpecifiedLineTradeSettlement")
			w.open("ram:ApplicableTradeTax")
			w.leaf("ram:TypeCode", "", "VAT")
			w.leaf("ram:CategoryCode", "", "S")
			w.leaf("ram:RateApplicablePercent", "", itoa(VATRate))
			w.close("ram:ApplicableTradeTax")
			w.open("ram:SpecifiedTradeSettlementLineMonetarySummation")
			w.leaf("ram:LineTotalAmount", "", FormatAmount(l.Quantity*l.UnitPriceCents))
			w.close("ram:SpecifiedTradeSettlementLineMonetarySummation")
			w.close("ram:SpecifiedLineTradeSettlement")
			w.close("ram:IncludedSupplyChainTradeLineItem")
		}
	}

	w.open("ram:ApplicableHeaderTradeAgreement")
	w.open("ram:SellerTradeParty")
	w.leaf("ram:Name", "", inv.SellerName)
	w.legalID(inv.SellerSIREN)
	w.country()
	if vat := vatNumber(inv.SellerSIREN); vat != "" {
		w.open("ram:SpecifiedTaxRegistration")
		w.leaf("ram:ID", `schemeID="VA"`, vat)
		w.close("ram:SpecifiedTaxRegistration")
	}
	w.close("ram:SellerTradeParty")
	w.open("ram:BuyerTradeParty")
	w.leaf("ram:Name", "", pick(o.BuyerName, inv.BuyerName))
	w.legalID(pick(o.BuyerSIREN, inv.BuyerSIREN))
	if withTerms {
		w.country()
	}
	w.close("ram:BuyerTradeParty")
	w.close("ram:ApplicableHeaderTradeAgreement")

	w.raw("    <ram:ApplicableHeaderTradeDelivery/>\n")

	w.open("ram:ApplicableHeaderTradeSettlement")
	w.leaf("ram:InvoiceCurrencyCode", "", cur)
	if withTerms {
		w.open("ram:ApplicableTradeTax")
		w.leaf("ram:CalculatedAmount", "", FormatAmount(totals.VAT))
		w.leaf("ram:TypeCode", "", "VAT")
		w.leaf("ram:BasisAmount", "", FormatAmount(totals.Net))
		w.leaf("ram:CategoryCode", "", "S")
		w.leaf("ram:RateApplicablePercent", "", itoa(VATRate))
		w.close("ram:ApplicableTradeTax")
		if due := pick(o.DueDate, inv.DueDate); due != "" {
			w.open("ram:SpecifiedTradePaymentTerms")
			w.date("ram:DueDateDateTime", due)
			w.close("ram:SpecifiedTradePaymentTerms")
		}
	}
	w.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
	if withTerms {
		w.leaf("ram:LineTotalAmount", "", FormatAmount(totals.Net))
	}
	w.leaf("ram:TaxBasisTotalAmount", "", FormatAmount(totals.Net))
	w.leaf("ram:TaxTotalAmount", `currencyID="`+escape(cur)+`"`, FormatAmount(totals.VAT))
	w.leaf("ram:GrandTotalAmount", "", pick(o.GrandTotal, FormatAmount(totals.Grand)))
	w.leaf("ram:DuePayableAmount", "", FormatAmount(totals.Grand))
	w.close("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
	w.close("ram:ApplicableHeaderTradeSettlement")
	w.close("rsm:SupplyChainTradeTransaction")
	w.raw("</rsm:CrossIndustryInvoice>\n")
	return w.buf.Bytes()
}

// xmlWriter writes indented XML by hand: encoding/xml cannot emit the fixed
// namespace prefixes (rsm, ram, udt) that CII readers and humans expect.
type xmlWriter struct {
	buf   bytes.Buffer
	depth int
}

func (w *xmlWriter) indent() { w.buf.WriteString(strings.Repeat("  ", w.depth+1)) }

func (w *xmlWriter) raw(s string) { w.buf.WriteString(s) }

func (w *xmlWriter) open(name string) {
	w.indent()
	w.buf.WriteString("<" + name + ">\n")
	w.depth++
}

func (w *xmlWriter) close(name string) {
	w.depth--
	w.indent()
	w.buf.WriteString("</" + name + ">\n")
}

// leaf writes <name attrs>text</name>; attrs must already be escaped.
func (w *xmlWriter) leaf(name, attrs, text string) {
	w.indent()
	w.buf.WriteString("<" + name)
	if attrs != "" {
		w.buf.WriteString(" " + attrs)
	}
	w.buf.WriteString(">" + escape(text) + "</" + name + ">\n")
}

// date writes a date as a qualified DateTimeString in format 102 (YYYYMMDD).
func (w *xmlWriter) date(name, iso string) {
	w.open(name)
	w.leaf("udt:DateTimeString", `format="102"`, strings.ReplaceAll(iso, "-", ""))
	w.close(name)
}

// legalID writes the party's SIREN (scheme 0002) when there is one.
func (w *xmlWriter) legalID(siren string) {
	if siren == "" {
		return
	}
	w.open("ram:SpecifiedLegalOrganization")
	w.leaf("ram:ID", `schemeID="0002"`, siren)
	w.close("ram:SpecifiedLegalOrganization")
}

func (w *xmlWriter) country() {
	w.open("ram:PostalTradeAddress")
	w.leaf("ram:CountryID", "", "FR")
	w.close("ram:PostalTradeAddress")
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // strings.Builder never fails
	return b.String()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
