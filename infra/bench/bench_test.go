package bench_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/efacture/efacture/infra/bench"
	"github.com/efacture/efacture/infra/local/eventsource"
	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/objects"
	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/tokens"
	"github.com/efacture/efacture/shared/pdf/facturx"
	"github.com/efacture/efacture/shared/service/listing"
	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// arm is one side of an interleaved comparison: the code under test, or its floor.
type arm struct {
	name   string
	run    func(i int)
	total  time.Duration
	calls  int
	rounds int // round trips waited for one after another
	docs   int // calls to the documents table
	items  int64
	last   []bench.Call
}

// interleave runs every arm once per iteration, rotating which goes first so that none
// gains from another's warm-up or suffers from a burst of the machine's load, and
// reports for each arm its mean time ("<arm>-ms/op"), AWS calls sent ("<arm>-calls/op"),
// round trips waited for in sequence ("<arm>-rounds/op"), documents-table calls
// ("<arm>-doccalls/op") and items its Queries read ("<arm>-items/op"). prep runs before
// each iteration, outside every timing.
func interleave(b *testing.B, w *world, prep func(i int), arms ...*arm) {
	b.Helper()
	for _, a := range arms {
		a.total, a.calls, a.rounds, a.docs, a.items, a.last = 0, 0, 0, 0, 0, nil
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if prep != nil {
			b.StopTimer()
			prep(i)
			b.StartTimer()
		}
		w.calls.Take()
		for k := range arms {
			a := arms[(i+k)%len(arms)]
			t := time.Now()
			a.run(i)
			a.total += time.Since(t)
			seq, items := w.calls.Take()
			a.calls += bench.CountSent(seq)
			a.rounds += bench.Rounds(seq)
			a.docs += bench.CountTable(seq, "documents")
			a.items += items
			a.last = seq
		}
	}
	b.StopTimer()
	n := float64(b.N)
	for _, a := range arms {
		b.ReportMetric(a.ms(b.N), a.name+"-ms/op")
		b.ReportMetric(float64(a.calls)/n, a.name+"-calls/op")
		b.ReportMetric(float64(a.rounds)/n, a.name+"-rounds/op")
		b.ReportMetric(float64(a.docs)/n, a.name+"-doccalls/op")
		b.ReportMetric(float64(a.items)/n, a.name+"-items/op")
		b.Logf("CALLS %s: %s", a.name, bench.Sequence(a.last))
	}
}

func (a *arm) ms(n int) float64 { return a.total.Seconds() * 1e3 / float64(n) }

// --- R1: a download through the Lambda adapter against its floor.

// downloads is the download benchmark's company: an account with a session and
// documents never downloaded, handed out one per use.
type downloads struct {
	account accounts.Account
	session string
	sks     []string
	next    atomic.Int64
}

func (w *world) downloads(b *testing.B) *downloads {
	if w.dl == nil {
		d := &downloads{account: w.company(b, "D", "download@bench.example", "")}
		d.session = w.signIn(b, d.account)
		d.sks = w.seedDocuments(b, "D", 0, downloadBatch)
		w.dl = d
	}
	return w.dl
}

// downloadBatch is how many never-downloaded documents are seeded at a time.
const downloadBatch = 500

// fresh returns a document nobody has downloaded yet, seeding more when all were.
func (d *downloads) fresh(b *testing.B, w *world) string {
	i := int(d.next.Add(1)) - 1
	if i >= len(d.sks) {
		d.sks = append(d.sks, w.seedDocuments(b, "D", len(d.sks), downloadBatch)...)
	}
	return d.sks[i]
}

