package runner

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/staff"
)

// DemoDir holds the demo's spaces file and referentials, relative to the
// repository root.
const DemoDir = "infra/local/demo"

// demoReferentials are dropped into the inbox before any PDF, as billing
// would: one CSV (`;`, BOM, CRLF, as French spreadsheets export it) and
// one JSONL.
var demoReferentials = []struct{ file, key string }{
	{"acme-customers.csv", "inbox/acme/customers/customers.csv"},
	{"globex-customers.jsonl", "inbox/globex/customers/customers.jsonl"},
}

// demoDoc is one sample document of the demo.
type demoDoc struct {
	space, customer, buyer, buyerSIREN string
	number                             string // %s is the issue year
	daysAgo                            int
	credit, copy                       bool
	facturX                            string
	lines                              []samplepdf.Line
}

// demoFirst is dropped and filed alone before the others, so the address
// C1001 and C1002 share becomes C1001's identifier and C1002 gets the _1
// one (PRODUCT.md §4) on every run.
var demoFirst = demoDoc{space: "acme", customer: "C1001", buyer: "Boulangerie Dupré SARL", buyerSIREN: "552100554",
	number: "FA%s-0412", daysAgo: 41, facturX: samplepdf.ProfileEN16931,
	lines: []samplepdf.Line{{Description: "Location four mixte — mois", Quantity: 1, UnitPriceCents: 89000}, {Description: "Maintenance préventive", Quantity: 1, UnitPriceCents: 15000}}}

var demoDocs = []demoDoc{
	{space: "acme", customer: "C1002", buyer: "Dupré Traiteur SAS", number: "FA%s-0420", daysAgo: 33,
		lines: []samplepdf.Line{{Description: "Location vitrine réfrigérée", Quantity: 2, UnitPriceCents: 32000}}},
	{space: "acme", customer: "C1003", buyer: "Garage Lefèvre & Fils", number: "FA%s-0431", daysAgo: 25, copy: true,
		lines: []samplepdf.Line{{Description: "Crédit-bail pont élévateur — échéance", Quantity: 1, UnitPriceCents: 54075}}},
	{space: "acme", customer: "C1004", buyer: "Imprimerie Roux", number: "FA%s-0437", daysAgo: 18,
		lines: []samplepdf.Line{{Description: "Location presse numérique", Quantity: 1, UnitPriceCents: 210000}, {Description: "Forfait copies", Quantity: 12000, UnitPriceCents: 2}}},
	{space: "acme", customer: "C1001", buyer: "Boulangerie Dupré SARL", buyerSIREN: "552100554", number: "AV%s-0051", daysAgo: 12, credit: true,
		facturX: samplepdf.ProfileBasicWL, lines: []samplepdf.Line{{Description: "Avoir — maintenance non effectuée", Quantity: 1, UnitPriceCents: 15000}}},
	{space: "acme", customer: "C1005", buyer: "Menuiserie Petit", number: "FA%s-0446", daysAgo: 9,
		lines: []samplepdf.Line{{Description: "Location scie à format", Quantity: 1, UnitPriceCents: 47000}}},
	{space: "acme", customer: "C1001", buyer: "Boulangerie Dupré SARL", buyerSIREN: "552100554", number: "FA%s-0458", daysAgo: 3,
		lines: []samplepdf.Line{{Description: "Location four mixte — mois", Quantity: 1, UnitPriceCents: 89000}}},
	{space: "globex", customer: "G-0001", buyer: "Hôtel des Alpes", buyerSIREN: "732829320", number: "GX-%s-10087", daysAgo: 20,
		facturX: samplepdf.ProfileEN16931, lines: []samplepdf.Line{{Description: "Électricité — consommation (kWh)", Quantity: 18250, UnitPriceCents: 19}, {Description: "Abonnement", Quantity: 1, UnitPriceCents: 12500}}},
	{space: "globex", customer: "G-0002", buyer: "Camping Les Pins", number: "GX-%s-10112", daysAgo: 6,
		lines: []samplepdf.Line{{Description: "Gaz naturel — consommation (kWh)", Quantity: 6400, UnitPriceCents: 11}}},
}

// sellers are the fictional suppliers printed on the PDFs.
var sellers = map[string]struct{ name, siren string }{
	"acme":   {"Acme Location SAS", "732829320"},
	"globex": {"Globex Énergie SA", "552100554"},
}

