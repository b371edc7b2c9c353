package documents_test

import (
	"encoding/base64"
	"errors"
	"testing"

	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
)

func TestParseInboxKey(t *testing.T) {
	cases := []struct {
		name, event       string
		raw, space, kind  string
		rest, ext         string
		rejected          string
		processed, report string
	}{
		{
			name: "plus is a space", event: "inbox/acme/documents/2026/F+001.pdf",
			raw: "inbox/acme/documents/2026/F 001.pdf", space: "acme", kind: "documents", rest: "documents/2026/F 001.pdf", ext: "pdf",
			rejected:  "rejected/acme/documents/2026/F 001.pdf",
			processed: "processed/acme/documents/2026/F 001.pdf.20261126T100000Z",
			report:    "reports/acme/documents/2026/F 001.pdf.20261126T100000Z.report.json",
		},
		{
			name: "percent-encoded space", event: "inbox/acme/documents/F%20001.PDF",
			raw: "inbox/acme/documents/F 001.PDF", space: "acme", kind: "documents", rest: "documents/F 001.PDF", ext: "pdf",
			rejected:  "rejected/acme/documents/F 001.PDF",
			processed: "processed/acme/documents/F 001.PDF.20261126T100000Z",
			report:    "reports/acme/documents/F 001.PDF.20261126T100000Z.report.json",
		},
		{
			name: "unicode", event: "inbox/acme/documents/D%C3%A9cembre/F%C3%A9+1.pdf",
			raw: "inbox/acme/documents/Décembre/Fé 1.pdf", space: "acme", kind: "documents", rest: "documents/Décembre/Fé 1.pdf", ext: "pdf",
			rejected:  "rejected/acme/documents/Décembre/Fé 1.pdf",
			processed: "processed/acme/documents/Décembre/Fé 1.pdf.20261126T100000Z",
			report:    "reports/acme/documents/Décembre/Fé 1.pdf.20261126T100000Z.report.json",
		},
		{
			name: "encoded plus stays a plus", event: "inbox/acme/documents/A%2BB.pdf",
			raw: "inbox/acme/documents/A+B.pdf", space: "acme", kind: "documents", rest: "documents/A+B.pdf", ext: "pdf",
			rejected:  "rejected/acme/documents/A+B.pdf",
			processed: "processed/acme/documents/A+B.pdf.20261126T100000Z",
			report:    "reports/acme/documents/A+B.pdf.20261126T100000Z.report.json",
		},
		{
			name: "referential", event: "inbox/acme/customers/daily/customers.CSV",
			raw: "inbox/acme/customers/daily/customers.CSV", space: "acme", kind: "customers", rest: "customers/daily/customers.CSV", ext: "csv",
			rejected:  "rejected/acme/customers/daily/customers.CSV",
			processed: "processed/acme/customers/daily/customers.CSV.20261126T100000Z",
			report:    "reports/acme/customers/daily/customers.CSV.20261126T100000Z.report.json",
		},
		{
			name: "no folder", event: "inbox/acme/loose.pdf",
			raw: "inbox/acme/loose.pdf", space: "acme", kind: "", rest: "loose.pdf", ext: "pdf",
			rejected:  "rejected/acme/loose.pdf",
			processed: "processed/acme/loose.pdf.20261126T100000Z",
			report:    "reports/acme/loose.pdf.20261126T100000Z.report.json",
		},
		{
			name: "no extension", event: "inbox/acme/documents/README",
			raw: "inbox/acme/documents/README", space: "acme", kind: "documents", rest: "documents/README", ext: "",
			rejected:  "rejected/acme/documents/README",
			processed: "processed/acme/documents/README.20261126T100000Z",
			report:    "reports/acme/documents/README.20261126T100000Z.report.json",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, ok := documents.ParseInboxKey(c.event)
			if !ok {
				t.Fatalf("ParseInboxKey(%q): got ok false, want true", c.event)
			}
			checks := []struct{ what, got, want string }{
				{"Raw", k.Raw, c.raw}, {"Space", k.Space, c.space}, {"Kind", k.Kind, c.kind},
				{"Rest", k.Rest, c.rest}, {"Ext", k.Ext(), c.ext}, {"RejectedKey", k.RejectedKey(), c.rejected},
				{"ProcessedKey", k.ProcessedKey("20261126T100000Z"), c.processed},
				{"ReportKey", k.ReportKey("20261126T100000Z"), c.report},
			}
			for _, ch := range checks {
				if ch.got != ch.want {
					t.Errorf("%s: got %q, want %q", ch.what, ch.got, ch.want)
				}
			}
		})
	}
}

