package facturx

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxXMLBytes bounds the XML Parse accepts and the size Extract inflates an
// attachment to, so a compressed bomb cannot exhaust the function's memory.
// Real invoice XML weighs kilobytes; past this cap the XML is unusable.
const MaxXMLBytes = 10 << 20

// maxDepth bounds element nesting; real invoices stay under 15 levels.
const maxDepth = 64

// field names a value Parse collects.
type field int

const (
	fProfile field = iota + 1
	fNumber
	fTypeCode
	fIssueDate
	fDueDate
	fBuyerName
	fBuyerLegalID
	fBuyerID
	fCurrency
	fGrandTotal
)

// ciiPaths locates the fields in a Cross Industry Invoice (D16B), used by
// Factur-X, ZUGFeRD 2.x and XRechnung CII, by local names from the root:
// producers choose their own namespace prefixes.
var ciiPaths = paths("CrossIndustryInvoice", map[string]field{
	"ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID": fProfile,
	"ExchangedDocument/ID":                           fNumber,
	"ExchangedDocument/TypeCode":                     fTypeCode,
	"ExchangedDocument/IssueDateTime/DateTimeString": fIssueDate,
	"SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/BuyerTradeParty/Name":                                              fBuyerName,
	"SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/BuyerTradeParty/SpecifiedLegalOrganization/ID":                     fBuyerLegalID,
	"SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/BuyerTradeParty/ID":                                                fBuyerID,
	"SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/InvoiceCurrencyCode":                                              fCurrency,
	"SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString":        fDueDate,
	"SupplyChainTradeTransaction/ApplicableHeaderTradeSettlement/SpecifiedTradeSettlementHeaderMonetarySummation/GrandTotalAmount": fGrandTotal,
})

// zugferd1Paths locates the same fields in a ZUGFeRD 1.0 Cross Industry
// Document, the format of attachments named ZUGFeRD-invoice.xml.
var zugferd1Paths = paths("CrossIndustryDocument", map[string]field{
	"SpecifiedExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID": fProfile,
	"HeaderExchangedDocument/ID":                           fNumber,
	"HeaderExchangedDocument/TypeCode":                     fTypeCode,
	"HeaderExchangedDocument/IssueDateTime/DateTimeString": fIssueDate,
	"SpecifiedSupplyChainTradeTransaction/ApplicableSupplyChainTradeAgreement/BuyerTradeParty/Name":                                        fBuyerName,
	"SpecifiedSupplyChainTradeTransaction/ApplicableSupplyChainTradeAgreement/BuyerTradeParty/ID":                                          fBuyerID,
	"SpecifiedSupplyChainTradeTransaction/ApplicableSupplyChainTradeSettlement/InvoiceCurrencyCode":                                        fCurrency,
	"SpecifiedSupplyChainTradeTransaction/ApplicableSupplyChainTradeSettlement/SpecifiedTradePaymentTerms/DueDateDateTime/DateTimeString":  fDueDate,
	"SpecifiedSupplyChainTradeTransaction/ApplicableSupplyChainTradeSettlement/SpecifiedTradeSettlementMonetarySummation/GrandTotalAmount": fGrandTotal,
})

func paths(root string, rel map[string]field) map[string]field {
	m := make(map[string]field, len(rel))
	for p, f := range rel {
		m[root+"/"+p] = f
	}
	return m
}

// value is the text of one matched element and its attributes.
type value struct {
	text  string
	attrs []xml.Attr
}

func (v value) attr(local string) string {
	for _, a := range v.attrs {
		if a.Name.Local == local {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Parse reads a Cross Industry Invoice (Factur-X, ZUGFeRD 2.x, XRechnung CII)
// or a ZUGFeRD 1.0 Cross Industry Document. Elements are matched by local
// name, whatever their prefixes. The buyer's SIREN is the legal registration
// ID with scheme 0002; failing that, the first 9 digits of one with scheme
// 0009 (SIRET); failing that, the first buyer ID that is 9 digits.
//
// Errors wrap ErrBadXML: malformed XML, another root element, or a field
// value that cannot be read (a *FieldError).
func Parse(data []byte) (*Invoice, error) {
	if len(data) > MaxXMLBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrBadXML, len(data), MaxXMLBytes)
	}
	got, err := collect(bytes.TrimPrefix(data, utf8BOM))
	if err != nil {
		return nil, err
	}
	return build(got)
}

// collect walks the document once and keeps the text of every element whose
// path is one of the root's field paths.
func collect(data []byte) (map[field][]value, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	var (
		stack   []string
		fields  map[string]field
		capture *value
		capF    field
		capAt   int
		text    strings.Builder
		got     = map[field][]value{}
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if fields == nil {
				return nil, fmt.Errorf("%w: no root element", ErrBadXML)
			}
			return nil, fmt.Errorf("%w: unexpected end of document", ErrBadXML)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadXML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				switch t.Name.Local {
				case "CrossIndustryInvoice":
					fields = ciiPaths
				case "CrossIndustryDocument":
					fields = zugferd1Paths
				default:
					return nil, fmt.Errorf("%w: root element %q is not a Cross Industry Invoice", ErrBadXML, t.Name.Local)
				}
			}
			if len(stack) == maxDepth {
				return nil, fmt.Errorf("%w: elements nested deeper than %d", ErrBadXML, maxDepth)
			}
			stack = append(stack, t.Name.Local)
			if capture == nil {
				if f, ok := fields[strings.Join(stack, "/")]; ok {
					capture, capF, capAt = &value{attrs: t.Copy().Attr}, f, len(stack)
					text.Reset()
				}
			}
		case xml.CharData:
			if capture != nil {
				text.Write(t)
			}
		case xml.EndElement:
			if capture != nil && capAt == len(stack) {
				capture.text = text.String()
				got[capF] = append(got[capF], *capture)
				capture = nil
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return got, nil
			}
		}
	}
}