// demoZone is the spaces' time zone, which fixes "today" for issue dates.
var demoZone = mustZone("Europe/Paris")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// render builds a document's PDF and S3 metadata for the day today. The
// same day gives the same bytes, so a second drop is a silent no-op.
func (d demoDoc) render(today time.Time) ([]byte, map[string]string, error) {
	issue := today.AddDate(0, 0, -d.daysAgo)
	number := fmt.Sprintf(d.number, issue.Format("2006"))
	inv := samplepdf.Invoice{
		Number: number, Type: samplepdf.TypeInvoice, IssueDate: issue.Format("2006-01-02"),
		DueDate:    issue.AddDate(0, 0, 30).Format("2006-01-02"),
		SellerName: sellers[d.space].name, SellerSIREN: sellers[d.space].siren,
		BuyerName: d.buyer, BuyerSIREN: d.buyerSIREN, Currency: "EUR", Lines: d.lines, FacturX: d.facturX,
	}
	if d.credit {
		inv.Type = samplepdf.TypeCreditNote
	}
	pdf, err := samplepdf.Generate(inv)
	if err != nil {
		return nil, nil, fmt.Errorf("demo %s: %w", number, err)
	}
	meta := map[string]string{
		"customer-number": d.customer, "document-number": number, "document-type": inv.Type,
		"issue-date": inv.IssueDate, "amount": inv.GrandTotal(), "currency": "EUR",
	}
	if d.copy {
		meta["copy"] = "true"
	}
	return pdf, meta, nil
}

func (d demoDoc) key(meta map[string]string) string {
	return fmt.Sprintf("inbox/%s/documents/%s/%s.pdf", d.space, meta["issue-date"][:7], meta["document-number"])
}

// today is the runner's current date in the demo's time zone.
func (r *Runner) today() time.Time {
	n := r.opts.Now().In(demoZone)
	return time.Date(n.Year(), n.Month(), n.Day(), 12, 0, 0, 0, demoZone)
}

// seedDemo applies the demo spaces with the spaces command's code, then
// drops the referentials and, once they are applied, the PDFs into the
// inbox, and waits until the mails they cause are sent. An emulator that
// already holds the demo (a reused one) is left as it is.
func (r *Runner) seedDemo(ctx context.Context) error {
	dir := filepath.Join(r.root, DemoDir)
	st := app.Store(r.Env, r.clients, app.Options{Now: r.opts.Now, Log: r.functionLogger("spaces")})
	sps, err := r.ApplySpaces(ctx, filepath.Join(dir, "spaces.json"))
	if err != nil {
		return fmt.Errorf("demo spaces: %w", err)
	}
	if err := r.seedStaff(ctx, st, sps); err != nil {
		return err
	}
	seeded, err := r.demoSeeded(ctx)
	if err != nil || seeded {
		if seeded {
			r.log.Info("demo data already present")
		}
		return err
	}
	var keys []string
	for _, ref := range demoReferentials {
		body, err := os.ReadFile(filepath.Join(dir, ref.file))
		if err != nil {
			return fmt.Errorf("demo referential: %w", err)
		}
		if err := r.drop(ctx, ref.key, body, nil); err != nil {
			return err
		}
		keys = append(keys, ref.key)
	}
	if err := r.waitInboxEmpty(ctx, keys); err != nil {
		return err
	}
	today := r.today()
	for i, docs := range [][]demoDoc{{demoFirst}, demoDocs} {
		keys = keys[:0]
		for _, d := range docs {
			pdf, meta, err := d.render(today)
			if err != nil {
				return err
			}
			k := d.key(meta)
			if err := r.drop(ctx, k, pdf, meta); err != nil {
				return err
			}
			keys = append(keys, k)
		}
		if err := r.waitInboxEmpty(ctx, keys); err != nil {
			return fmt.Errorf("demo documents, step %d: %w", i+1, err)
		}
	}
	if rejected, err := r.listKeys(ctx, r.Env.InboxBucket, "rejected/"); err == nil && len(rejected) > 0 {
		return fmt.Errorf("demo files were rejected: %s", strings.Join(rejected, ", "))
	}
	return r.waitMailsSent(ctx)
}

// demoSeeded reports whether the first demo document is already filed.
func (r *Runner) demoSeeded(ctx context.Context) (bool, error) {
	out, err := r.AWS.DynamoDB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 aws.String(r.Env.DocumentsTable),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":pk": &ddbtypes.AttributeValueMemberS{Value: demoFirst.space + "#" + demoFirst.customer}},
		Limit:                     aws.Int32(1),
	})
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	return len(out.Items) > 0, nil
}

// drop writes an object into the inbox bucket as the space's billing does.
func (r *Runner) drop(ctx context.Context, key string, body []byte, meta map[string]string) error {
	in := &s3.PutObjectInput{Bucket: aws.String(r.Env.InboxBucket), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: meta}
	if strings.HasSuffix(key, ".pdf") {
		in.ContentType = aws.String("application/pdf")
	}
	if _, err := r.billingS3(key).PutObject(ctx, in); err != nil {
		return fmt.Errorf("drop %s: %w", key, err)
	}
	return nil
}