// floorDownload issues what DATA.md says a download needs, directly: the session's two
// reads (the space is cached), the document read, the presign, the audit entry and, for
// a first download only, downloadedAt.
func (w *world) floorDownload(b *testing.B, sessionHash string, a accounts.Account, sk string) string {
	ctx := context.Background()
	company := documents.Company(a.Space, a.CustomerNumber)
	if _, err := w.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &w.tables.main, Key: key("SESS#"+sessionHash, "SESS"), ConsistentRead: aws.Bool(true),
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := w.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &w.tables.main, Key: key("ACCT#"+accounts.Key(a.Identifier), "ACCT"), ConsistentRead: aws.Bool(true),
	}); err != nil {
		b.Fatal(err)
	}
	doc, err := w.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &w.tables.documents, Key: key(company, sk)})
	if err != nil || doc.Item == nil {
		b.Fatalf("document %s: %v", sk, err)
	}
	number := attr(doc.Item, "number")
	req, err := w.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(w.envs["DocumentsFunction"].ArchiveBucket), Key: aws.String(attr(doc.Item, "archiveKey")),
		ResponseContentType:        aws.String("application/pdf"),
		ResponseContentDisposition: aws.String(objects.ContentDisposition(number + ".pdf")),
	}, s3.WithPresignExpires(listing.DownloadTTL))
	if err != nil {
		b.Fatal(err)
	}
	at := w.now.Format(time.RFC3339Nano)
	if _, err := w.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &w.tables.main, Item: map[string]types.AttributeValue{
		"pk": s("AUDIT#" + company), "sk": s(w.now.Format("2006-01-02T15:04:05.000000000Z") + "#" + randomHex(4)),
		"at": s(at), "actor": s(a.Identifier), "action": s("download"), "target": s(number),
		"ttl": n(w.now.AddDate(2, 0, 0).Unix()),
	}}); err != nil {
		b.Fatal(err)
	}
	if _, done := doc.Item["downloadedAt"]; !done {
		if _, err := w.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &w.tables.documents, Key: key(company, sk),
			UpdateExpression:          aws.String("SET #d = if_not_exists(#d, :at)"),
			ConditionExpression:       aws.String("attribute_exists(pk)"),
			ExpressionAttributeNames:  map[string]string{"#d": "downloadedAt"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": s(at)},
		}); err != nil {
			b.Fatal(err)
		}
	}
	return req.URL
}

// BenchmarkR1Download: GET /api/documents/{id}/download through the Lambda adapter ÷ its
// floor, for a document's first download (which records downloadedAt) and a repeat.
func BenchmarkR1Download(b *testing.B) {
	w := getWorld(b, "downloads")
	d := w.downloads(b)
	h := w.handler(b, "DocumentsFunction", w.opts)
	hash := tokens.Hash(d.session)
	event := func(sk string) events.APIGatewayV2HTTPRequest {
		return w.apiEvent(b, "GET", "/api/documents/"+documents.EncodeID(sk)+"/download", "GET /api/documents/{id}/download", "", d.session)
	}
	for _, first := range []bool{true, false} {
		name := "repeat"
		if first {
			name = "first"
		}
		b.Run(name, func(b *testing.B) {
			// A repeat downloads documents both sides already downloaded once.
			hSK, fSK := d.fresh(b, w), d.fresh(b, w)
			if !first {
				call(b, h, event(hSK), 302)
				w.floorDownload(b, hash, d.account, fSK)
			}
			var ev events.APIGatewayV2HTTPRequest
			prep := func(int) {
				if first {
					hSK, fSK = d.fresh(b, w), d.fresh(b, w)
				}
				ev = event(hSK)
			}
			handler := &arm{name: "handler", run: func(int) { call(b, h, ev, 302) }}
			floor := &arm{name: "floor", run: func(int) { w.floorDownload(b, hash, d.account, fSK) }}
			interleave(b, w, prep, handler, floor)
			b.ReportMetric(handler.ms(b.N)/floor.ms(b.N), "ratio")
		})
	}
}

// --- R3, R4: listing as history grows, and deep pages.

// listings are two companies with 500 and 5,000 documents over the same 700 days.
type listings struct {
	small, large     accounts.Account
	smallS, largeS   string // sessions
	page20           string // cursor of the large listing's 20th page
	window           listing.Window
	smallSK, largeSK []string
}

