package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/service/ingest"
)

// TestBillingConfinedToItsSpace drops files under globex's prefix as acme's billing
// principal, through the emulator, whose S3 events name the writer's role session: a
// PDF for a globex customer whose registered e-mail awaits its first document, and a
// referential giving that customer another e-mail. Both are rejected forbidden_space
// with their reports, and nothing of the portal's state changes: no customer, account,
// document, mail or archive object. The same PDF dropped by globex's own billing is
// filed and sends the activation mail (PRODUCT.md §3, §9). Referentials are applied a
// row per invocation, so their chunks go back through IngestQueue carrying the principal.
func TestBillingConfinedToItsSpace(t *testing.T) {
	r := MustStart(t, Options{Configure: func(id string, o *app.Options) {
		if id == "IngestFunction" {
			o.Ingest = func(s *ingest.Service) { s.ChunkRows = 1 }
		}
	}})
	ctx := context.Background()
	if _, err := r.ApplySpaces(ctx, filepath.Join(r.root, DemoDir, "spaces.json")); err != nil {
		t.Fatal(err)
	}
	acme, okA := r.Billing("acme")
	globex, okG := r.Billing("globex")
	if !okA || !okG {
		t.Fatal("the runner plays no billing principal for the demo spaces")
	}
	session := regexp.MustCompile(`^AWS:AROA[A-Z0-9]+:` + BillingSession + `$`)
	if !session.MatchString(acme.Principal) || !session.MatchString(globex.Principal) || acme.Principal == globex.Principal {
		t.Fatalf("principals: acme %q, globex %q", acme.Principal, globex.Principal)
	}

	put := func(s *s3.Client, key string, body []byte, meta map[string]string) {
		t.Helper()
		if _, err := s.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(r.Env.InboxBucket), Key: aws.String(key),
			Body: bytes.NewReader(body), Metadata: meta}); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(bucket, key string) bool {
		_, err := r.AWS.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		return err == nil
	}

	// globex's billing registers the customer, in two chunks.
	const victim = "victime@hotel-des-cimes.example"
	put(globex.S3, "inbox/globex/customers/setup.csv", []byte("customer_number,company_name,email,notification\nG-0100,Hôtel des Cimes,"+victim+",attachment\nG-0101,Refuge du Col,refuge@col.example,none\n"), nil)
	waitFor(t, time.Minute, "globex's referential", func() bool { return !exists(r.Env.InboxBucket, "inbox/globex/customers/setup.csv") })
	if reports, err := r.listKeys(ctx, r.Env.InboxBucket, "reports/globex/customers/setup.csv."); err != nil || len(reports) != 1 {
		t.Fatalf("globex's referential: reports %q, %v", reports, err)
	}
	main := scan(t, r, r.Env.MainTable)
	for _, want := range []string{victim, "refuge@col.example"} {
		if !slices.ContainsFunc(main, func(s string) bool { return strings.Contains(s, want) }) {
			t.Fatalf("globex's referential did not create the customer of %s", want)
		}
	}
	before := state(t, r)

	today := r.opts.Now().UTC().Format(time.DateOnly)
	pdf, err := samplepdf.Generate(samplepdf.Invoice{Number: "GX-FORGED-1", Type: samplepdf.TypeInvoice, IssueDate: today,
		SellerName: "Globex Énergie SA", SellerSIREN: "552100554", BuyerName: "Hôtel des Cimes", Currency: "EUR",
		Lines: []samplepdf.Line{{Description: "Énergie", Quantity: 1, UnitPriceCents: 12000}}})
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{"customer-number": "G-0100", "document-number": "GX-FORGED-1", "document-type": "invoice",
		"issue-date": today, "amount": "120.00", "currency": "EUR"}
	forged := map[string][]byte{
		"inbox/globex/documents/GX-FORGED-1.pdf": pdf,
		"inbox/globex/customers/takeover.csv":    []byte("customer_number,company_name,email,notification\nG-0100,Hôtel des Cimes,attacker@acme.example,attachment\n"),
	}
	for key, body := range forged {
		m := meta
		if strings.HasSuffix(key, ".csv") {
			m = nil
		}
		put(acme.S3, key, body, m)
	}
	for key := range forged {
		rejected := "rejected/" + strings.TrimPrefix(key, "inbox/")
		waitFor(t, time.Minute, "the rejection of "+key, func() bool { return exists(r.Env.InboxBucket, rejected+".error.json") })
		out, err := r.AWS.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.Env.InboxBucket), Key: aws.String(rejected + ".error.json")})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(out.Body)
		out.Body.Close()
		var rej documents.Rejection
		if err := json.Unmarshal(raw, &rej); err != nil {
			t.Fatal(err)
		}
		if rej.Code != documents.CodeForbiddenSpace || rej.Key != key || !strings.Contains(rej.MessageEN, acme.Principal) {
			t.Errorf("%s: got %s", key, raw)
		}
		if exists(r.Env.InboxBucket, key) || !exists(r.Env.InboxBucket, rejected) {
			t.Errorf("%s: not moved to %s", key, rejected)
		}
	}
	if after := state(t, r); !slices.Equal(before, after) {
		t.Errorf("foreign drops changed the portal's state:\nbefore %q\nafter  %q", before, after)
	}

	// globex's own billing drops the same PDF: filed, and the activation mail goes out.
	put(globex.S3, "inbox/globex/documents/GX-FORGED-1.pdf", pdf, meta)
	waitFor(t, time.Minute, "the document and the activation mail", func() bool {
		if getItem(t, r, r.Env.DocumentsTable, "globex#G-0100", today+"#GX-FORGED-1") == nil {
			return false
		}
		mails, err := r.AWS.Mails(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(mails, func(m localaws.Mail) bool { return slices.Contains(m.To, victim) })
	})
	mails, err := r.AWS.Mails(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if slices.Contains(m.To, "attacker@acme.example") {
			t.Errorf("a mail went to the address acme's billing tried to register: %s", m.Subject)
		}
	}
}

// state is everything a drop could change: the tables' items, the archive's keys and
// the mails sent.
func state(t *testing.T, r *Runner) []string {
	t.Helper()
	var out []string
	for _, table := range []string{r.Env.MainTable, r.Env.DocumentsTable, r.Env.OutboxTable} {
		out = append(out, scan(t, r, table)...)
	}
	keys, err := r.listKeys(context.Background(), r.Env.ArchiveBucket, "")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, keys...)
	mails, err := r.AWS.Mails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		out = append(out, "mail "+strings.Join(m.To, ",")+" "+m.Subject)
	}
	return out
}

// scan returns a table's items as sorted JSON lines.
func scan(t *testing.T, r *Runner, table string) []string {
	t.Helper()
	var lines []string
	p := dynamodb.NewScanPaginator(r.AWS.DynamoDB, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(it, &m); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(m)
			lines = append(lines, table+" "+string(b))
		}
	}
	slices.Sort(lines)
	return lines
}
