package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/service/ingest"
)

const referential = "\ufeffcustomer_number;company_name;siren;email;notification;delivery;language\n" +
	"C001;Durand Transports SARL;123456782;pierre.durand@example.fr;;;\n" +
	"C002;Durand Logistique SAS;;Pierre.Durand@example.fr;link;paper;fr\n" +
	"C003;Sans Courriel;;;;;\n" +
	"C004;Ligne Fausse;12;pas-un-mail;weekly;;\n"

func pdfFor(t testing.TB, number, buyer string) []byte {
	t.Helper()
	b, err := samplepdf.Generate(samplepdf.Invoice{
		Number: number, Type: samplepdf.TypeInvoice, IssueDate: "2026-11-20", SellerName: "Acme Finance",
		SellerSIREN: "552100554", BuyerName: buyer, Currency: "EUR",
		Lines: []samplepdf.Line{{Description: "Loyer novembre", Quantity: 1, UnitPriceCents: 120000}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func meta(customer, number string) map[string]string {
	return map[string]string{
		"customer-number": customer, "document-number": number, "document-type": "invoice",
		"issue-date": "2026-11-20", "amount": "1 440,00", "currency": "EUR",
	}
}

// item reads one item of a table by key, nil when absent.
func (p *pipeline) item(table string, k map[string]types.AttributeValue) map[string]any {
	p.t.Helper()
	out, err := p.aws.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &table, Key: k, ConsistentRead: aws.Bool(true)})
	if err != nil {
		p.t.Fatal(err)
	}
	if out.Item == nil {
		return nil
	}
	var m map[string]any
	attributevalue.UnmarshalMap(out.Item, &m)
	return m
}

func pk(pk, sk string) map[string]types.AttributeValue {
	k := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}
	if sk != "" {
		k["sk"] = &types.AttributeValueMemberS{Value: sk}
	}
	return k
}

func (p *pipeline) count(table string) int {
	p.t.Helper()
	out, err := p.aws.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: &table})
	if err != nil {
		p.t.Fatal(err)
	}
	return int(out.Count)
}

var tokenInLink = regexp.MustCompile(`http://127\.0\.0\.1:8080/acme/password#token=([A-Za-z0-9_-]{22})`)

