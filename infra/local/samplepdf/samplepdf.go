// Package samplepdf generates realistic one-page invoice and credit-note PDFs,
// optionally carrying a Factur-X XML, for tests and the local demo.
//
// Output is deterministic: the same Invoice always gives the same bytes, so
// tests can tell "same document again" from "different document, same number".
package samplepdf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// Document types, as the portal names them.
const (
	TypeInvoice    = "invoice"
	TypeCreditNote = "credit_note"
)

// Factur-X profiles accepted in Invoice.FacturX.
const (
	ProfileMinimum  = "MINIMUM"
	ProfileBasicWL  = "BASIC WL"
	ProfileBasic    = "BASIC"
	ProfileEN16931  = "EN 16931"
	ProfileExtended = "EXTENDED"
)

// VATRate is the single VAT rate, in percent, applied to every sample line.
const VATRate = 20

// ErrInvalid is wrapped by every error Generate returns for a bad Invoice.
var ErrInvalid = errors.New("samplepdf: invalid invoice")

// Invoice describes the document to draw. Amounts are in cents so totals are
// exact; dates are "YYYY-MM-DD", the format the Factur-X reader returns.
type Invoice struct {
	Number      string // BT-1, required
	Type        string // TypeInvoice or TypeCreditNote
	IssueDate   string // BT-2, required
	DueDate     string // BT-9, optional
	SellerName  string
	SellerSIREN string // 9 digits; the VAT number is derived from it
	BuyerName   string
	BuyerSIREN  string
	Currency    string // ISO 4217; EUR when empty
	Lines       []Line // at least one
	// FacturX is the profile of the embedded XML; empty gives a plain PDF.
	FacturX string
	// XML lets a test make the embedded XML disagree with the visible page.
	XML XMLOverride
}

// Line is one invoice line.
type Line struct {
	Description    string
	Quantity       int64
	UnitPriceCents int64 // net of VAT
}

// XMLOverride replaces values in the embedded XML only; the visible page keeps
// the Invoice's values. Empty fields keep the Invoice's value.
type XMLOverride struct {
	Number     string
	TypeCode   string // e.g. "380", "381", "389"
	IssueDate  string // YYYY-MM-DD
	DueDate    string // YYYY-MM-DD
	BuyerName  string
	BuyerSIREN string
	Currency   string
	GrandTotal string // written as is, e.g. "999.99"
	// ProfileURN replaces the guideline URN derived from the profile.
	ProfileURN string
	// FileName is the attachment name; "factur-x.xml" when empty.
	FileName string
	// Raw, when set, is embedded instead of the generated XML.
	Raw []byte
	// Annotation attaches the XML through a file attachment annotation on
	// the page rather than the document's EmbeddedFiles and /AF, as some
	// producers do.
	Annotation bool
}

// Totals are an invoice's computed amounts in cents.
type Totals struct {
	Net   int64
	VAT   int64
	Grand int64
}

// Totals sums the lines and applies VATRate, rounding half away from zero.
func (inv Invoice) Totals() Totals {
	var net int64
	for _, l := range inv.Lines {
		net += l.Quantity * l.UnitPriceCents
	}
	vat := roundDiv(net*VATRate, 100)
	return Totals{Net: net, VAT: vat, Grand: net + vat}
}

func roundDiv(a, b int64) int64 {
	if a < 0 {
		return -((-a + b/2) / b)
	}
	return (a + b/2) / b
}