func (w *world) listings(b *testing.B) *listings {
	if w.ls == nil {
		l := &listings{
			small: w.company(b, "L1", "list1@bench.example", ""),
			large: w.company(b, "L10", "list10@bench.example", ""),
		}
		l.smallS, l.largeS = w.signIn(b, l.small), w.signIn(b, l.large)
		l.smallSK = w.seedDocuments(b, "L1", 0, 500)
		l.largeSK = w.seedDocuments(b, "L10", 0, 5000)
		var err error
		if l.window, err = listing.ResolveWindow("", "", l.large.HistoryMonths, &w.space, w.now); err != nil {
			b.Fatal(err)
		}
		h := w.handler(b, "DocumentsFunction", w.opts)
		cursor := ""
		for page := 1; page < 20; page++ {
			res := call(b, h, w.listEvent(b, l.largeS, cursor), 200)
			var body struct {
				Items      []json.RawMessage `json:"items"`
				NextCursor string            `json:"nextCursor"`
			}
			if err := json.Unmarshal([]byte(res.Body), &body); err != nil || len(body.Items) != 50 || body.NextCursor == "" {
				b.Fatalf("page %d: %d items, cursor %q, %v", page, len(body.Items), body.NextCursor, err)
			}
			cursor = body.NextCursor
		}
		l.page20 = cursor
		w.ls = l
	}
	return w.ls
}

// listEvent is a documents page of 50 over the caller's display history.
func (w *world) listEvent(b *testing.B, session, cursor string) events.APIGatewayV2HTTPRequest {
	target := "/api/documents?limit=50"
	if cursor != "" {
		target += "&cursor=" + url.QueryEscape(cursor)
	}
	return w.apiEvent(b, "GET", target, "GET /api/documents", "", session)
}

// floorList issues what DATA.md says a page needs: the session's two reads and one
// Query of limit+1 items, newest first, unexpired only.
func (w *world) floorList(b *testing.B, sessionHash string, a accounts.Account, win listing.Window) int {
	ctx := context.Background()
	if _, err := w.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &w.tables.main, Key: key("SESS#"+sessionHash, "SESS"), ConsistentRead: aws.Bool(true),
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := w.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &w.tables.main, Key: key("ACCT#"+accounts.Key(a.Identifier), "ACCT"), ConsistentRead: aws.Bool(true),
	}); err != nil {
		b.Fatal(err)
	}
	out, err := w.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &w.tables.documents, ScanIndexForward: aws.Bool(false), Limit: aws.Int32(51),
		KeyConditionExpression:   aws.String("#pk = :c AND #sk BETWEEN :from AND :to"),
		FilterExpression:         aws.String("#ttl > :now"),
		ExpressionAttributeNames: map[string]string{"#pk": "pk", "#sk": "sk", "#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":c": s(documents.Company(a.Space, a.CustomerNumber)), ":from": s(win.From), ":to": s(win.To + "$"),
			":now": n(w.now.Unix()),
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	return len(out.Items)
}

// BenchmarkR3ListingHistory: a page of 50 at 10× history (5,000 documents) ÷ at 1× (500),
// divided by the same ratio of the floor, since moto's own Query cost grows with the
// partition; and the page's documents-table calls and items read.
func BenchmarkR3ListingHistory(b *testing.B) {
	w := getWorld(b, "listing")
	l := w.listings(b)
	h := w.handler(b, "DocumentsFunction", w.opts)
	small, large := w.listEvent(b, l.smallS, ""), w.listEvent(b, l.largeS, "")
	smallHash, largeHash := tokens.Hash(l.smallS), tokens.Hash(l.largeS)
	h1 := &arm{name: "handler1x", run: func(int) { call(b, h, small, 200) }}
	h10 := &arm{name: "handler10x", run: func(int) { call(b, h, large, 200) }}
	f1 := &arm{name: "floor1x", run: func(int) { w.floorList(b, smallHash, l.small, l.window) }}
	f10 := &arm{name: "floor10x", run: func(int) { w.floorList(b, largeHash, l.large, l.window) }}
	interleave(b, w, nil, h1, h10, f1, f10)
	b.ReportMetric((h10.ms(b.N)/h1.ms(b.N))/(f10.ms(b.N)/f1.ms(b.N)), "ratio")
}

