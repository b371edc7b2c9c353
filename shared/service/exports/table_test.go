package exports

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/documents"
)

var paris, _ = time.LoadLocation("Europe/Paris")

func sampleDocs() []documents.Document {
	dl := time.Date(2026, 11, 21, 8, 5, 0, 0, time.UTC)
	return []documents.Document{
		{Number: "F-2026-002", Type: documents.Invoice, IssueDate: "2026-11-20", Amount: "1440.00", Currency: "EUR",
			Duplicate: true, ExpiresAt: time.Date(2028, 11, 20, 22, 59, 59, 0, time.UTC), DownloadedAt: &dl,
			ArchiveKey: "documents/acme/C001/a.pdf"},
		{Number: "=HYPERLINK(\"http://x\")", Type: documents.CreditNote, IssueDate: "2026-11-19", Amount: "-120.50", Currency: "EUR",
			ExpiresAt: time.Date(2028, 11, 19, 22, 59, 59, 0, time.UTC), ArchiveKey: "documents/acme/C001/b.pdf"},
		{Number: "@SUM(A1)", Type: documents.Invoice, IssueDate: "2026-11-18", ExpiresAt: time.Date(2028, 11, 18, 22, 59, 59, 0, time.UTC),
			ArchiveKey: "documents/acme/C001/c.pdf"},
	}
}

func TestTable(t *testing.T) {
	cases := []struct {
		lang string
		want []string
	}{
		{"fr", []string{
			"Numéro;Type;Date d'émission;Montant;Devise;Duplicata;Expire le;Téléchargé le",
			"F-2026-002;Facture;2026-11-20;1440,00;EUR;oui;2028-11-20;2026-11-21 09:05",
			`"'=HYPERLINK(""http://x"")";Avoir;2026-11-19;-120,50;EUR;non;2028-11-19;`,
			"'@SUM(A1);Facture;2026-11-18;;;non;2028-11-18;",
		}},
		{"en", []string{
			"Number;Type;Issue date;Amount;Currency;Duplicate;Expires;Downloaded",
			"F-2026-002;Invoice;2026-11-20;1440.00;EUR;yes;2028-11-20;2026-11-21 09:05",
			`"'=HYPERLINK(""http://x"")";Credit note;2026-11-19;-120.50;EUR;no;2028-11-19;`,
			"'@SUM(A1);Invoice;2026-11-18;;;no;2028-11-18;",
		}},
	}
	for _, c := range cases {
		t.Run(c.lang, func(t *testing.T) {
			var buf bytes.Buffer
			tab, err := NewTable(&buf, c.lang, paris, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range sampleDocs() {
				if err := tab.Add(d, ""); err != nil {
					t.Fatal(err)
				}
			}
			if err := tab.Flush(); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !strings.HasPrefix(out, "\ufeff") {
				t.Fatalf("got no BOM: %q", out[:10])
			}
			got := strings.Split(strings.TrimSuffix(strings.TrimPrefix(out, "\ufeff"), "\r\n"), "\r\n")
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"F-1":         "F-1",
		"=1+1":        "'=1+1",
		"+33 1 23":    "'+33 1 23",
		"-2+3":        "'-2+3",
		"@cmd":        "'@cmd",
		"\t=1":        "'\t=1",
		"\r=1":        "'\r=1",
		"-120,50":     "-120,50",
		"-120.50":     "-120.50",
		"+12":         "'+12",
		"-":           "'-",
		"Société=été": "Société=été",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestFileNames(t *testing.T) {
	docs := []documents.Document{{Number: "F/1"}, {Number: "F_1"}, {Number: "f_1"}, {Number: "index"}, {Number: "..\\..\\x"}, {Number: " "}}
	want := []string{"F_1.pdf", "F_1-2.pdf", "f_1-3.pdf", "index.pdf", "_.._x.pdf", "document.pdf"}
	got := FileNames(docs)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestWriteZIP(t *testing.T) {
	docs := sampleDocs()
	bodies := map[string]string{}
	for i, d := range docs {
		bodies[d.ArchiveKey] = "%PDF-1.7 body " + strings.Repeat("x", i)
	}
	open := func(ctx context.Context, key string) (io.ReadCloser, error) {
		b, ok := bodies[key]
		if !ok {
			return nil, errors.New("no such key")
		}
		return io.NopCloser(strings.NewReader(b)), nil
	}
	var buf bytes.Buffer
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	if err := WriteZIP(context.Background(), &buf, docs, open, "en", paris, at); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	names := FileNames(docs)
	if len(zr.File) != len(docs)+1 {
		t.Fatalf("got %d entries, want %d", len(zr.File), len(docs)+1)
	}
	for i, f := range zr.File[:len(docs)] {
		if f.Name != names[i] {
			t.Errorf("entry %d: got %q, want %q", i, f.Name, names[i])
		}
		if got := readEntry(t, f); got != bodies[docs[i].ArchiveKey] {
			t.Errorf("%s: got %q", f.Name, got)
		}
	}
	idx := zr.File[len(docs)]
	if idx.Name != IndexName {
		t.Fatalf("last entry: got %q, want %q", idx.Name, IndexName)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(readEntry(t, idx), "\ufeff")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][8] != "File" || rows[1][8] != "F-2026-002.pdf" || rows[2][0] != `'=HYPERLINK("http://x")` {
		t.Errorf("got index %q", rows)
	}

	delete(bodies, docs[1].ArchiveKey)
	if err := WriteZIP(context.Background(), io.Discard, docs, open, "fr", paris, at); err == nil {
		t.Error("a missing PDF gave no error")
	}
}

func readEntry(t *testing.T, f *zip.File) string {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
