// Package facturx reads the structured invoice that Factur-X and ZUGFeRD PDFs
// carry as an embedded XML file.
//
// The package links pdfcpu, which adds about ninety initialised packages and
// several megabytes to a binary, so only the ingestion function, whose cold
// start nobody waits for, imports it.
package facturx

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrNoXML means the PDF is readable but carries no invoice XML.
	ErrNoXML = errors.New("facturx: no Factur-X or ZUGFeRD XML attachment")
	// ErrBadXML means an invoice XML was found but cannot be used: malformed,
	// not a Cross Industry Invoice, or holding an invalid value (see FieldError).
	ErrBadXML = errors.New("facturx: unusable invoice XML")
	// ErrBadPDF means the bytes could not be read as a PDF.
	ErrBadPDF = errors.New("facturx: unreadable PDF")
)

// Profiles, as Invoice.Profile reports them.
const (
	ProfileMinimum   = "MINIMUM"
	ProfileBasicWL   = "BASIC WL"
	ProfileBasic     = "BASIC"
	ProfileEN16931   = "EN 16931"
	ProfileExtended  = "EXTENDED"
	ProfileXRechnung = "XRECHNUNG"
)

// Invoice holds the fields the portal reads from the XML. A field the XML
// does not give is empty.
type Invoice struct {
	Number     string // BT-1
	TypeCode   string // BT-3, UNTDID 1001 as written: "380" invoice, "381" credit note, others raw
	IssueDate  string // BT-2, YYYY-MM-DD
	DueDate    string // BT-9, YYYY-MM-DD
	BuyerName  string // BT-44
	BuyerSIREN string // BT-47 with scheme 0002 (or derived, see Parse)
	GrandTotal string // BT-112, normalised decimal such as "1234.56"
	Currency   string // BT-5, ISO 4217 upper case
	// Profile is one of the Profile constants, or the raw guideline URN
	// (BT-24) when it names no profile this package knows.
	Profile string
	// FileName is the attachment the XML came from; set by Extract only.
	FileName string
}

// Flagged reports whether the profile is MINIMUM or BASIC WL: their XML is
// not a complete invoice, so the PDF alone is the legal document.
func (inv *Invoice) Flagged() bool {
	return inv.Profile == ProfileMinimum || inv.Profile == ProfileBasicWL
}

// DocumentType maps the type code to the portal's document type: "invoice"
// for 380, "credit_note" for 381, "" for any other code.
func (inv *Invoice) DocumentType() string {
	switch inv.TypeCode {
	case "380":
		return "invoice"
	case "381":
		return "credit_note"
	}
	return ""
}

// FieldError is an invalid value in the XML. It wraps ErrBadXML.
type FieldError struct {
	Field  string // Invoice field name, e.g. "IssueDate"
	Term   string // EN 16931 business term, e.g. "BT-2"
	Value  string // the value as written, shortened
	Reason string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("facturx: %s (%s) %q: %s", e.Field, e.Term, e.Value, e.Reason)
}

// Unwrap makes errors.Is(err, ErrBadXML) true.
func (e *FieldError) Unwrap() error { return ErrBadXML }

// profileURNs lists the guideline identifiers of Factur-X 1.0 and ZUGFeRD
// 2.x, lower-cased. ZUGFeRD 2.0 used its own URNs for the same profiles, and
// early Factur-X files wrote BASIC with colons instead of hashes.
var profileURNs = map[string]string{
	"urn:factur-x.eu:1p0:minimum":                                     ProfileMinimum,
	"urn:factur-x.eu:1p0:basicwl":                                     ProfileBasicWL,
	"urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic":     ProfileBasic,
	"urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:basic":         ProfileBasic,
	"urn:cen.eu:en16931:2017":                                         ProfileEN16931,
	"urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended": ProfileExtended,
	"urn:zugferd.de:2p0:minimum":                                      ProfileMinimum,
	"urn:zugferd.de:2p0:basicwl":                                      ProfileBasicWL,
	"urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic":      ProfileBasic,
	"urn:cen.eu:en16931:2017#conformant#urn:zugferd.de:2p0:extended":  ProfileExtended,
}

// NormalizeProfile maps a guideline URN to a Profile constant, or returns
// the URN trimmed when it is not a known one. XRechnung URNs carry a version
// suffix (xrechnung_2.3, xrechnung_3.0), so they are matched by content.
func NormalizeProfile(urn string) string {
	urn = strings.TrimSpace(urn)
	key := strings.ToLower(urn)
	if p, ok := profileURNs[key]; ok {
		return p
	}
	if strings.HasPrefix(key, "urn:cen.eu:en16931:2017#compliant#") && strings.Contains(key, "xrechnung") {
		return ProfileXRechnung
	}
	return urn
}