// BenchmarkR4ListingDepth: page 20 ÷ page 1 of the 5,000-document listing, in
// documents-table calls, items read and time.
func BenchmarkR4ListingDepth(b *testing.B) {
	w := getWorld(b, "listing")
	l := w.listings(b)
	h := w.handler(b, "DocumentsFunction", w.opts)
	first, twentieth := w.listEvent(b, l.largeS, ""), w.listEvent(b, l.largeS, l.page20)
	p1 := &arm{name: "page1", run: func(int) { call(b, h, first, 200) }}
	p20 := &arm{name: "page20", run: func(int) { call(b, h, twentieth, 200) }}
	interleave(b, w, nil, p1, p20)
	b.ReportMetric(p20.ms(b.N)/p1.ms(b.N), "ratio")
}

// --- R5: ingestion.

var ingestSeq atomic.Int64

// inboxPDF is a Factur-X (EN 16931) invoice issued today, with the metadata billing
// sets, dropped in the inbox outside the measured time.
func (w *world) inboxPDF(b *testing.B, customer string) (key string, meta map[string]string) {
	number := fmt.Sprintf("B-%d-%06d", os.Getpid(), ingestSeq.Add(1))
	today := w.space.Today(w.now)
	inv := samplepdf.Invoice{
		Number: number, Type: samplepdf.TypeInvoice, IssueDate: today, SellerName: "Bench Finance",
		SellerSIREN: "552100554", BuyerName: "Client " + customer, Currency: "EUR", FacturX: samplepdf.ProfileEN16931,
		Lines: []samplepdf.Line{{Description: "Loyer", Quantity: 1, UnitPriceCents: 120000}},
	}
	body, err := samplepdf.Generate(inv)
	if err != nil {
		b.Fatal(err)
	}
	meta = map[string]string{
		"customer-number": customer, "document-number": number, "document-type": documents.Invoice,
		"issue-date": today, "amount": inv.GrandTotal(), "currency": "EUR",
	}
	key = "inbox/" + spaceID + "/documents/" + number + ".pdf"
	inbox := w.envs["IngestFunction"].InboxBucket
	if _, err := localaws.NewS3(w.plain).PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: &inbox, Key: &key, Body: bytes.NewReader(body), Metadata: meta,
	}); err != nil {
		b.Fatal(err)
	}
	return key, meta
}

// sqsEvent is the SQS batch of one S3 notification, as Lambda hands it to ingest.
func (w *world) sqsEvent(b *testing.B, key string) events.SQSEvent {
	var ev events.S3Event
	ev.Records = []events.S3EventRecord{{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: localaws.Region, EventName: "ObjectCreated:Put",
		S3: events.S3Entity{
			Bucket: events.S3Bucket{Name: w.envs["IngestFunction"].InboxBucket},
			Object: events.S3Object{Key: eventsource.EncodeS3EventKey(key), Size: 1},
		},
	}}
	body, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	return events.SQSEvent{Records: []events.SQSMessage{{
		MessageId: randomHex(16), Body: string(body), EventSource: "aws:sqs", AWSRegion: localaws.Region,
	}}}
}