// TestWalkingSkeleton follows PRODUCT.md §3 steps 1–5 end to end: referential, then PDFs, then
// the activation mails read back from the SES emulator.
func TestWalkingSkeleton(t *testing.T) {
	p := newPipeline(t)
	ctx := context.Background()
	if err := p.aws.Clients.AssertLoopback(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []localaws.Clients{localaws.NewClients(p.aws.Config, p.aws.SESConfig)} {
		if err := c.AssertLoopback(); err != nil {
			t.Fatal(err)
		}
	}
	for name, ep := range map[string]*string{"s3": p.clients.S3.Options().BaseEndpoint, "dynamodb": p.clients.DynamoDB.Options().BaseEndpoint, "sesv2": p.clients.SES.Options().BaseEndpoint} {
		if ep == nil || localaws.CheckEndpoint(*ep) != nil {
			t.Fatalf("app client %s endpoint %v is not loopback", name, ep)
		}
	}

	p.put("inbox/acme/customers/daily/customers.csv", []byte(referential), nil)
	p.ingestAll()
	reports := p.keys(p.env.InboxBucket, "reports/acme/customers/daily/")
	if len(reports) != 1 || !strings.HasSuffix(reports[0], ".report.json") {
		t.Fatalf("reports: got %v", reports)
	}
	var rep ingest.Report
	p.readJSON(p.env.InboxBucket, reports[0], &rep)
	if rep.Applied != 3 || rep.Rejected != 1 || rep.Errors[0].Line != 5 {
		t.Errorf("report: got %+v", rep)
	}
	if got := p.keys(p.env.InboxBucket, "processed/acme/customers/daily/customers.csv."); len(got) != 1 {
		t.Errorf("processed: got %v", got)
	}
	if c := p.item(p.env.MainTable, pk("CUST#acme#C002", "CUST")); c == nil || c["email"] != "pierre.durand@example.fr" || c["delivery"] != "paper" {
		t.Errorf("customer C002: got %v", c)
	}
	if got := p.count(p.env.OutboxTable); got != 0 {
		t.Errorf("registration alone wrote %d mails, want none (FAQ §2)", got)
	}

	pdf1, pdf2 := pdfFor(t, "F-2026-001", "Durand Transports"), pdfFor(t, "F-2026-002", "Durand Logistique")
	p.put("inbox/acme/documents/2026/11/F-2026-001.pdf", pdf1, meta("C001", "F-2026-001"))
	p.ingestAll()
	p.put("inbox/acme/documents/2026/11/F 2026+002 é.PDF", pdf2, meta("C002", "F-2026-002"))
	p.ingestAll()

	if got := p.keys(p.env.InboxBucket, "inbox/"); len(got) != 0 {
		t.Errorf("inbox not empty: %v", got)
	}
	sum := sha256.Sum256(pdf1)
	archived := "documents/acme/C001/" + documents.EncodeID("2026-11-20#F-2026-001") + "-" + hex.EncodeToString(sum[:]) + ".pdf"
	if got := p.read(p.env.ArchiveBucket, archived); string(got) != string(pdf1) {
		t.Errorf("archived bytes differ from the dropped ones")
	}
	doc := p.item(p.env.DocumentsTable, pk("acme#C001", "2026-11-20#F-2026-001"))
	if doc == nil || doc["expiresAt"] != "2028-11-20T22:59:59Z" || doc["amount"] != "1440.00" || doc["sha256"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("document: got %v", doc)
	}
	if doc2 := p.item(p.env.DocumentsTable, pk("acme#C002", "2026-11-20#F-2026-002")); doc2 == nil || doc2["duplicate"] != true || doc2["sourceKey"] != "inbox/acme/documents/2026/11/F 2026+002 é.PDF" {
		t.Errorf("paper customer's document: got %v", doc2)
	}

	// PRODUCT.md §4: the address itself first, then local part + _1 for the second company.
	a1 := p.item(p.env.MainTable, pk("ACCT#pierre.durand@example.fr", "ACCT"))
	a2 := p.item(p.env.MainTable, pk("ACCT#pierre.durand_1", "ACCT"))
	if a1 == nil || a1["customerNumber"] != "C001" || a1["registeredAdmin"] != true || a1["admin"] != true {
		t.Fatalf("first account: got %v", a1)
	}
	if a2 == nil || a2["customerNumber"] != "C002" {
		t.Fatalf("second account: got %v", a2)
	}

	p.mailAll()
	mails := p.mails()
	// Two activations, and the link notice C002's notification mode asks for.
	if len(mails) != 3 {
		t.Fatalf("got %d mails, want 3", len(mails))
	}
	byID := map[string]localaws.Mail{}
	for _, m := range mails {
		for _, id := range []string{"pierre.durand_1", "pierre.durand@example.fr"} {
			if strings.Contains(m.Text, id) && byID[id].Subject == "" {
				byID[id] = m
				break
			}
		}
	}
	m := byID["pierre.durand@example.fr"]
	if m.Subject == "" || !strings.Contains(m.Subject, "Activation") || !strings.Contains(strings.Join(m.To, ","), "pierre.durand@example.fr") {
		t.Fatalf("activation mail: got subject %q to %v", m.Subject, m.To)
	}
	for _, want := range []string{"Votre identifiant de connexion", "7 jours", "24 mois", "02/12/2022"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("activation text lacks %q:\n%s", want, m.Text)
		}
	}
	link := tokenInLink.FindStringSubmatch(m.Text)
	if link == nil {
		t.Fatalf("no set-password link in:\n%s", m.Text)
	}
	sumTok := sha256.Sum256([]byte(link[1]))
	tok := p.item(p.env.MainTable, pk("TOKEN#"+hex.EncodeToString(sumTok[:]), "TOKEN"))
	if tok == nil || tok["kind"] != "activation" || tok["identifier"] != "pierre.durand@example.fr" || tok["expiresAt"] != "2026-12-03T10:00:00Z" {
		t.Errorf("activation token: got %v", tok)
	}
	rec := p.item(p.env.OutboxTable, pk("activation#pierre.durand@example.fr", ""))
	if rec["status"] != "sent" || rec["secret"] != nil {
		t.Errorf("outbox record after send: got status %v, secret present %v", rec["status"], rec["secret"] != nil)
	}
	_ = ctx
}

