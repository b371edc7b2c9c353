package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// TestAwkwardInput drops what billing may get wrong, plus keys billing may legitimately use.
func TestAwkwardInput(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number,email\nC1,un@example.fr\n"), nil)
	p.ingestAll()

	pdf := pdfFor(t, "F-OK", "Un")
	big := append(bytes.Clone(pdf), bytes.Repeat([]byte{' '}, 25<<20)...)
	p.put("inbox/acme/documents/empty.pdf", nil, meta("C1", "E-1"))
	p.put("inbox/acme/documents/big.pdf", big, meta("C1", "B-1"))
	p.put("inbox/acme/documents/word.pdf", []byte("PK\x03\x04 not a pdf"), meta("C1", "W-1"))
	p.put("inbox/acme/documents/notes.txt", pdf, meta("C1", "T-1"))
	p.put("inbox/acme/documents/UPPER.PDF", pdfFor(t, "U-1", "Un"), meta("C1", "U-1"))
	p.put("inbox/acme/documents/2026/Facture n°1+2 été.pdf", pdfFor(t, "A-1", "Un"), meta("C1", "A-1"))
	p.put("inbox/ghost/documents/F.pdf", pdf, meta("C1", "G-1"))
	p.ingestAll()
	// The same number again with other bytes: a correction must be a credit note.
	p.put("inbox/acme/documents/UPPER-v2.pdf", pdfFor(t, "U-1 v2", "Un"), meta("C1", "U-1"))
	p.ingestAll()

	rejected := map[string]string{
		"empty.pdf": documents.CodeEmpty, "big.pdf": documents.CodeTooLarge,
		"word.pdf": documents.CodeNotPDF, "notes.txt": documents.CodeBadExtension,
		"UPPER-v2.pdf": documents.CodeConflict,
	}
	for name, code := range rejected {
		var rej documents.Rejection
		p.readJSON(p.env.InboxBucket, "rejected/acme/documents/"+name+".error.json", &rej)
		if rej.Code != code {
			t.Errorf("%s: got %q, want %q", name, rej.Code, code)
		}
	}
	var ghost documents.Rejection
	p.readJSON(p.env.InboxBucket, "rejected/ghost/documents/F.pdf.error.json", &ghost)
	if ghost.Code != documents.CodeUnknownSpace {
		t.Errorf("unknown space: got %q", ghost.Code)
	}
	for _, sk := range []string{"2026-11-20#U-1", "2026-11-20#A-1"} {
		if p.item(p.env.DocumentsTable, pk("acme#C1", sk)) == nil {
			t.Errorf("document %s not filed", sk)
		}
	}
	if doc := p.item(p.env.DocumentsTable, pk("acme#C1", "2026-11-20#A-1")); doc != nil && doc["sourceKey"] != "inbox/acme/documents/2026/Facture n°1+2 été.pdf" {
		t.Errorf("source key: got %v", doc["sourceKey"])
	}
	if got := p.keys(p.env.InboxBucket, "inbox/"); len(got) != 0 {
		t.Errorf("inbox not empty: %v", got)
	}

	// S3's test event, sent when a notification is configured, is consumed silently.
	resp, err := p.handleIngest(context.Background(), events.SQSEvent{Records: []events.SQSMessage{{MessageId: "t", Body: `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}`}}})
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Errorf("test event: got %v, %v", resp, err)
	}
}

// TestTwentyDeliveries: one S3 event delivered twenty times files one document and
// sends one mail.
func TestTwentyDeliveries(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number,email\nC1,un@example.fr\n"), nil)
	p.ingestAll()
	p.put("inbox/acme/documents/F-1.pdf", pdfFor(t, "F-1", "Un"), meta("C1", "F-1"))
	msgs := p.receive()
	for i := 0; i < 20; i++ {
		if f := p.deliver(msgs); f != 0 {
			t.Fatalf("delivery %d failed", i+1)
		}
	}
	p.mailAll()
	if d, m := p.count(p.env.DocumentsTable), len(p.mails()); d != 1 || m != 1 {
		t.Errorf("got %d documents and %d mails, want 1 and 1", d, m)
	}
}