// floorIngest issues what DATA.md says filing a document needs, directly: the object
// read, the customer read, the archive copy, the transaction of the claim and the
// document, the inbox delete. The space is cached; the SHA-256 names the archive copy.
func (w *world) floorIngest(b *testing.B, customer, inboxKey string) {
	ctx := context.Background()
	env := w.envs["IngestFunction"]
	obj, err := w.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: &env.InboxBucket, Key: &inboxKey})
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		b.Fatal(err)
	}
	meta := obj.Metadata
	company := documents.Company(spaceID, customer)
	if _, err := w.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &w.tables.main, Key: key("CUST#"+company, "CUST"), ConsistentRead: aws.Bool(true),
	}); err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(body)
	digest := hex.EncodeToString(sum[:])
	number, issue := meta["document-number"], meta["issue-date"]
	sk := issue + "#" + number
	id := documents.EncodeID(sk)
	archiveKey := "documents/" + spaceID + "/" + customer + "/" + id + "-" + digest + ".pdf"
	if _, err := w.s3.CopyObject(ctx, &s3.CopyObjectInput{
		Bucket: &env.ArchiveBucket, Key: &archiveKey, CopySource: aws.String(env.InboxBucket + "/" + inboxKey),
		MetadataDirective: s3types.MetadataDirectiveReplace, ContentType: aws.String("application/pdf"),
	}); err != nil {
		b.Fatal(err)
	}
	expires, _ := w.space.ExpiresAt(issue)
	now := w.now.Format(time.RFC3339Nano)
	notExists := aws.String("attribute_not_exists(pk)")
	if _, err := w.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &w.tables.main, ConditionExpression: notExists, Item: map[string]types.AttributeValue{
			"pk": s("DOCNUM#" + company + "#" + number), "sk": s("DOCNUM"), "sha256": s(digest), "docSk": s(sk),
			"ttl": n(expires.Unix()),
		}}},
		{Put: &types.Put{TableName: &w.tables.documents, ConditionExpression: notExists, Item: map[string]types.AttributeValue{
			"pk": s(company), "sk": s(sk), "id": s(id), "space": s(spaceID), "customerNumber": s(customer),
			"number": s(number), "type": s(meta["document-type"]), "issueDate": s(issue), "amount": s(meta["amount"]),
			"currency": s(meta["currency"]), "duplicate": &types.AttributeValueMemberBOOL{}, "copy": &types.AttributeValueMemberBOOL{},
			"sha256": s(digest), "size": n(int64(len(body))), "archiveKey": s(archiveKey), "sourceKey": s(inboxKey),
			"ingestedAt": s(now), "expiresAt": s(expires.Format(time.RFC3339)), "ttl": n(expires.Unix()),
		}}},
	}}); err != nil {
		b.Fatal(err)
	}
	if _, err := w.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &env.InboxBucket, Key: &inboxKey}); err != nil {
		b.Fatal(err)
	}
}

// ingests is the ingestion benchmark's handler, built once as the ingest main builds it.
type ingests struct {
	h func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
}

// customersIngest is the ingestion benchmark's customer: a registered address, no mail
// per document.
func customersIngest() customers.Customer {
	return customers.Customer{
		Space: spaceID, Number: "I", CompanyName: "Client I", Email: "ingest@bench.example",
		Notification: customers.NotifyNone, Language: "fr",
	}
}

func (w *world) ingests(b *testing.B) *ingests {
	if w.in == nil {
		if err := w.st.ApplyCustomer(context.Background(), customersIngest(), w.now); err != nil {
			b.Fatal(err)
		}
		o := w.opts
		o.ReadFacturX = facturx.ReadForIngest
		h, err := app.IngestFunction(w.envs["IngestFunction"], w.clients(), o)
		if err != nil {
			b.Fatal(err)
		}
		in := &ingests{h: h.(lambdaevents.SQSHandler)}
		k, _ := w.inboxPDF(b, "I")
		in.ingest(b, w, k) // creates the registered admin: not the steady state
		w.in = in
	}
	return w.in
}

func (in *ingests) ingest(b *testing.B, w *world, key string) {
	resp, err := in.h(context.Background(), w.sqsEvent(b, key))
	if err != nil || len(resp.BatchItemFailures) > 0 {
		b.Fatalf("ingest %s: %v %+v", key, err, resp)
	}
}