// waitInboxEmpty waits until ingestion has taken every key out of the
// inbox: filed, applied or rejected.
func (r *Runner) waitInboxEmpty(ctx context.Context, keys []string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		left := 0
		for _, k := range keys {
			_, err := r.AWS.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(r.Env.InboxBucket), Key: aws.String(k)})
			if err == nil {
				left++
			}
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d inbox files still waiting for ingestion after a minute", left, len(keys))
		}
		sleep(ctx, 100*time.Millisecond)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// waitMailsSent waits until no outbox record is pending.
func (r *Runner) waitMailsSent(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for {
		out, err := r.AWS.DynamoDB.Scan(ctx, &dynamodb.ScanInput{
			TableName:                 aws.String(r.Env.OutboxTable),
			FilterExpression:          aws.String("#s = :pending"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":pending": &ddbtypes.AttributeValueMemberS{Value: "pending"}},
			Select:                    ddbtypes.SelectCount,
			ConsistentRead:            aws.Bool(true),
		})
		if err != nil {
			return fmt.Errorf("demo mails: %w", err)
		}
		if out.Count == 0 && out.LastEvaluatedKey == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d demo mails still pending after a minute", out.Count)
		}
		sleep(ctx, 100*time.Millisecond)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// listKeys lists a bucket's keys under prefix (first page: enough here).
func (r *Runner) listKeys(ctx context.Context, bucket, prefix string) ([]string, error) {
	out, err := r.AWS.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys, nil
}

// BillingDrop is a ready-made document for the billing command.
type BillingDrop struct {
	File     string            // a sample PDF on disk
	Key      string            // where billing puts it
	Metadata map[string]string // its S3 user metadata
}

// writeBillingSample writes today's sample PDF for C1001 of acme (mailed
// with the PDF attached) into dir. Its number is the day's own, so another
// day's drop is another document, and the same day's a silent no-op.
func (r *Runner) writeBillingSample(dir string) (BillingDrop, error) {
	today := r.today()
	d := demoDoc{space: "acme", customer: "C1001", buyer: "Boulangerie Dupré SARL", buyerSIREN: "552100554",
		number: "DROP-%s" + today.Format("0102"),
		lines:  []samplepdf.Line{{Description: "Location four mixte — journée supplémentaire", Quantity: 1, UnitPriceCents: 12000}}}
	pdf, meta, err := d.render(today)
	if err != nil {
		return BillingDrop{}, err
	}
	number := meta["document-number"]
	file := filepath.Join(dir, number+".pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		return BillingDrop{}, err
	}
	return BillingDrop{File: file, Key: "inbox/acme/documents/" + number + ".pdf", Metadata: meta}, nil
}

// BillingCommand is the awscli line billing would run to drop Sample, with
// the emulator's endpoint and the credentials of acme's billing session (dummy
// ones when acme names no billing principal).
func (r *Runner) BillingCommand() string {
	d := r.Sample
	var meta []string
	for _, k := range []string{"customer-number", "document-number", "document-type", "issue-date", "amount", "currency"} {
		meta = append(meta, k+"="+d.Metadata[k])
	}
	creds := "AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local"
	if s, ok := r.Billing("acme"); ok {
		// The credentials of acme's billing session, so the drop is acme's billing's.
		c := s.Credentials
		creds = fmt.Sprintf("AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s", c.AccessKeyID, c.SecretAccessKey, c.SessionToken)
	}
	return fmt.Sprintf("%s AWS_DEFAULT_REGION=%s aws s3 cp %s s3://%s/%s --endpoint-url %s --metadata %s",
		creds, r.AWS.Stack.Region, d.File, r.Env.InboxBucket, d.Key, r.MotoURL, strings.Join(meta, ","))
}

// Demo staff: one supervisor per space with a known password and a fixed TOTP secret, for
// the local demo only (an authenticator app enrols the secret the banner prints).
const (
	DemoStaffIdentifier = "superviseur"
	DemoStaffPassword   = "Console-Demo-2026!"
	DemoStaffSecret     = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
)

// seedStaff creates the demo supervisor of every space, leaving one already there.
func (r *Runner) seedStaff(ctx context.Context, st *dynamo.Store, sps []spaces.Space) error {
	svc := app.StaffService(st, app.Options{Now: r.opts.Now, Log: r.functionLogger("staff")})
	r.DemoStaff = r.DemoStaff[:0]
	for _, sp := range sps {
		_, err := svc.Add(ctx, staff.NewMember{
			Space: sp.ID, Identifier: DemoStaffIdentifier, Role: staff.RoleSupervisor,
			Secret: DemoStaffSecret, Password: DemoStaffPassword,
		})
		if err != nil && !errors.Is(err, staff.ErrIdentifierTaken) {
			return fmt.Errorf("demo staff of %s: %w", sp.ID, err)
		}
		r.DemoStaff = append(r.DemoStaff, sp.ID)
	}
	return nil
}