// FormatAmount writes cents as a plain decimal string such as "1234.56",
// the form used in the XML and in S3 metadata.
func FormatAmount(cents int64) string {
	sign := ""
	if cents < 0 {
		sign = "-"
		cents = -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// GrandTotal is the grand total as FormatAmount writes it.
func (inv Invoice) GrandTotal() string { return FormatAmount(inv.Totals().Grand) }

// TypeCode is the UNTDID 1001 code of the document type: 380 or 381.
func (inv Invoice) TypeCode() string {
	if inv.Type == TypeCreditNote {
		return "381"
	}
	return "380"
}

func (inv Invoice) currency() string {
	if inv.Currency == "" {
		return "EUR"
	}
	return inv.Currency
}

func (inv Invoice) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(inv.Number) == "" {
		return bad("number is required")
	}
	if inv.Type != TypeInvoice && inv.Type != TypeCreditNote {
		return bad("type %q is neither %q nor %q", inv.Type, TypeInvoice, TypeCreditNote)
	}
	if _, err := time.Parse(time.DateOnly, inv.IssueDate); err != nil {
		return bad("issue date %q is not YYYY-MM-DD", inv.IssueDate)
	}
	if inv.DueDate != "" {
		if _, err := time.Parse(time.DateOnly, inv.DueDate); err != nil {
			return bad("due date %q is not YYYY-MM-DD", inv.DueDate)
		}
	}
	if len(inv.Lines) == 0 {
		return bad("at least one line is required")
	}
	if inv.FacturX != "" {
		if _, ok := profileURNs[inv.FacturX]; !ok {
			return bad("unknown Factur-X profile %q", inv.FacturX)
		}
	}
	return nil
}

// Generate draws inv on one A4 page in French and, when inv.FacturX is set,
// embeds the XML that CIIXML returns as a Factur-X attachment.
func Generate(inv Invoice) ([]byte, error) {
	if err := inv.validate(); err != nil {
		return nil, err
	}
	issued, _ := time.Parse(time.DateOnly, inv.IssueDate)

	pdf := fpdf.New("P", "mm", "A4", "")
	// Fixed dates and sorted catalogs make the output byte-for-byte stable.
	pdf.SetCreationDate(issued)
	pdf.SetModificationDate(issued)
	pdf.SetCatalogSort(true)
	pdf.SetLang("fr-FR")
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(false, 20)
	pdf.SetTitle(docTitle(inv)+" "+inv.Number, true)
	pdf.SetAuthor(inv.SellerName, true)
	pdf.SetCreator("efacture samplepdf", true)
	pdf.SetProducer("efacture samplepdf", true)
	pdf.AddPage()

	drawPage(pdf, inv)

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("samplepdf: render %s: %w", inv.Number, err)
	}
	if inv.FacturX == "" {
		return buf.Bytes(), nil
	}
	out, err := appendFacturX(buf.Bytes(), attachment{
		name:       inv.attachmentName(),
		content:    CIIXML(inv),
		profile:    inv.FacturX,
		modified:   issued,
		title:      docTitle(inv) + " " + inv.Number,
		annotation: inv.XML.Annotation,
	})
	if err != nil {
		return nil, fmt.Errorf("samplepdf: embed XML in %s: %w", inv.Number, err)
	}
	return out, nil
}

func (inv Invoice) attachmentName() string {
	if inv.XML.FileName != "" {
		return inv.XML.FileName
	}
	return "factur-x.xml"
}

func docTitle(inv Invoice) string {
	if inv.Type == TypeCreditNote {
		return "Avoir"
	}
	return "Facture"
}