// forget deletes a filed document and its claim, uncounted, so the tables keep the size
// they had: moto copies both tables for every transaction.
func (w *world) forget(b *testing.B, customer string, meta map[string]string) {
	ctx := context.Background()
	company := documents.Company(spaceID, customer)
	number := meta["document-number"]
	for _, del := range []*dynamodb.DeleteItemInput{
		{TableName: &w.tables.main, Key: key("DOCNUM#"+company+"#"+number, "DOCNUM")},
		{TableName: &w.tables.documents, Key: key(company, meta["issue-date"]+"#"+number)},
	} {
		if _, err := w.seedDB.DeleteItem(ctx, del); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkR5Ingest: documents per second through the ingest handler ÷ through its floor,
// for a known customer whose account exists (the steady state).
func BenchmarkR5Ingest(b *testing.B) {
	w := freshWorld(b, "ingest")
	in := w.ingests(b)
	var hKey, fKey string
	var hMeta, fMeta map[string]string
	prep := func(i int) {
		if i > 0 {
			w.forget(b, "I", hMeta)
			w.forget(b, "I", fMeta)
		}
		hKey, hMeta = w.inboxPDF(b, "I")
		fKey, fMeta = w.inboxPDF(b, "I")
	}
	handler := &arm{name: "handler", run: func(int) { in.ingest(b, w, hKey) }}
	floor := &arm{name: "floor", run: func(int) { w.floorIngest(b, "I", fKey) }}
	interleave(b, w, prep, handler, floor)
	// Throughput is the inverse of time: handler docs/s ÷ floor docs/s.
	b.ReportMetric(floor.ms(b.N)/handler.ms(b.N), "ratio")
	b.ReportMetric(1e3/handler.ms(b.N), "handler-docs/s")
}

// --- R6: presign.

// BenchmarkR6Presign: one presigned download URL, as the download path signs it; no
// network involved.
func BenchmarkR6Presign(b *testing.B) {
	cfg, err := localaws.Config(context.Background(), "http://127.0.0.1:9")
	if err != nil {
		b.Fatal(err)
	}
	p := objects.NewPresigner(localaws.NewS3(cfg), "bench-archive")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Download(ctx, "documents/bench/C1/MjAyNi0xMS0yMCNGLTIwMjYtMDAx-0123456789abcdef.pdf", "F-2026-001.pdf", listing.DownloadTTL); err != nil {
			b.Fatal(err)
		}
	}
}

// --- R7: login.

// logins are the accounts of the login benchmark.
type logins struct {
	ok, wrong accounts.Account
	h         apigw.LambdaHandler
}

const benchPassword = "Bench-password-2026!"

func (w *world) logins(b *testing.B) *logins {
	if w.lg == nil {
		l := &logins{ok: w.company(b, "A", "login@bench.example", benchPassword)}
		l.wrong = w.company(b, "B", "wrong@bench.example", benchPassword)
		// Thresholds out of reach: the benchmark measures one attempt below them, the
		// path every unthrottled attempt takes.
		limits := ratelimit.Default()
		limits.LoginFailuresPerClient.Max = 1 << 30
		limits.LockAfter = 1 << 30
		o := w.opts
		o.Limits = &limits
		h, err := app.AuthFunction(w.envs["AuthFunction"], w.clients(), o)
		if err != nil {
			b.Fatal(err)
		}
		l.h = h.(apigw.LambdaHandler)
		w.lg = l
	}
	return w.lg
}

func (w *world) loginEvent(b *testing.B, identifier, pw string) events.APIGatewayV2HTTPRequest {
	body, _ := json.Marshal(map[string]string{"identifier": identifier, "password": pw})
	return w.apiEvent(b, "POST", "/api/auth/login", "POST /api/auth/login", string(body), "")
}

// floorLogin issues what DATA.md says a login needs, directly, and checks the password
// as the handler does: the client's place and the account's, each a conditional
// UpdateItem taken before the hash (the account's returns the item), the password hash,
// then the transaction (account, session, audit entry) with the client's place given
// back alongside, and the company name.
func (w *world) floorLogin(b *testing.B, a accounts.Account, pw string) {
	ctx := context.Background()
	window := w.now.Unix() / 600 * 600
	rate := key("RATE#login-client#203.0.113.7#"+strconv.FormatInt(window, 10), "RATE")
	if _, err := w.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &w.tables.main, Key: rate, UpdateExpression: aws.String("ADD #c :one"),
		ConditionExpression:       aws.String("attribute_not_exists(#c) OR #c < :max"),
		ExpressionAttributeNames:  map[string]string{"#c": "count"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": n(1), ":max": n(1 << 30)},
	}); err != nil {
		b.Fatal(err)
	}
	acct, err := w.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &w.tables.main, Key: key("ACCT#"+accounts.Key(a.Identifier), "ACCT"),
		UpdateExpression:          aws.String("SET #f = if_not_exists(#f, :zero) + :one"),
		ConditionExpression:       aws.String("attribute_exists(#pk) AND (attribute_not_exists(#lock) OR #lock <= :now) AND (attribute_not_exists(#f) OR #f < :max)"),
		ExpressionAttributeNames:  map[string]string{"#f": "failures", "#pk": "pk", "#lock": "lockedUntil"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":zero": n(0), ":one": n(1), ":max": n(4), ":now": s(w.now.UTC().Format(time.RFC3339))},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		b.Fatal(err)
	}
	if ok, _, err := (password.Hasher{Params: password.Default}).Verify(attr(acct.Attributes, "passwordHash"), pw); !ok || err != nil {
		b.Fatalf("floor: password refused: %v", err)
	}
	released := make(chan error, 1)
	go func() {
		_, err := w.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &w.tables.main, Key: rate, UpdateExpression: aws.String("ADD #c :minus"),
			ExpressionAttributeNames: map[string]string{"#c": "count"}, ExpressionAttributeValues: map[string]types.AttributeValue{":minus": n(-1)},
		})
		released <- err
	}()
	defer func() {
		if err := <-released; err != nil {
			b.Fatal(err)
		}
	}()
	company := documents.Company(a.Space, a.CustomerNumber)
	hash := randomHex(32)
	at := w.now.Format(time.RFC3339Nano)
	if _, err := w.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &w.tables.main, Key: key("ACCT#"+accounts.Key(a.Identifier), "ACCT"),
			UpdateExpression:         aws.String("SET #l = :at, #f = :zero REMOVE #p, #lock"),
			ConditionExpression:      aws.String("attribute_exists(#pk) AND #e = :e AND #a = :true"),
			ExpressionAttributeNames: map[string]string{"#l": "lastLoginAt", "#f": "failures", "#p": "previousLoginAt", "#lock": "lockedUntil", "#pk": "pk", "#e": "sessionEpoch", "#a": "active"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":at": s(at), ":zero": n(0), ":e": n(a.SessionEpoch), ":true": &types.AttributeValueMemberBOOL{Value: true},
			},
		}},
		{Put: &types.Put{TableName: &w.tables.main, ConditionExpression: aws.String("attribute_not_exists(pk)"), Item: map[string]types.AttributeValue{
			"pk": s("SESS#" + hash), "sk": s("SESS"), "identifier": s(a.Identifier), "space": s(a.Space),
			"customerNumber": s(a.CustomerNumber), "epoch": n(a.SessionEpoch), "createdAt": s(at), "lastSeenAt": s(at),
			"expiresAt": s(w.now.Add(12 * time.Hour).Format(time.RFC3339Nano)), "ttl": n(w.now.Add(12 * time.Hour).Unix()),
		}}},
		{Put: &types.Put{TableName: &w.tables.main, Item: map[string]types.AttributeValue{
			"pk": s("AUDIT#" + company), "sk": s(w.now.Format("2006-01-02T15:04:05.000000000Z") + "#" + randomHex(4)),
			"at": s(at), "actor": s(a.Identifier), "action": s("login"), "target": s(a.Identifier),
			"ttl": n(w.now.AddDate(2, 0, 0).Unix()),
		}}},
	}}); err != nil {
		b.Fatal(err)
	}
	if _, err := w.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &w.tables.main, Key: key("CUST#"+company, "CUST"), ConsistentRead: aws.Bool(true),
	}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkR7Login: a successful login through the Lambda adapter ÷ the password hash
