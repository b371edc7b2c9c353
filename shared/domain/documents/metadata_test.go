package documents_test

import (
	"mime"
	"reflect"
	"strings"
	"testing"

	"github.com/efacture/efacture/shared/domain/documents"
)

func TestNormalizeAmount(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"1234.56", "1234.56", true},
		{"1 234,56", "1234.56", true},
		{"1\u00a0234,56", "1234.56", true},
		{"1\u202f234,56", "1234.56", true},
		{"1.234,56", "1234.56", true},
		{"1,234.56", "1234.56", true},
		{"1.234.567,89", "1234567.89", true},
		{"1,234,567.89", "1234567.89", true},
		{"1'234.50", "1234.50", true},
		{"-12,5", "-12.50", true},
		{"-0.5", "-0.50", true},
		{"12", "12.00", true},
		{"0", "0.00", true},
		{"007.1", "7.10", true},
		{"1.5000", "1.50", true},
		{"1.2340", "1.234", true},
		{"0.001", "0.001", true},
		{" 42 ", "42.00", true},
		{"", "", false},
		{"   ", "", false},
		{"abc", "", false},
		{"12,34,56", "", false},
		{"1.2.3", "", false},
		{"+5", "", false},
		{".5", "", false},
		{"5.", "", false},
		{"1e3", "", false},
		{"12€", "", false},
		{"-", "", false},
		{"--5", "", false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, ok := documents.NormalizeAmount(c.in)
			if got != c.want || ok != c.ok {
				t.Errorf("NormalizeAmount(%q): got %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
			}
		})
	}
}

