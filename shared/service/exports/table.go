package exports

import (
	"encoding/csv"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/efacture/efacture/shared/domain/documents"
)

// bom makes spreadsheet programs read the file as UTF-8.
const bom = "\ufeff"

// headers are the index's columns in each language; the ZIP index adds the file name.
var headers = map[string][]string{
	"fr": {"Numéro", "Type", "Date d'émission", "Montant", "Devise", "Duplicata", "Expire le", "Téléchargé le"},
	"en": {"Number", "Type", "Issue date", "Amount", "Currency", "Duplicate", "Expires", "Downloaded"},
}

var fileHeader = map[string]string{"fr": "Fichier", "en": "File"}

var typeLabels = map[string]map[string]string{
	"fr": {documents.Invoice: "Facture", documents.CreditNote: "Avoir"},
	"en": {documents.Invoice: "Invoice", documents.CreditNote: "Credit note"},
}

var yesNo = map[string][2]string{"fr": {"oui", "non"}, "en": {"yes", "no"}}

// Table writes a CSV list of documents: UTF-8 with a BOM, ";" separated (what French
// spreadsheet settings expect), a header row, CRLF line ends.
type Table struct {
	w        *csv.Writer
	lang     string
	loc      *time.Location
	withFile bool
}

// NewTable writes the BOM and the header row in lang ("en", else French) and returns the
// table; dates are shown in loc, the space's time zone. withFile adds a column naming
// each document's file in a ZIP.
func NewTable(w io.Writer, lang string, loc *time.Location, withFile bool) (*Table, error) {
	if lang != "en" {
		lang = "fr"
	}
	if _, err := io.WriteString(w, bom); err != nil {
		return nil, err
	}
	t := &Table{w: csv.NewWriter(w), lang: lang, loc: loc, withFile: withFile}
	t.w.Comma, t.w.UseCRLF = ';', true
	head := append([]string(nil), headers[lang]...)
	if withFile {
		head = append(head, fileHeader[lang])
	}
	return t, t.w.Write(head)
}

// Add writes one document's row; file is its name in the ZIP, ignored without that column.
func (t *Table) Add(d documents.Document, file string) error {
	label := typeLabels[t.lang][d.Type]
	if label == "" {
		label = d.Type
	}
	amount := d.Amount
	if t.lang == "fr" {
		// French spreadsheets read a decimal comma as a number, a point as text.
		amount = strings.Replace(amount, ".", ",", 1)
	}
	dup := yesNo[t.lang][1]
	if d.Duplicate {
		dup = yesNo[t.lang][0]
	}
	downloaded := ""
	if d.DownloadedAt != nil {
		downloaded = d.DownloadedAt.In(t.loc).Format("2006-01-02 15:04")
	}
	row := []string{
		d.Number, label, d.IssueDate, amount, d.Currency, dup,
		d.ExpiresAt.In(t.loc).Format(time.DateOnly), downloaded,
	}
	if t.withFile {
		row = append(row, file)
	}
	for i := range row {
		row[i] = Cell(row[i])
	}
	return t.w.Write(row)
}

// Flush writes what is buffered and returns the first error met.
func (t *Table) Flush() error {
	t.w.Flush()
	return t.w.Error()
}

var plainNumber = regexp.MustCompile(`^-?[0-9]+([.,][0-9]+)?$`)

// Cell neutralises a value a spreadsheet would run as a formula: one starting with
// = + - @ (or the tab and carriage return some programs skip first) gets a leading
// apostrophe. A plain number such as a credit note's -120,00 cannot be a formula and
// stays a number.
func Cell(v string) string {
	if v == "" || !strings.ContainsRune("=+-@\t\r", rune(v[0])) || plainNumber.MatchString(v) {
		return v
	}
	return "'" + v
}