// plus its floor; a refused login of an unknown identifier ÷ one of a known identifier
// with a wrong password.
func BenchmarkR7Login(b *testing.B) {
	b.Run("success", func(b *testing.B) {
		w := freshWorld(b, "login")
		l := w.logins(b)
		ev := w.loginEvent(b, l.ok.Identifier, benchPassword)
		login := &arm{name: "handler", run: func(int) { call(b, l.h, ev, 200) }}
		floor := &arm{name: "floor", run: func(int) { w.floorLogin(b, l.ok, benchPassword) }}
		interleave(b, w, nil, login, floor)
		b.ReportMetric(login.ms(b.N)/floor.ms(b.N), "ratio")
	})
	b.Run("refusal", func(b *testing.B) {
		w := freshWorld(b, "refusal")
		l := w.logins(b)
		var unknownEv events.APIGatewayV2HTTPRequest
		wrongEv := w.loginEvent(b, l.wrong.Identifier, "not the password")
		prep := func(i int) {
			unknownEv = w.loginEvent(b, fmt.Sprintf("nobody-%d@bench.example", i), "not the password")
		}
		unknown := &arm{name: "unknown", run: func(int) { call(b, l.h, unknownEv, 401) }}
		known := &arm{name: "known", run: func(int) { call(b, l.h, wrongEv, 401) }}
		interleave(b, w, prep, unknown, known)
		b.ReportMetric(unknown.ms(b.N)/known.ms(b.N), "ratio")
	})
}