func TestParseInboxKeyIgnored(t *testing.T) {
	for _, event := range []string{
		"",
		"inbox",
		"inbox/",
		"inbox/acme",
		"inbox/acme/",
		"inbox/acme/documents/",
		"inbox//documents/F001.pdf",
		"Inbox/acme/documents/F001.pdf",
		"rejected/acme/documents/F001.pdf",
		"processed/acme/customers/x.csv.20261126T100000Z",
		"reports/acme/customers/x.csv.20261126T100000Z.report.json",
		"documents/acme/C001/abc.pdf",
		"inbox/acme/documents/%zz.pdf",
	} {
		t.Run(event, func(t *testing.T) {
			if k, ok := documents.ParseInboxKey(event); ok {
				t.Errorf("ParseInboxKey(%q): got %+v, want ok false", event, k)
			}
		})
	}
}

func TestDocumentIDRoundTrip(t *testing.T) {
	for _, d := range []documents.Document{
		{IssueDate: "2026-11-20", Number: "F-2026-001"},
		{IssueDate: "2024-02-29", Number: "Avoir 12/3"},
		{IssueDate: "2026-01-01", Number: "Fé.été_№7"},
		{IssueDate: "2026-01-01", Number: "X"},
	} {
		t.Run(d.SortKey(), func(t *testing.T) {
			if got, want := d.SortKey(), d.IssueDate+"#"+d.Number; got != want {
				t.Fatalf("SortKey: got %q, want %q", got, want)
			}
			id := d.ID()
			if id != documents.EncodeID(d.SortKey()) {
				t.Errorf("ID %q is not EncodeID(SortKey) %q", id, documents.EncodeID(d.SortKey()))
			}
			for _, r := range id {
				if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
					t.Errorf("id %q has %q, not URL-safe", id, r)
				}
			}
			got, err := documents.DecodeID(id)
			if err != nil || got != d.SortKey() {
				t.Errorf("DecodeID(%q): got %q, %v; want %q, nil", id, got, err, d.SortKey())
			}
		})
	}
}

func TestDecodeIDMalformed(t *testing.T) {
	raw := base64.RawURLEncoding.EncodeToString
	cases := map[string]string{
		"empty":               "",
		"not base64":          "!!!not-base64!!!",
		"padded":              base64.URLEncoding.EncodeToString([]byte("2026-11-20#F1")),
		"standard alphabet":   base64.StdEncoding.EncodeToString([]byte("2026-11-20#F>?~")),
		"date only":           raw([]byte("2026-11-20")),
		"no number":           raw([]byte("2026-11-20#")),
		"no separator":        raw([]byte("2026-11-20F001")),
		"separator elsewhere": raw([]byte("20261120#F001")),
		"impossible date":     raw([]byte("2026-02-30#F001")),
		"not a date":          raw([]byte("abcdefghij#F001")),
		"another company":     raw([]byte("acme#C001#2026-11-20#F001")),
	}
	for name, id := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := documents.DecodeID(id)
			if !errors.Is(err, fault.ErrNotFound) {
				t.Errorf("DecodeID(%q): got %q, %v; want ErrNotFound", id, got, err)
			}
		})
	}
}

func TestCompany(t *testing.T) {
	if got, want := documents.Company("acme", "C001"), "acme#C001"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