func TestReferentialWithBadRows(t *testing.T) {
	p := newPipeline(t)
	var b strings.Builder
	b.WriteString("customer_number;company_name;siren;email;notification;delivery;language\n")
	for i := 1; i <= 7; i++ {
		fmt.Fprintf(&b, "C%d;Société %d;;c%d@example.fr;link;electronic;fr\n", i, i, i)
	}
	b.WriteString("C8;Mauvais SIREN;12345;;;;\n")
	b.WriteString("C9;Mauvais mode;;;hebdo;;\n")
	b.WriteString(";Sans numéro;;;;;\n")
	p.put("inbox/acme/customers/big.csv", []byte(b.String()), nil)
	p.ingestAll()
	reports := p.keys(p.env.InboxBucket, "reports/acme/customers/big.csv.")
	if len(reports) != 1 {
		t.Fatalf("reports: got %v", reports)
	}
	var rep struct {
		Applied, Rejected int
		Errors            []struct{ Line int }
	}
	p.readJSON(p.env.InboxBucket, reports[0], &rep)
	if rep.Applied != 7 || rep.Rejected != 3 || len(rep.Errors) != 3 || rep.Errors[0].Line != 9 || rep.Errors[1].Line != 10 || rep.Errors[2].Line != 11 {
		t.Errorf("report: got %+v, want 7 applied and lines 9, 10, 11 reported", rep)
	}
}

// TestSESOutage: while SES fails the document is filed and listed at once and the mail
// waits; when SES recovers the mail goes; past the last retry it is dead-lettered,
// visible to ops in the outbox.
func TestSESOutage(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number,email\nC1,un@example.fr\nC2,deux@example.fr\n"), nil)
	p.ingestAll()
	p.put("inbox/acme/documents/F-1.pdf", pdfFor(t, "F-1", "Un"), meta("C1", "F-1"))
	p.ingestAll()
	if p.item(p.env.DocumentsTable, pk("acme#C1", "2026-11-20#F-1")) == nil {
		t.Fatal("document not filed while SES is down")
	}

	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	down, err := localaws.SESConfig(context.Background(), "http://"+addr)
	if err != nil {
		t.Fatal(err)
	}
	opts := app.Options{Now: func() time.Time { return p.now }, Sleep: func(time.Duration) {}}
	failing := build[lambdaevents.StreamHandler](t, app.MailerFunction, p.env, app.NewClients(p.aws.Config, down), opts)
	recs, err := p.streams.Poll(context.Background())
	if err != nil || len(recs) != 1 {
		t.Fatalf("outbox stream: got %d records, %v", len(recs), err)
	}
	ev := events.DynamoDBEvent{Records: recs}
	for i := 1; i <= 2; i++ {
		resp, _ := failing(context.Background(), ev)
		if len(resp.BatchItemFailures) != 1 {
			t.Fatalf("attempt %d with SES down: got %+v, want the record reported failed", i, resp)
		}
	}
	if rec := p.item(p.env.OutboxTable, pk("activation#un@example.fr", "")); rec["status"] != "pending" || rec["attempts"] != float64(2) {
		t.Errorf("after two failures: got %v", rec)
	}
	// SES is back: the stream's retry delivers the same records again.
	if resp, _ := p.handleMail(context.Background(), ev); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("after recovery: got %+v", resp)
	}
	if got := len(p.mails()); got != 1 {
		t.Errorf("after recovery: got %d mails, want 1", got)
	}

	// A second mail that never gets through: dead-lettered after MailerMaxAttempts.
	p.put("inbox/acme/documents/F-2.pdf", pdfFor(t, "F-2", "Deux"), meta("C2", "F-2"))
	p.ingestAll()
	recs, _ = p.streams.Poll(context.Background())
	ev = events.DynamoDBEvent{Records: recs}
	for i := 0; i < app.MailerMaxAttempts; i++ {
		if resp, _ := failing(context.Background(), ev); len(resp.BatchItemFailures) != 1 {
			t.Fatalf("attempt %d: got %+v, want a failure for the on-failure destination", i+1, resp)
		}
	}
	rec := p.item(p.env.OutboxTable, pk("activation#deux@example.fr", ""))
	if rec["status"] != "dead" || rec["attempts"] != float64(app.MailerMaxAttempts) || rec["lastError"] == nil || rec["secret"] != nil {
		t.Errorf("dead-lettered record: got %v", rec)
	}
	// Later retries of a dead record do nothing and succeed, so the shard moves on.
	if resp, _ := failing(context.Background(), ev); len(resp.BatchItemFailures) != 0 {
		t.Errorf("dead record retried: got %+v", resp)
	}
}