// BenchmarkR7Hash: one argon2id verification with the shipped parameters, the part of a
// login no code change can remove.
func BenchmarkR7Hash(b *testing.B) {
	h := password.Hasher{Params: password.Default}
	phc, err := h.Hash(benchPassword)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if ok, _, _ := h.Verify(phc, benchPassword); !ok {
			b.Fatal("verify failed")
		}
	}
}

// --- R2: the runtime loop.

var (
	loopOnce sync.Once
	loopBin  string
	loopDir  string // built here, removed by TestMain
	loopErr  error
)

// loopBinary is infra/bench/reference/loop built natively (BENCH_LOOP_BIN when make
// bench built it already).
func loopBinary(b *testing.B) string {
	loopOnce.Do(func() {
		if loopBin = os.Getenv("BENCH_LOOP_BIN"); loopBin != "" {
			return
		}
		root, err := localaws.RepoRoot()
		if err != nil {
			loopErr = err
			return
		}
		dir, err := os.MkdirTemp("", "bench-loop-")
		if err != nil {
			loopErr = err
			return
		}
		loopDir, loopBin = dir, filepath.Join(dir, "loop")
		loopErr = bench.Build(context.Background(), root, "./infra/bench/reference/loop", loopBin, bench.Native)
	})
	if loopErr != nil {
		b.Fatal(loopErr)
	}
	return loopBin
}

// BenchmarkR2RuntimeLoop: one API Gateway v2 call through aws-lambda-go's runtime loop
// and the project's adapter, against a fake Runtime API on loopback: the event handed
// to /next until the answer posted to /response.
func BenchmarkR2RuntimeLoop(b *testing.B) {
	bin := loopBinary(b)
	api, err := bench.NewRuntimeAPI()
	if err != nil {
		b.Fatal(err)
	}
	defer api.Close()
	cmd := exec.Command(bin)
	cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + api.Addr(), "AWS_LAMBDA_FUNCTION_NAME=loop", "AWS_REGION=" + localaws.Region}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	payload := runtimeLoopEvent(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	invoke := func() {
		out, err := api.Invoke(ctx, payload)
		if err != nil {
			b.Fatalf("invoke: %v (%s)", err, stderr.String())
		}
		var res events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &res); err != nil || res.StatusCode != 200 {
			b.Fatalf("answer %s: %v", out, err)
		}
	}
	for i := 0; i < 20; i++ {
		invoke() // the first calls warm the connection and the handler
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		invoke()
	}
}

// runtimeLoopEvent is a browser's documents listing request as API Gateway sends it.
func runtimeLoopEvent(b *testing.B) []byte {
	r := httptest.NewRequest("GET", "https://portal.example.com/api/documents?limit=50&type=invoice", nil)
	r.RemoteAddr = "203.0.113.7:51234"
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.8")
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.Header.Set("Cookie", "__Host-efacture_session=6p0cQ3gkzqjWg5LVg1b4Vw; theme=light")
	ev, err := apigw.Event(r, "JxkQ7gN1CGYEMXA=", "GET /api/documents", nil)
	if err != nil {
		b.Fatal(err)
	}
	ev.RequestContext.AccountID = "123456789012"
	ev.RequestContext.APIID = "a1b2c3d4e5"
	ev.RequestContext.TimeEpoch = time.Now().UnixMilli()
	payload, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	return payload
}

// --- helpers

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": s(pk), "sk": s(sk)}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func n(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

func attr(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