// TestExactlyOnce delivers one event twice and the same bytes under a second key: one
// document, one activation mail.
func TestExactlyOnce(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.jsonl", []byte(`{"customer_number":"C1","company_name":"Un","email":"un@example.fr"}`+"\n"), nil)
	p.ingestAll()

	pdf := pdfFor(t, "F-1", "Un")
	p.put("inbox/acme/documents/F-1.pdf", pdf, meta("C1", "F-1"))
	msgs := p.receive()
	if len(msgs) != 1 {
		t.Fatalf("got %d messages, want 1", len(msgs))
	}
	// Lambda may deliver the same message again after a success. (Concurrent deliveries
	// are not tried here: moto's transactions are not isolated from each other, unlike
	// DynamoDB's.)
	for i := 0; i < 2; i++ {
		if f := p.deliver(msgs); f != 0 {
			t.Fatalf("delivery %d failed", i+1)
		}
	}
	p.put("inbox/acme/documents/again/F-1-bis.pdf", pdf, meta("C1", "F-1"))
	p.ingestAll()
	p.mailAll()

	if got := p.count(p.env.DocumentsTable); got != 1 {
		t.Errorf("got %d documents, want 1", got)
	}
	if got := p.keys(p.env.InboxBucket, "inbox/"); len(got) != 0 {
		t.Errorf("inbox not empty: %v", got)
	}
	if got := p.keys(p.env.InboxBucket, "rejected/"); len(got) != 0 {
		t.Errorf("same bytes again were rejected: %v", got)
	}
	if got := len(p.mails()); got != 1 {
		t.Errorf("got %d mails, want 1 activation", got)
	}
}

// crashingObjects fails the first inbox delete: a crash after the transaction.
type crashingObjects struct {
	ingest.Objects
	crashes int
}

func (c *crashingObjects) Delete(ctx context.Context, key string) error {
	if c.crashes > 0 {
		c.crashes--
		return errors.New("injected crash after the transaction")
	}
	return c.Objects.Delete(ctx, key)
}

func TestCrashAfterTransaction(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number,email\nC1,un@example.fr\n"), nil)
	p.ingestAll()

	crash := &crashingObjects{Objects: p.ingest.Objects, crashes: 1}
	p.ingest.Objects = crash
	p.put("inbox/acme/documents/F-1.pdf", pdfFor(t, "F-1", "Un"), meta("C1", "F-1"))
	if failed := p.deliver(p.receive()); failed != 1 {
		t.Fatalf("got %d failures, want the injected one", failed)
	}
	p.ingestAll() // the redelivery
	p.mailAll()
	if crash.crashes != 0 {
		t.Fatal("the crash was never injected")
	}
	if got := p.count(p.env.DocumentsTable); got != 1 {
		t.Errorf("got %d documents, want 1", got)
	}
	if got := len(p.mails()); got != 1 {
		t.Errorf("got %d mails, want exactly 1 activation", got)
	}
	if got := p.keys(p.env.InboxBucket, "inbox/"); len(got) != 0 {
		t.Errorf("inbox not empty: %v", got)
	}
}

func TestBadInputRejected(t *testing.T) {
	p := newPipeline(t)
	pdf := pdfFor(t, "F-9", "X")
	noCustomer := meta("", "F-9")
	delete(noCustomer, "customer-number")
	p.put("inbox/acme/documents/notes.pdf", []byte("bonjour, ceci n'est pas un PDF"), meta("C1", "N-1"))
	p.put("inbox/acme/documents/sans-client.pdf", pdf, noCustomer)
	p.put("inbox/nowhere/documents/F-9.pdf", pdf, meta("C1", "F-9"))
	p.ingestAll()

	cases := []struct {
		key, code, field string
	}{
		{"rejected/acme/documents/notes.pdf", documents.CodeNotPDF, "body"},
		{"rejected/acme/documents/sans-client.pdf", documents.CodeMissingField, "customer-number"},
		{"rejected/nowhere/documents/F-9.pdf", documents.CodeUnknownSpace, "key"},
	}
	for _, c := range cases {
		t.Run(c.code, func(t *testing.T) {
			if got := p.read(p.env.InboxBucket, c.key); len(got) == 0 {
				t.Errorf("%s lost its bytes", c.key)
			}
			var rej documents.Rejection
			p.readJSON(p.env.InboxBucket, c.key+".error.json", &rej)
			if rej.Code != c.code || rej.Key != "inbox/"+strings.TrimPrefix(c.key, "rejected/") || len(rej.Fields) == 0 || rej.Fields[0] != c.field || rej.MessageEN == "" || rej.MessageFR == "" {
				t.Errorf("got %+v", rej)
			}
		})
	}
	if got := p.keys(p.env.InboxBucket, "inbox/"); len(got) != 0 {
		t.Errorf("inbox not empty: %v", got)
	}
	if got := p.count(p.env.DocumentsTable); got != 0 {
		t.Errorf("got %d documents, want none", got)
	}
}