// drawPage lays out the visible document.
func drawPage(pdf *fpdf.Fpdf, inv Invoice) {
	tr := pdf.UnicodeTranslatorFromDescriptor("") // cp1252 covers French and €
	cur := inv.currency()
	totals := inv.Totals()

	// Seller block.
	pdf.SetTextColor(20, 40, 90)
	pdf.SetFont("Helvetica", "B", 16)
	pdf.SetXY(20, 20)
	pdf.CellFormat(100, 8, tr(inv.SellerName), "", 2, "L", false, 0, "")
	pdf.SetTextColor(60, 60, 60)
	pdf.SetFont("Helvetica", "", 9)
	if inv.SellerSIREN != "" {
		pdf.CellFormat(100, 5, tr("SIREN "+groupSIREN(inv.SellerSIREN)), "", 2, "L", false, 0, "")
		if vat := vatNumber(inv.SellerSIREN); vat != "" {
			pdf.CellFormat(100, 5, tr("N° TVA intracommunautaire "+vat), "", 2, "L", false, 0, "")
		}
	}

	// Document block.
	pdf.SetTextColor(20, 40, 90)
	pdf.SetFont("Helvetica", "B", 20)
	pdf.SetXY(120, 20)
	pdf.CellFormat(70, 9, tr(strings.ToUpper(docTitle(inv))), "", 2, "R", false, 0, "")
	pdf.SetTextColor(30, 30, 30)
	pdf.SetFont("Helvetica", "", 10)
	pdf.CellFormat(70, 6, tr("N° "+inv.Number), "", 2, "R", false, 0, "")
	pdf.CellFormat(70, 6, tr("Date : "+frenchDate(inv.IssueDate)), "", 2, "R", false, 0, "")
	if inv.DueDate != "" {
		pdf.CellFormat(70, 6, tr("Échéance : "+frenchDate(inv.DueDate)), "", 2, "R", false, 0, "")
	}

	// Buyer block.
	pdf.SetDrawColor(180, 180, 190)
	pdf.SetFillColor(244, 246, 250)
	pdf.Rect(110, 55, 80, 26, "DF")
	pdf.SetXY(114, 58)
	pdf.SetFont("Helvetica", "B", 9)
	pdf.CellFormat(72, 5, tr("Client"), "", 2, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 11)
	pdf.CellFormat(72, 6, tr(inv.BuyerName), "", 2, "L", false, 0, "")
	if inv.BuyerSIREN != "" {
		pdf.SetFont("Helvetica", "", 9)
		pdf.CellFormat(72, 5, tr("SIREN "+groupSIREN(inv.BuyerSIREN)), "", 2, "L", false, 0, "")
	}

	// Lines.
	widths := []float64{90, 20, 30, 30}
	pdf.SetXY(20, 95)
	pdf.SetFont("Helvetica", "B", 9)
	pdf.SetFillColor(20, 40, 90)
	pdf.SetTextColor(255, 255, 255)
	for i, h := range []string{"Désignation", "Qté", "PU HT", "Montant HT"} {
		align := "R"
		if i == 0 {
			align = "L"
		}
		pdf.CellFormat(widths[i], 7, tr(h), "", 0, align, true, 0, "")
	}
	pdf.Ln(7)
	pdf.SetTextColor(30, 30, 30)
	pdf.SetFont("Helvetica", "", 9)
	for _, l := range inv.Lines {
		pdf.CellFormat(widths[0], 6, tr(l.Description), "B", 0, "L", false, 0, "")
		pdf.CellFormat(widths[1], 6, fmt.Sprint(l.Quantity), "B", 0, "R", false, 0, "")
		pdf.CellFormat(widths[2], 6, tr(frenchAmount(l.UnitPriceCents, cur)), "B", 0, "R", false, 0, "")
		pdf.CellFormat(widths[3], 6, tr(frenchAmount(l.Quantity*l.UnitPriceCents, cur)), "B", 1, "R", false, 0, "")
	}

	// Totals.
	pdf.Ln(4)
	for i, row := range [][2]string{
		{"Total HT", frenchAmount(totals.Net, cur)},
		{fmt.Sprintf("TVA %d %%", VATRate), frenchAmount(totals.VAT, cur)},
		{"Total TTC", frenchAmount(totals.Grand, cur)},
	} {
		if i == 2 {
			pdf.SetFont("Helvetica", "B", 11)
		}
		pdf.SetX(110)
		pdf.CellFormat(50, 7, tr(row[0]), "", 0, "L", false, 0, "")
		pdf.CellFormat(30, 7, tr(row[1]), "", 1, "R", false, 0, "")
	}
	if inv.Type == TypeCreditNote {
		pdf.SetFont("Helvetica", "I", 9)
		pdf.SetX(110)
		pdf.CellFormat(80, 6, tr("Montant à déduire de vos prochains règlements."), "", 1, "L", false, 0, "")
	}

	// Legal mentions required on French B2B invoices.
	pdf.SetFont("Helvetica", "", 8)
	pdf.SetTextColor(90, 90, 90)
	pdf.SetXY(20, 250)
	pdf.MultiCell(170, 4, tr("Paiement à réception de facture sauf mention d'une échéance. "+
		"En cas de retard de paiement, pénalités au taux de trois fois le taux d'intérêt légal "+
		"et indemnité forfaitaire pour frais de recouvrement de 40 € (art. L441-10 du Code de commerce). "+
		"Pas d'escompte pour paiement anticipé."), "", "L", false)
	if inv.FacturX != "" {
		pdf.Ln(2)
		pdf.MultiCell(170, 4, tr("Facture électronique Factur-X, profil "+inv.FacturX+
			" : les données structurées sont jointes à ce PDF ("+inv.attachmentName()+")."), "", "L", false)
	}
}

// groupSIREN writes a SIREN the French way: "123 456 789".
func groupSIREN(s string) string {
	if len(s) != 9 {
		return s
	}
	return s[0:3] + " " + s[3:6] + " " + s[6:9]
}

// vatNumber derives the French intra-community VAT number from a SIREN.
func vatNumber(siren string) string {
	if len(siren) != 9 {
		return ""
	}
	var n int64
	for _, c := range siren {
		if c < '0' || c > '9' {
			return ""
		}
		n = n*10 + int64(c-'0')
	}
	return fmt.Sprintf("FR%02d%s", (12+3*(n%97))%97, siren)
}

func frenchDate(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return t.Format("02/01/2006")
}

// frenchAmount writes "1 234,56 €" with no-break spaces, as French invoices do.
func frenchAmount(cents int64, currency string) string {
	const nbsp = "\u00a0"
	s := FormatAmount(cents)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	units, dec, _ := strings.Cut(s, ".")
	var grouped strings.Builder
	for i, c := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			grouped.WriteString(nbsp)
		}
		grouped.WriteRune(c)
	}
	symbol := currency
	if currency == "EUR" {
		symbol = "€"
	}
	return sign + grouped.String() + "," + dec + nbsp + symbol
}
