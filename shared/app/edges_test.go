package app_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/outbox"
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
// waits on its record while the stream moves on; when SES recovers the re-drive sends
// it; a mail that never gets through is retried over more than 24 h, then dead, listed
// for ops with its error, and sent once ops re-drive it (PRODUCT.md §10).
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
	opts := app.Options{Now: func() time.Time { return p.now }}
	downClients := app.NewClients(p.aws.Config, down)
	failing := build[lambdaevents.StreamHandler](t, app.MailerFunction, p.env, downClients, opts)
	failingRedrive := build[lambdaevents.ScheduleHandler](t, app.MailRedriveFunction, p.env, downClients, opts)
	redrive := build[lambdaevents.ScheduleHandler](t, app.MailRedriveFunction, p.env, p.clients, opts)
	recs, err := p.streams.Poll(context.Background())
	if err != nil || len(recs) != 1 {
		t.Fatalf("outbox stream: got %d records, %v", len(recs), err)
	}
	ev := events.DynamoDBEvent{Records: recs}
	for i := 1; i <= 2; i++ {
		// The second is the stream delivering the same record again: nothing more happens.
		resp, _ := failing(context.Background(), ev)
		if len(resp.BatchItemFailures) != 0 {
			t.Fatalf("delivery %d with SES down: got %+v, want the stream to move on", i, resp)
		}
	}
	rec := p.item(p.env.OutboxTable, pk("activation#un@example.fr", ""))
	if rec["status"] != "pending" || rec["attempts"] != float64(1) || rec["lastError"] == nil || rec["dueAt"] != float64(p.now.Add(time.Minute).UnixMilli()) {
		t.Errorf("after a failure: got %v, want pending, 1 attempt, due in a minute", rec)
	}
	// SES is back: the next re-drive sends it.
	p.now = p.now.Add(time.Minute)
	if err := redrive(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if got := len(p.mails()); got != 1 {
		t.Errorf("after recovery: got %d mails, want 1", got)
	}
	if rec := p.item(p.env.OutboxTable, pk("activation#un@example.fr", "")); rec["status"] != "sent" || rec["dueAt"] != nil || rec["secret"] != nil {
		t.Errorf("sent record: got %v", rec)
	}

	// A second mail that never gets through: retried on the schedule, then dead.
	p.put("inbox/acme/documents/F-2.pdf", pdfFor(t, "F-2", "Deux"), meta("C2", "F-2"))
	p.ingestAll()
	recs, _ = p.streams.Poll(context.Background())
	if resp, _ := failing(context.Background(), events.DynamoDBEvent{Records: recs}); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("stream: got %+v", resp)
	}
	start := p.now
	for range outbox.RetryDelays {
		p.now = p.now.Add(12 * time.Hour)
		if err := failingRedrive(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	key := pk("activation#deux@example.fr", "")
	rec = p.item(p.env.OutboxTable, key)
	if rec["status"] != "dead" || rec["attempts"] != float64(outbox.MaxAttempts) || rec["lastError"] == nil || rec["nonce"] == nil || rec["secret"] != nil {
		t.Errorf("dead record: got %v, want dead after %d attempts with its error and its nonce, no token", rec, outbox.MaxAttempts)
	}
	if p.now.Sub(start) < 24*time.Hour {
		t.Errorf("dead after %v, want retries over at least 24 h", p.now.Sub(start))
	}
	st := app.Store(p.env, p.clients, opts)
	dead, err := st.DeadRecords(context.Background(), "acme")
	if err != nil || len(dead) != 1 || dead[0].Key != "activation#deux@example.fr" || dead[0].LastError == "" {
		t.Fatalf("dead mails: got %+v, %v", dead, err)
	}
	// Later runs leave a dead record alone, until ops re-drive it.
	p.now = p.now.Add(48 * time.Hour)
	if err := redrive(context.Background(), nil); err != nil || len(p.mails()) != 1 {
		t.Fatalf("dead record re-driven by the schedule: %v, %d mails", err, len(p.mails()))
	}
	if err := st.Redrive(context.Background(), dead[0].Key, p.now); err != nil {
		t.Fatal(err)
	}
	if err := redrive(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	mails := p.mails()
	if got := len(mails); got != 2 {
		t.Fatalf("after the ops re-drive: got %d mails, want 2", got)
	}
	// The re-driven mail carries the token whose hash the activation stored.
	link := regexp.MustCompile(`/acme/password#token=([A-Za-z0-9_-]{22})`).FindStringSubmatch(mails[1].Text)
	if link == nil {
		t.Fatalf("re-driven mail has no set-password link:\n%s", mails[1].Text)
	}
	if tok := p.item(p.env.MainTable, pk("TOKEN#"+tokenHash(link[1]), "TOKEN")); tok == nil || tok["identifier"] != "deux@example.fr" {
		t.Errorf("re-driven link's token: got %v, want the activation of deux@example.fr", tok)
	}
	if rec := p.item(p.env.OutboxTable, key); rec["status"] != "sent" || rec["secret"] != nil {
		t.Errorf("re-driven record: got %v", rec)
	}
}
