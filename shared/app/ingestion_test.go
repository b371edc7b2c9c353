package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/efacture/efacture/shared/service/ingest"
)

// failingStore fails the filing transaction once: a crash between the archive copy and
// the record.
type failingStore struct {
	ingest.Store
	failures int
}

func (f *failingStore) File(ctx context.Context, req ingest.FileRequest) (bool, error) {
	if f.failures > 0 {
		f.failures--
		return false, errors.New("injected crash before the record")
	}
	return f.Store.File(ctx, req)
}

func TestCrashBetweenArchiveAndRecord(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number,email\nC1,un@example.fr\n"), nil)
	p.ingestAll()
	fail := &failingStore{Store: p.ingest.Store, failures: 1}
	p.ingest.Store = fail
	p.put("inbox/acme/documents/F-1.pdf", pdfFor(t, "F-1", "Un"), meta("C1", "F-1"))
	if failed := p.deliver(p.receive()); failed != 1 {
		t.Fatalf("got %d failures, want the injected one", failed)
	}
	if got := len(p.keys(p.env.ArchiveBucket, "documents/")); got != 1 {
		t.Fatalf("after the crash: got %d archived objects, want the copy made before it", got)
	}
	p.ingestAll()
	p.mailAll()
	if fail.failures != 0 || p.count(p.env.DocumentsTable) != 1 || len(p.keys(p.env.ArchiveBucket, "documents/")) != 1 || len(p.mails()) != 1 {
		t.Errorf("after the retry: %d documents, %d archived, %d mails; want 1, 1, 1",
			p.count(p.env.DocumentsTable), len(p.keys(p.env.ArchiveBucket, "documents/")), len(p.mails()))
	}
}

// TestNotificationModes reads the mails of each mode back from the SES emulator.
func TestNotificationModes(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number,email,notification,language\n"+
		"A1,a@example.fr,attachment,fr\nL1,l@example.fr,link,en\nN1,n@example.fr,none,fr\n"), nil)
	p.ingestAll()
	pdf := pdfFor(t, "F-A", "A")
	p.put("inbox/acme/documents/F-A.pdf", pdf, meta("A1", "F-A"))
	p.put("inbox/acme/documents/F-L.pdf", pdfFor(t, "F-L", "L"), meta("L1", "F-L"))
	p.put("inbox/acme/documents/F-N.pdf", pdfFor(t, "F-N", "N"), meta("N1", "F-N"))
	p.ingestAll()
	p.mailAll()

	byTo := map[string][]string{}
	var attached int
	for _, m := range p.mails() {
		to := strings.Join(m.To, ",")
		byTo[to] = append(byTo[to], m.Subject)
		for _, a := range m.Attachments {
			if to == "a@example.fr" && a.ContentType == "application/pdf" && string(a.Content) == string(pdf) && a.Filename == "F-A.pdf" {
				attached++
			}
		}
		if to == "l@example.fr" && !strings.Contains(m.Text, "http://127.0.0.1:8080/acme/documents") && !strings.Contains(m.Text, "Activation") && strings.Contains(m.Text, "F-L") {
			t.Errorf("link notice without a portal link:\n%s", m.Text)
		}
	}
	want := map[string]int{"a@example.fr": 2, "l@example.fr": 2, "n@example.fr": 1}
	for to, n := range want {
		if len(byTo[to]) != n {
			t.Errorf("%s: got %d mails %q, want %d", to, len(byTo[to]), byTo[to], n)
		}
	}
	if attached != 1 {
		t.Errorf("attachment mode: got %d mails with the PDF attached, want 1", attached)
	}
}

// TestEmailChange: a new registered e-mail gets a new registered-admin account and its
// activation at the next document; the previous one is deactivated (PRODUCT.md §3, FAQ §15).
func TestEmailChange(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/a.csv", []byte("customer_number,email\nC1,ancien@example.fr\n"), nil)
	p.ingestAll()
	p.put("inbox/acme/documents/F-1.pdf", pdfFor(t, "F-1", "Un"), meta("C1", "F-1"))
	p.ingestAll()
	p.put("inbox/acme/customers/b.csv", []byte("customer_number,email\nC1,nouveau@example.fr\n"), nil)
	p.ingestAll()
	if old := p.item(p.env.MainTable, pk("ACCT#ancien@example.fr", "ACCT")); old["active"] != true {
		t.Fatalf("registering a new e-mail changed the account before any document: %v", old)
	}
	p.put("inbox/acme/documents/F-2.pdf", pdfFor(t, "F-2", "Un"), meta("C1", "F-2"))
	p.ingestAll()
	p.mailAll()

	old := p.item(p.env.MainTable, pk("ACCT#ancien@example.fr", "ACCT"))
	fresh := p.item(p.env.MainTable, pk("ACCT#nouveau@example.fr", "ACCT"))
	if old["active"] != false || old["registeredAdmin"] != false {
		t.Errorf("previous registered admin: got %v", old)
	}
	if fresh == nil || fresh["registeredAdmin"] != true || fresh["customerNumber"] != "C1" {
		t.Errorf("new registered admin: got %v", fresh)
	}
	var toNew int
	for _, m := range p.mails() {
		if strings.Join(m.To, ",") == "nouveau@example.fr" && strings.Contains(m.Text, "nouveau@example.fr") {
			toNew++
		}
	}
	if toNew != 1 {
		t.Errorf("got %d activation mails to the new address, want 1", toNew)
	}
}