// build normalises the collected values into an Invoice.
func build(got map[field][]value) (*Invoice, error) {
	first := func(f field) (value, bool) {
		if vs := got[f]; len(vs) > 0 {
			return vs[0], true
		}
		return value{}, false
	}
	text := func(f field) string {
		v, _ := first(f)
		return strings.Join(strings.Fields(v.text), " ")
	}

	inv := &Invoice{
		Number:    text(fNumber),
		TypeCode:  text(fTypeCode),
		BuyerName: text(fBuyerName),
	}
	if v, ok := first(fProfile); ok {
		inv.Profile = NormalizeProfile(v.text)
	}

	var err error
	if v, ok := first(fIssueDate); ok {
		if inv.IssueDate, err = parseDate(v, "IssueDate", "BT-2"); err != nil {
			return nil, err
		}
	}
	if v, ok := first(fDueDate); ok {
		if inv.DueDate, err = parseDate(v, "DueDate", "BT-9"); err != nil {
			return nil, err
		}
	}

	total, hasTotal := first(fGrandTotal)
	if hasTotal {
		if inv.GrandTotal, err = normalizeAmount(total.text); err != nil {
			return nil, fieldError("GrandTotal", "BT-112", total.text, err.Error())
		}
	}

	// The total's currencyID stands in for a missing invoice currency.
	cur := text(fCurrency)
	if cur == "" && hasTotal {
		cur = total.attr("currencyID")
	}
	if cur != "" {
		if inv.Currency, err = normalizeCurrency(cur); err != nil {
			return nil, fieldError("Currency", "BT-5", cur, err.Error())
		}
	}

	if inv.BuyerSIREN, err = buyerSIREN(got); err != nil {
		return nil, err
	}
	return inv, nil
}

func fieldError(name, term, v, reason string) *FieldError {
	v = strings.TrimSpace(v)
	if len(v) > 64 {
		cut := 64
		for cut > 0 && !utf8.RuneStart(v[cut]) {
			cut--
		}
		v = v[:cut] + "…"
	}
	return &FieldError{Field: name, Term: term, Value: v, Reason: reason}
}

// parseDate reads a DateTimeString in format 102 (YYYYMMDD). Without a
// format attribute, YYYY-MM-DD is tolerated too.
func parseDate(v value, name, term string) (string, error) {
	s := strings.TrimSpace(v.text)
	format := v.attr("format")
	if format != "" && format != "102" {
		return "", fieldError(name, term, s, fmt.Sprintf("date format %q is not 102 (YYYYMMDD)", format))
	}
	layout := "20060102"
	if format == "" && len(s) == len(time.DateOnly) {
		layout = time.DateOnly
	}
	if len(s) != len(layout) {
		return "", fieldError(name, term, s, "not a YYYYMMDD date")
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return "", fieldError(name, term, s, "not a valid calendar date")
	}
	return t.Format(time.DateOnly), nil
}

var errNotAmount = errors.New("not a decimal amount such as 1234.56")

// normalizeAmount writes a decimal with at least two fraction digits and no
// superfluous zeros: "1234.5" and "01234.500" both give "1234.50".
func normalizeAmount(s string) (string, error) {
	s = strings.TrimSpace(s)
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || !allDigits(whole) || !allDigits(frac) {
		return "", errNotAmount
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	if neg && strings.Trim(whole+frac, "0") != "" {
		whole = "-" + whole
	}
	return whole + "." + frac, nil
}

func normalizeCurrency(s string) (string, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != 3 {
		return "", errors.New("not a three-letter ISO 4217 code")
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return "", errors.New("not a three-letter ISO 4217 code")
		}
	}
	return s, nil
}

// buyerSIREN picks the buyer's SIREN as Parse documents it.
func buyerSIREN(got map[field][]value) (string, error) {
	if vs := got[fBuyerLegalID]; len(vs) > 0 {
		v := vs[0]
		id := strings.ReplaceAll(strings.TrimSpace(v.text), " ", "")
		switch v.attr("schemeID") {
		case "0002":
			if len(id) != 9 || !allDigits(id) {
				return "", fieldError("BuyerSIREN", "BT-47", v.text, "a SIREN (scheme 0002) has 9 digits")
			}
			return id, nil
		case "0009":
			if len(id) == 14 && allDigits(id) {
				return id[:9], nil
			}
		case "":
			if len(id) == 9 && allDigits(id) {
				return id, nil
			}
		}
	}
	for _, v := range got[fBuyerID] {
		id := strings.ReplaceAll(strings.TrimSpace(v.text), " ", "")
		if len(id) == 9 && allDigits(id) {
			return id, nil
		}
	}
	return "", nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