func TestSameAmount(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"1234.56", "1234.56", true},
		{"1234.5", "1234.50", true},
		{"12.00", "12", true},
		{"-0.50", "-0.5", true},
		{"1234.56", "1234.57", false},
		{"1234.56", "", false},
		{"x", "x", false},
	}
	for _, c := range cases {
		if got := documents.SameAmount(c.a, c.b); got != c.want {
			t.Errorf("SameAmount(%q, %q): got %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestNormalizeType(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"invoice", documents.Invoice, true},
		{"INVOICE", documents.Invoice, true},
		{" Invoice ", documents.Invoice, true},
		{"380", documents.Invoice, true},
		{"credit_note", documents.CreditNote, true},
		{"CreditNote", documents.CreditNote, true},
		{"381", documents.CreditNote, true},
		{"", "", false},
		{"credit note", "", false},
		{"facture", "", false},
		{"384", "", false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, ok := documents.NormalizeType(c.in)
			if got != c.want || ok != c.ok {
				t.Errorf("NormalizeType(%q): got %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
			}
		})
	}
}

// validMeta is complete metadata; cases change one key (an empty value deletes it).
func validMeta(changes map[string]string) map[string]string {
	m := map[string]string{
		"customer-number": "C001",
		"document-number": "F-2026-001",
		"document-type":   "invoice",
		"issue-date":      "2026-11-20",
	}
	for k, v := range changes {
		if v == "" {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	return m
}

func TestParseMetadata(t *testing.T) {
	base := documents.Fields{CustomerNumber: "C001", Number: "F-2026-001", Type: documents.Invoice, IssueDate: "2026-11-20"}
	with := func(edit func(*documents.Fields)) documents.Fields {
		f := base
		edit(&f)
		return f
	}
	cases := []struct {
		name string
		meta map[string]string
		want documents.Fields
	}{
		{"required only", validMeta(nil), base},
		{"everything", validMeta(map[string]string{"amount": "1 234,56", "currency": "eur", "copy": "true"}),
			with(func(f *documents.Fields) { f.Amount, f.Currency, f.Copy = "1234.56", "EUR", true })},
		{"keys in any case", map[string]string{"Customer-Number": "C001", "DOCUMENT-NUMBER": "F-2026-001", "Document-Type": "380", "Issue-Date": "2026-11-20"}, base},
		{"values trimmed", validMeta(map[string]string{"customer-number": " C001 ", "document-number": "\tF-2026-001 "}), base},
		{"credit note code", validMeta(map[string]string{"document-type": "381"}),
			with(func(f *documents.Fields) { f.Type = documents.CreditNote })},
		{"copy yes", validMeta(map[string]string{"copy": "YES"}), with(func(f *documents.Fields) { f.Copy = true })},
		{"copy 1", validMeta(map[string]string{"copy": "1"}), with(func(f *documents.Fields) { f.Copy = true })},
		{"copy false", validMeta(map[string]string{"copy": "False"}), base},
		{"copy no", validMeta(map[string]string{"copy": "no"}), base},
		{"rfc 2047 base64", validMeta(map[string]string{"document-number": mime.BEncoding.Encode("UTF-8", "FÉ-2026/001")}),
			with(func(f *documents.Fields) { f.Number = "FÉ-2026/001" })},
		{"rfc 2047 quoted-printable", validMeta(map[string]string{"document-number": mime.QEncoding.Encode("UTF-8", "Fàcture 7")}),
			with(func(f *documents.Fields) { f.Number = "Fàcture 7" })},
		{"rfc 2047 latin-1", validMeta(map[string]string{"document-number": "=?ISO-8859-1?Q?F=E9_1?="}),
			with(func(f *documents.Fields) { f.Number = "Fé 1" })},
		{"unicode number", validMeta(map[string]string{"document-number": "Фактура 1"}),
			with(func(f *documents.Fields) { f.Number = "Фактура 1" })},
		{"longest number", validMeta(map[string]string{"document-number": "N" + strings.Repeat("0", 63)}),
			with(func(f *documents.Fields) { f.Number = "N" + strings.Repeat("0", 63) })},
		{"longest customer", validMeta(map[string]string{"customer-number": "C" + strings.Repeat("9", 39)}),
			with(func(f *documents.Fields) { f.CustomerNumber = "C" + strings.Repeat("9", 39) })},
		{"leap day", validMeta(map[string]string{"issue-date": "2024-02-29"}),
			with(func(f *documents.Fields) { f.IssueDate = "2024-02-29" })},
		{"unknown keys ignored", validMeta(map[string]string{"x-custom": "whatever"}), base},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := documents.ParseMetadata(c.meta)
			if err != nil {
				t.Fatalf("ParseMetadata(%v): got error %v", c.meta, err)
			}
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestParseMetadataRejects(t *testing.T) {
	cases := []struct {
		name   string
		meta   map[string]string
		code   string
		fields []string
	}{
		{"nothing", map[string]string{}, documents.CodeMissingField,
			[]string{"customer-number", "document-number", "document-type", "issue-date"}},
		{"nil", nil, documents.CodeMissingField,
			[]string{"customer-number", "document-number", "document-type", "issue-date"}},
		{"number and date", validMeta(map[string]string{"document-number": "", "issue-date": ""}), documents.CodeMissingField,
			[]string{"document-number", "issue-date"}},
		{"blank counts as missing", validMeta(map[string]string{"document-type": "   "}), documents.CodeMissingField,
			[]string{"document-type"}},
		{"missing wins over bad", validMeta(map[string]string{"customer-number": "", "document-type": "receipt"}), documents.CodeMissingField,
			[]string{"customer-number"}},
		{"bad type", validMeta(map[string]string{"document-type": "receipt"}), documents.CodeBadValue, []string{"document-type"}},
		{"bad date", validMeta(map[string]string{"issue-date": "20/11/2026"}), documents.CodeBadValue, []string{"issue-date"}},
		{"impossible date", validMeta(map[string]string{"issue-date": "2026-02-30"}), documents.CodeBadValue, []string{"issue-date"}},
		{"bad amount", validMeta(map[string]string{"amount": "12,34,56"}), documents.CodeBadValue, []string{"amount"}},
		{"bad currency", validMeta(map[string]string{"currency": "euro"}), documents.CodeBadValue, []string{"currency"}},
		{"bad copy", validMeta(map[string]string{"copy": "maybe"}), documents.CodeBadValue, []string{"copy"}},
		{"bad customer", validMeta(map[string]string{"customer-number": "C 001"}), documents.CodeBadValue, []string{"customer-number"}},
		{"customer too long", validMeta(map[string]string{"customer-number": "C" + strings.Repeat("9", 40)}), documents.CodeBadValue, []string{"customer-number"}},
		{"number with hash", validMeta(map[string]string{"document-number": "F#1"}), documents.CodeBadValue, []string{"document-number"}},
		{"number starting with a dash", validMeta(map[string]string{"document-number": "-F1"}), documents.CodeBadValue, []string{"document-number"}},
		{"number too long", validMeta(map[string]string{"document-number": "N" + strings.Repeat("0", 64)}), documents.CodeBadValue, []string{"document-number"}},
		{"every bad field", validMeta(map[string]string{
			"customer-number": "C/1", "document-number": "F?1", "document-type": "x", "issue-date": "2026-13-01",
			"amount": "ten", "currency": "EU", "copy": "2",
		}), documents.CodeBadValue,
			[]string{"customer-number", "document-number", "document-type", "issue-date", "amount", "currency", "copy"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := documents.ParseMetadata(c.meta)
			rej, ok := documents.AsRejection(err)
			if !ok {
				t.Fatalf("ParseMetadata(%v): got %v, want a rejection", c.meta, err)
			}
			if rej.Code != c.code {
				t.Errorf("code: got %q, want %q", rej.Code, c.code)
			}
			if !reflect.DeepEqual(rej.Fields, c.fields) {
				t.Errorf("fields: got %q, want %q", rej.Fields, c.fields)
			}
			for _, f := range c.fields {
				if !strings.Contains(rej.MessageEN, f) || !strings.Contains(rej.MessageFR, f) {
					t.Errorf("messages do not name %s: %q / %q", f, rej.MessageEN, rej.MessageFR)
				}
			}
		})
	}
}
