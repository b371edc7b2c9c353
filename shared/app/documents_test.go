package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/efacture/efacture/infra/local/eventsource"
	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/tokens"
	"github.com/efacture/efacture/shared/service/exports"
	"github.com/efacture/efacture/shared/service/ingest"
	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/httpapi"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// docsCalls counts DynamoDB calls by operation, through the SDK's middleware, so the
// code under test runs unchanged.
type docsCalls struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *docsCalls) register(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.mu.Lock()
			c.n[awsmiddleware.GetOperationName(ctx)]++
			c.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// atomicCalls makes each DynamoDB call of the functions under test run alone. DynamoDB
// applies a call, a transaction included, atomically; moto applies it in steps that
// concurrent calls interleave with, and undoes a cancelled transaction by putting back a
// copy of the whole table, erasing what others wrote meanwhile. Requests still interleave
// between calls, where a read-then-write would race.
type atomicCalls struct{ mu sync.Mutex }

func (a *atomicCalls) register(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("oneCallAtATime",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			a.mu.Lock()
			defer a.mu.Unlock()
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// take returns the counts since the previous take.
func (c *docsCalls) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

// docsFixture is the documents and exports functions on real emulators, with documents
// filed through ingestion and, for volume, through the store.
type docsFixture struct {
	*pipeline
	t       *testing.T
	denv    app.Env
	h       http.Handler
	st      *dynamo.Store
	calls   *docsCalls
	exports *exports.Service
	// fnClients and opts are the functions', to build more containers of them.
	fnClients app.Clients
	opts      app.Options
	// handleExport is the exports function's handler, on exports.
	handleExport lambdaevents.SQSHandler
	session      map[string]string // customer number → session cookie value
	docs         map[string]documents.Document
}

// docsExportLimits are small, so the 413s are reachable with a few documents.
var docsExportLimits = exports.Limits{MaxDocuments: 3, MaxZIPBytes: 50 << 20, MaxRows: 6, MaxPending: 2}

func newDocsFixture(t *testing.T) *docsFixture {
	t.Helper()
	p := newPipeline(t)
	fnEnv := p.aws.Stack.FunctionEnv("DocumentsFunction")
	denv, err := app.EnvFrom(func(k string) string { return fnEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	f := &docsFixture{pipeline: p, t: t, denv: denv, calls: &docsCalls{n: map[string]int{}},
		session: map[string]string{}, docs: map[string]documents.Document{}}
	clients := app.NewClients(p.aws.Config, p.aws.SESConfig)
	clients.DynamoDB = dynamodb.NewFromConfig(p.aws.Config, func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, f.calls.register, (&atomicCalls{}).register)
	})
	opts := app.Options{Now: func() time.Time { return p.now }, ExportLimits: &docsExportLimits,
		HTTP: func(h http.Handler) { f.h = h }, Exports: func(s *exports.Service) { f.exports = s }}
	f.fnClients, f.opts = clients, opts
	build[apigw.LambdaHandler](t, app.DocumentsFunction, denv, clients, opts)
	xEnv := p.aws.Stack.FunctionEnv("ExportsFunction")
	xenv, err := app.EnvFrom(func(k string) string { return xEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	f.handleExport = build[lambdaevents.SQSHandler](t, app.ExportsFunction, xenv, clients, opts)
	f.st = app.Store(denv, p.clients, opts)

	// Two companies through the real inbox: their registered admins come with them.
	p.put("inbox/acme/customers/c.csv", []byte(referential), nil)
	p.ingestAll()
	f.ingest("C001", "F-2026-001", documents.Invoice, "2026-11-20", "1 440,00")
	f.ingest("C001", "A-2026-001", documents.CreditNote, "2026-11-10", "-120,50")
	f.ingest("C002", "X-2026-001", documents.Invoice, "2026-11-21", "99,00")
	// More of C001's history, straight into the store.
	for _, d := range []struct{ number, typ, issue, amount string }{
		{"F-2026-002", documents.Invoice, "2026-11-05", "10.00"},
		{"F-2026-003", documents.Invoice, "2026-10-15", "20.00"},
		{"A-2026-002", documents.CreditNote, "2026-09-30", "-30.00"},
		{"F-2026-004", documents.Invoice, "2026-08-27", "40.00"},
		{"F-2026-005", documents.Invoice, "2026-08-25", "50.00"},
		{"=1+2", documents.Invoice, "2026-07-01", "60.00"},
		{"F-2025-100", documents.Invoice, "2025-12-01", "70.00"},
		{"F-2024-900", documents.Invoice, "2024-11-20", "80.00"}, // expired on 2026-11-20, its item not yet deleted
		{"F-2024-901", documents.Invoice, "2024-11-25", "90.00"}, // expired yesterday, still inside the key range
	} {
		f.file("C001", d.number, d.typ, d.issue, d.amount)
	}
	f.signIn("C001")
	f.signIn("C002")
	f.calls.take()
	return f
}

// docsAdmins are the registered admins ingestion created for each company.
var docsAdmins = map[string]string{"C001": "pierre.durand@example.fr", "C002": "pierre.durand_1"}

// signIn starts a session of the company's registered admin at the fixture's now, as a
// login does.
func (f *docsFixture) signIn(customer string) {
	f.t.Helper()
	ident := docsAdmins[customer]
	a, err := f.st.Account(context.Background(), ident)
	if err != nil {
		f.t.Fatal(err)
	}
	id, sess := sessions.New(ident, "acme", customer, a.SessionEpoch, f.now, sessions.DefaultPolicy)
	if err := f.st.Apply(context.Background(), accounts.Update{Identifier: ident, StartSession: &sess}); err != nil {
		f.t.Fatalf("session of %s: %v", ident, err)
	}
	f.session[customer] = id
}

func (f *docsFixture) ingest(customer, number, typ, issue, amount string) {
	f.t.Helper()
	b, err := samplepdf.Generate(samplepdf.Invoice{
		Number: number, Type: typ, IssueDate: issue, SellerName: "Acme Finance", SellerSIREN: "552100554",
		BuyerName: "Client " + customer, Lines: []samplepdf.Line{{Description: "Loyer", Quantity: 1, UnitPriceCents: 10000}},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	f.put("inbox/acme/documents/"+number+".pdf", b, map[string]string{
		"customer-number": customer, "document-number": number, "document-type": typ,
		"issue-date": issue, "amount": amount, "currency": "EUR",
	})
	f.ingestAll()
	f.remember(customer, issue, number)
}

func (f *docsFixture) remember(customer, issue, number string) {
	f.t.Helper()
	d, err := f.st.LiveDocument(context.Background(), documents.Company("acme", customer), issue+"#"+number, time.Time{})
	if err != nil {
		f.t.Fatalf("document %s was not filed: %v", number, err)
	}
	f.docs[number] = d
}

// file writes a document and its PDF directly, as ingestion would.
func (f *docsFixture) file(customer, number, typ, issue, amount string) {
	f.t.Helper()
	ctx := context.Background()
	sp, err := f.st.Space(ctx, "acme")
	if err != nil {
		f.t.Fatal(err)
	}
	expires, _ := sp.ExpiresAt(issue)
	body := []byte("%PDF-1.7\n% " + number + "\n")
	d := documents.Document{
		Space: "acme", CustomerNumber: customer, Number: number, Type: typ, IssueDate: issue, Amount: amount,
		Currency: "EUR", SHA256: "sum-" + number, Size: int64(len(body)), IngestedAt: f.now, ExpiresAt: expires,
	}
	d.ArchiveKey = "documents/acme/" + customer + "/" + d.ID() + "-x.pdf"
	if _, err := f.aws.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: &f.env.ArchiveBucket, Key: &d.ArchiveKey, Body: bytes.NewReader(body)}); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.st.File(ctx, ingest.FileRequest{Document: d}); err != nil {
		f.t.Fatal(err)
	}
	f.docs[number] = d
}

func (f *docsFixture) do(customer, method, target, body string) *http.Response {
	return f.doOn(f.h, customer, method, target, body)
}

// doOn sends a request to h, one container of the documents function.
func (f *docsFixture) doOn(h http.Handler, customer, method, target, body string) *http.Response {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	r.Header.Set(httpapi.OriginHeader, f.denv.OriginVerify) // as CloudFront adds it
	if customer != "" {
		r.AddCookie(&http.Cookie{Name: "__Host-efacture_session", Value: f.session[customer]})
	}
	if method == http.MethodPost {
		r.Header.Set("Origin", f.denv.PortalBaseURL)
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

type docsPage struct {
	Items []struct {
		ID, Number, Type, IssueDate, ExpiresAt  string
		Amount, Currency, Profile, DownloadedAt *string
		Duplicate, Copy                         bool
	}
	NextCursor *string
}

func (p docsPage) numbers() string {
	var n []string
	for _, it := range p.Items {
		n = append(n, it.Number)
	}
	return strings.Join(n, ",")
}

func (f *docsFixture) list(customer, query string) (docsPage, int) {
	f.t.Helper()
	res := f.do(customer, "GET", "/api/documents?"+query, "")
	var p docsPage
	if res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
			f.t.Fatal(err)
		}
	}
	return p, res.StatusCode
}

// listAll follows nextCursor and returns each page's numbers; it checks that every page
// is exactly one Query.
func (f *docsFixture) listAll(customer, query string) []string {
	f.t.Helper()
	var pages []string
	cursor := ""
	for i := 0; i < 20; i++ {
		q := query
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		f.calls.take()
		p, status := f.list(customer, q)
		if status != http.StatusOK {
			f.t.Fatalf("page %d of %q: got %d", i+1, query, status)
		}
		calls := f.calls.take()
		if calls["Query"] != 1 || calls["Scan"] != 0 {
			f.t.Errorf("page %d of %q: got calls %v, want exactly one Query", i+1, query, calls)
		}
		pages = append(pages, p.numbers())
		if p.NextCursor == nil {
			return pages
		}
		cursor = *p.NextCursor
	}
	f.t.Fatalf("%q never ended", query)
	return nil
}

func TestDocumentsListing(t *testing.T) {
	f := newDocsFixture(t)
	cases := []struct {
		name, query string
		pages       []string
	}{
		{"default window of three months", "",
			[]string{"F-2026-001,A-2026-001,F-2026-002,F-2026-003,A-2026-002,F-2026-004"}},
		{"period", "from=2025-01-01&to=2026-09-30",
			[]string{"A-2026-002,F-2026-004,F-2026-005,=1+2,F-2025-100"}},
		{"before retention, expired left out", "from=2024-01-01&to=2024-12-31", []string{""}},
		{"expired in range", "from=2024-11-25&to=2024-11-25", []string{""}},
		{"pages of two", "limit=2",
			[]string{"F-2026-001,A-2026-001", "F-2026-002,F-2026-003", "A-2026-002,F-2026-004"}},
		{"type filter gives short pages", "type=credit_note&limit=2",
			[]string{"A-2026-001", "A-2026-002", ""}},
		{"number prefix ignores the default period", "number=F-2026",
			[]string{"F-2026-005,F-2026-004,F-2026-003,F-2026-002,F-2026-001"}},
		{"number prefix in pages", "number=F-2026&limit=2",
			[]string{"F-2026-005,F-2026-004", "F-2026-003,F-2026-002", "F-2026-001"}},
		{"number exact", "number=F-2026-00&numberMatch=exact", []string{""}},
		{"number exact hit", "number=F-2026-003&numberMatch=exact", []string{"F-2026-003"}},
		{"number with a period", "number=F&from=2026-11-01", []string{"F-2026-002,F-2026-001"}},
		{"number of an expired document", "number=F-2024", []string{""}},
		{"limit at max", "limit=200", []string{"F-2026-001,A-2026-001,F-2026-002,F-2026-003,A-2026-002,F-2026-004"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.t = t
			got := f.listAll("C001", c.query)
			if strings.Join(got, " | ") != strings.Join(c.pages, " | ") {
				t.Errorf("got pages %q, want %q", got, c.pages)
			}
		})
	}

	t.Run("fields", func(t *testing.T) {
		f.t = t
		p, _ := f.list("C001", "number=F-2026-001&numberMatch=exact")
		it := p.Items[0]
		if it.ID != documents.EncodeID("2026-11-20#F-2026-001") || it.Type != "invoice" || it.IssueDate != "2026-11-20" ||
			*it.Amount != "1440.00" || *it.Currency != "EUR" || it.Duplicate || it.Copy || it.Profile != nil ||
			it.ExpiresAt != "2028-11-20T22:59:59Z" || it.DownloadedAt != nil {
			t.Errorf("got %+v", it)
		}
		p, _ = f.list("C002", "")
		if p.numbers() != "X-2026-001" || !p.Items[0].Duplicate {
			t.Errorf("paper customer C002: got %+v", p.Items)
		}
	})

	t.Run("display-history preference", func(t *testing.T) {
		f.t = t
		twelve := 12
		if err := f.st.Apply(context.Background(), accounts.Update{Identifier: "pierre.durand@example.fr", Set: accounts.Fields{HistoryMonths: &twelve}}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			three := 3
			f.st.Apply(context.Background(), accounts.Update{Identifier: "pierre.durand@example.fr", Set: accounts.Fields{HistoryMonths: &three}})
		}()
		p, _ := f.list("C001", "")
		if got := p.numbers(); got != "F-2026-001,A-2026-001,F-2026-002,F-2026-003,A-2026-002,F-2026-004,F-2026-005,=1+2,F-2025-100" {
			t.Errorf("got %s", got)
		}
	})

	t.Run("expired documents still stored", func(t *testing.T) {
		f.t = t
		for _, k := range []string{"2024-11-20#F-2024-900", "2024-11-25#F-2024-901"} {
			if it := f.item(f.env.DocumentsTable, pk("acme#C001", k)); it == nil {
				t.Fatalf("%s is gone; the test needs it present, as TTL leaves it for days", k)
			}
		}
	})

	t.Run("calls per page", func(t *testing.T) {
		f.t = t
		cursor := docsCursor(t, f) // also reads the space, cached a minute per container
		f.calls.take()
		p, _ := f.list("C001", "limit=2&cursor="+url.QueryEscape(*cursor))
		calls := f.calls.take()
		t.Logf("DynamoDB calls of a listing page with a live session: %v (%d items)", calls, len(p.Items))
		if calls["Query"] != 1 || len(calls) > 2 || calls["GetItem"] > 2 {
			t.Errorf("got %v, want one Query besides the session's two reads", calls)
		}
	})

	t.Run("bad requests", func(t *testing.T) {
		f.t = t
		first, _ := f.list("C001", "limit=2")
		cursor := *first.NextCursor
		edited := []byte(cursor)
		edited[5] ^= 0x01
		numberPage, _ := f.list("C001", "number=F&limit=1")
		for name, q := range map[string]string{
			"limit 0":                 "limit=0",
			"limit 201":               "limit=201",
			"limit not a number":      "limit=lots",
			"unknown type":            "type=receipt",
			"bad date":                "from=2026-13-01",
			"from after to":           "from=2026-11-02&to=2026-11-01",
			"unknown match":           "number=F&numberMatch=fuzzy",
			"edited cursor":           "limit=2&cursor=" + url.QueryEscape(string(edited)),
			"cursor with other type":  "limit=2&type=invoice&cursor=" + url.QueryEscape(cursor),
			"cursor with a period":    "limit=2&from=2026-01-01&cursor=" + url.QueryEscape(cursor),
			"date cursor for numbers": "number=F&limit=1&cursor=" + url.QueryEscape(cursor),
			"number cursor for dates": "limit=1&cursor=" + url.QueryEscape(*numberPage.NextCursor),
		} {
			if _, status := f.list("C001", q); status != http.StatusBadRequest {
				t.Errorf("%s: got %d, want 400", name, status)
			}
		}
		if _, status := f.list("C002", "limit=2&cursor="+url.QueryEscape(cursor)); status != http.StatusBadRequest {
			t.Errorf("another company's cursor: got %d, want 400", status)
		}
		if _, status := f.list("", ""); status != http.StatusUnauthorized {
			t.Errorf("no session: got %d, want 401", status)
		}
	})
}

func docsCursor(t *testing.T, f *docsFixture) *string {
	t.Helper()
	p, _ := f.list("C001", "limit=2")
	if p.NextCursor == nil {
		t.Fatal("no cursor on a first page of two")
	}
	return p.NextCursor
}

func TestDocumentDownload(t *testing.T) {
	f := newDocsFixture(t)
	ctx := context.Background()
	doc := f.docs["F-2026-001"]

	// A cross-site navigation (a link or image on another site) carries the session
	// cookie of a signed-in customer: it is refused before anything is written.
	cross := httptest.NewRequest("GET", "/api/documents/"+doc.ID()+"/download", nil)
	cross.AddCookie(&http.Cookie{Name: "__Host-efacture_session", Value: f.session["C001"]})
	cross.Header.Set("Sec-Fetch-Site", "cross-site")
	cross.Header.Set(httpapi.OriginHeader, f.denv.OriginVerify)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, cross)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"code":"forbidden"`) || w.Header().Get("Location") != "" {
		t.Fatalf("cross-site download: got %d %s, want 403 forbidden", w.Code, w.Body)
	}
	if it := f.item(f.env.DocumentsTable, pk("acme#C001", doc.SortKey())); it["downloadedAt"] != nil {
		t.Errorf("cross-site download: got downloadedAt %v, want none", it["downloadedAt"])
	}
	if entries, _, err := f.st.AuditPage(ctx, "acme#C001", "", 10); err != nil || len(entries) != 0 {
		t.Errorf("cross-site download: got audit entries %+v (%v), want none", entries, err)
	}

	res := f.do("C001", "GET", "/api/documents/"+doc.ID()+"/download", "")
	if res.StatusCode != http.StatusFound {
		t.Fatalf("got %d, want 302", res.StatusCode)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	q := loc.Query()
	if localaws.CheckEndpoint(loc.Scheme+"://"+loc.Host) != nil || loc.Path != "/"+f.env.ArchiveBucket+"/"+doc.ArchiveKey {
		t.Errorf("got URL %s://%s%s, want the archive object on the emulator", loc.Scheme, loc.Host, loc.Path)
	}
	if q.Get("X-Amz-Expires") != "60" || q.Get("response-content-type") != "application/pdf" ||
		q.Get("response-content-disposition") != `attachment; filename="F-2026-001.pdf"; filename*=UTF-8''F-2026-001.pdf` ||
		q.Get("X-Amz-Signature") == "" {
		t.Errorf("got presigned query %v", q)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q", got)
	}
	got := fetchPresigned(t, loc.String())
	if want := f.read(f.env.ArchiveBucket, doc.ArchiveKey); !bytes.Equal(got, want) || !bytes.HasPrefix(got, []byte("%PDF-")) {
		t.Errorf("the presigned URL served %d bytes, not the archived PDF", len(got))
	}

	it := f.item(f.env.DocumentsTable, pk("acme#C001", doc.SortKey()))
	if it["downloadedAt"] != "2026-11-26T10:00:00Z" {
		t.Errorf("got downloadedAt %v, want the first download's time", it["downloadedAt"])
	}
	f.now = f.now.Add(10 * time.Minute) // within the session's idle time
	if res := f.do("C001", "GET", "/api/documents/"+doc.ID()+"/download", ""); res.StatusCode != http.StatusFound {
		t.Fatalf("second download: got %d", res.StatusCode)
	}
	if it := f.item(f.env.DocumentsTable, pk("acme#C001", doc.SortKey())); it["downloadedAt"] != "2026-11-26T10:00:00Z" {
		t.Errorf("second download: got downloadedAt %v, want the first one's", it["downloadedAt"])
	}
	p, _ := f.list("C001", "number=F-2026-001&numberMatch=exact")
	if d := p.Items[0].DownloadedAt; d == nil || *d != "2026-11-26T10:00:00Z" {
		t.Errorf("listing: got downloadedAt %v", d)
	}
	entries, _, err := f.st.AuditPage(ctx, "acme#C001", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	downloads := 0
	for _, e := range entries {
		if e.Action == audit.ActionDownload && e.Actor == "pierre.durand@example.fr" && e.Target == "F-2026-001" {
			downloads++
		}
	}
	if downloads != 2 {
		t.Errorf("got %d download audit entries, want 2: %+v", downloads, entries)
	}

	t.Run("foreign, unknown and expired answer the same 404", func(t *testing.T) {
		var bodies []string
		for name, id := range map[string]string{
			"foreign":   f.docs["X-2026-001"].ID(),
			"unknown":   documents.EncodeID("2026-11-20#F-9999"),
			"expired":   f.docs["F-2024-900"].ID(),
			"malformed": "not-an-id",
		} {
			res := f.do("C001", "GET", "/api/documents/"+id+"/download", "")
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusNotFound || res.Header.Get("Location") != "" {
				t.Errorf("%s: got %d %s", name, res.StatusCode, b)
			}
			bodies = append(bodies, string(b))
		}
		for _, b := range bodies[1:] {
			if b != bodies[0] {
				t.Errorf("got different 404 bodies %q and %q", bodies[0], b)
			}
		}
		if it := f.item(f.env.DocumentsTable, pk("acme#C002", f.docs["X-2026-001"].SortKey())); it["downloadedAt"] != nil {
			t.Errorf("a refused download marked the foreign document downloaded")
		}
	})

	t.Run("through the Lambda handler", func(t *testing.T) {
		h := docsLambda(t, f)
		ev := events.APIGatewayV2HTTPRequest{
			Version: "2.0", RouteKey: "GET /api/documents/{id}/download", RawPath: "/api/documents/" + doc.ID() + "/download",
			Cookies: []string{"__Host-efacture_session=" + f.session["C001"]},
			Headers: map[string]string{"host": "api.example", "x-origin-verify": f.denv.OriginVerify},
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: "GET", Path: "/api/documents/" + doc.ID() + "/download", SourceIP: "192.0.2.1"}},
		}
		out, err := h(ctx, ev)
		if err != nil {
			t.Fatal(err)
		}
		if out.StatusCode != http.StatusFound || !strings.Contains(out.Headers["Location"], "X-Amz-Expires=60") {
			t.Errorf("got %d %v", out.StatusCode, out.Headers)
		}
	})
}

// docsLambda is the documents function's Lambda handler on the fixture's emulators.
func docsLambda(t *testing.T, f *docsFixture) apigw.LambdaHandler {
	t.Helper()
	return build[apigw.LambdaHandler](t, app.DocumentsFunction, f.denv, app.NewClients(f.aws.Config, f.aws.SESConfig), app.Options{Now: func() time.Time { return f.now }})
}

func fetchPresigned(t *testing.T, u string) []byte {
	t.Helper()
	if err := localaws.CheckEndpoint(u); err != nil {
		t.Fatalf("refusing to fetch %s: %v", u, err)
	}
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET presigned URL: got %d", res.StatusCode)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// link stores a no-login link mailed to email, the registered admin identifier's address.
func (f *docsFixture) link(identifier, email, customer string, d documents.Document, expires time.Time) string {
	f.t.Helper()
	token, hash := tokens.New()
	err := f.st.PutLinkToken(context.Background(), tokens.Record{
		Hash: hash, Kind: tokens.KindLink, Space: "acme", Email: email, Identifier: identifier, CustomerNumber: customer,
		DocumentSK: d.SortKey(), ExpiresAt: expires,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return token
}

func TestNoLoginLinks(t *testing.T) {
	f := newDocsFixture(t)
	ctx := context.Background()
	doc := f.docs["F-2026-001"]
	const pierre = "pierre.durand@example.fr"
	valid := f.link(pierre, pierre, "C001", doc, f.now.Add(14*24*time.Hour))

	for i := 1; i <= 20; i++ {
		res := f.do("", "GET", "/api/links/"+valid, "")
		if res.StatusCode != http.StatusFound {
			t.Fatalf("use %d: got %d, want 302 (links are reusable until they expire)", i, res.StatusCode)
		}
		if i == 1 {
			if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
				t.Errorf("got Referrer-Policy %q, want no-referrer", got)
			}
			loc := res.Header.Get("Location")
			u, _ := url.Parse(loc)
			if u.Query().Get("X-Amz-Expires") != "60" || u.Path != "/"+f.env.ArchiveBucket+"/"+doc.ArchiveKey {
				t.Errorf("got Location %s", loc)
			}
			if got := fetchPresigned(t, loc); !bytes.HasPrefix(got, []byte("%PDF-")) {
				t.Error("the link's URL did not serve the PDF")
			}
		}
	}
	res := f.do("", "GET", "/api/links/"+valid, "")
	if res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("21st use in the hour: got %d, want 429", res.StatusCode)
	}
	f.now = f.now.Add(time.Hour)
	if res := f.do("", "GET", "/api/links/"+valid, ""); res.StatusCode != http.StatusFound {
		t.Errorf("first use of the next hour: got %d, want 302", res.StatusCode)
	}
	if it := f.item(f.env.DocumentsTable, pk("acme#C001", doc.SortKey())); it["downloadedAt"] != nil {
		t.Errorf("link uses set downloadedAt %v; the new badge is about portal downloads", it["downloadedAt"])
	}
	entries, _, err := f.st.AuditPage(ctx, "acme#C001", "", 50)
	if err != nil {
		t.Fatal(err)
	}
	uses := 0
	for _, e := range entries {
		if e.Action == audit.ActionLinkUse && e.Target == "F-2026-001" && e.Detail == "pierre.durand@example.fr" {
			uses++
		}
	}
	if uses != 21 {
		t.Errorf("got %d link-use audit entries, want 21 (refused uses are not downloads)", uses)
	}

	unknown, _ := tokens.New()
	c002 := f.link("pierre.durand_1", "Pierre.Durand@example.fr", "C002", f.docs["X-2026-001"], f.now.Add(time.Hour))
	cases := map[string]string{
		"expired link":     f.link(pierre, pierre, "C001", doc, f.now.Add(-time.Second)),
		"expired document": f.link(pierre, pierre, "C001", f.docs["F-2024-900"], f.now.Add(time.Hour)),
		"unknown token":    unknown,
		"malformed token":  "abc",
		// Mailed to an address the referential has since replaced.
		"address moved away": f.link(pierre, "ancienne.adresse@example.fr", "C001", doc, f.now.Add(time.Hour)),
	}
	if err := f.st.PutLinkToken(ctx, tokens.Record{Hash: unknown, Kind: tokens.KindActivation}); err == nil {
		t.Error("PutLinkToken stored an activation token")
	}
	// A link belongs to its address, not to the account: the account it was bound to
	// being deactivated leaves it working while the address is still registered.
	inactive := false
	if err := f.st.Apply(ctx, accounts.Update{Identifier: "pierre.durand_1", Set: accounts.Fields{Active: &inactive}, EndSessions: true}); err != nil {
		t.Fatal(err)
	}
	if res := f.do("", "GET", "/api/links/"+c002, ""); res.StatusCode != http.StatusFound {
		t.Fatalf("C002's link after its account was deactivated, address unchanged: got %d, want 302", res.StatusCode)
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			res := f.do("", "GET", "/api/links/"+token, "")
			if res.StatusCode != http.StatusGone || docsErrorCode(t, res) != "link_expired" {
				t.Errorf("got %d, want 410 link_expired", res.StatusCode)
			}
		})
	}
}

// TestNoLoginLinkRefusesCrossSite: a link use counts against the token's hourly budget
// and is audited, so a cross-site request (another site's link, image or script) is
// refused before anything is read or written; the portal's link page reaches the link
// same-origin (PRODUCT.md §6).
func TestNoLoginLinkRefusesCrossSite(t *testing.T) {
	f := newDocsFixture(t)
	token := f.link("pierre.durand@example.fr", "pierre.durand@example.fr", "C001", f.docs["F-2026-001"], f.now.Add(14*24*time.Hour))
	use := func(site string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/api/links/"+token, nil)
		r.Header.Set(httpapi.OriginHeader, f.denv.OriginVerify) // as CloudFront adds it
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		return w
	}
	if w := use("same-origin"); w.Code != http.StatusFound {
		t.Fatalf("same-origin use: got %d %s, want 302", w.Code, w.Body)
	}
	snapshot := func() string {
		var b strings.Builder
		for _, table := range []string{f.env.MainTable, f.env.DocumentsTable} {
			out, err := f.aws.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			var items []map[string]any
			attributevalue.UnmarshalListOfMaps(out.Items, &items)
			sort.Slice(items, func(i, j int) bool {
				return fmt.Sprint(items[i]["pk"], items[i]["sk"]) < fmt.Sprint(items[j]["pk"], items[j]["sk"])
			})
			fmt.Fprintf(&b, "%s: %v\n", table, items)
		}
		return b.String()
	}
	before := snapshot()
	if !strings.Contains(before, "RATE#link#") || !strings.Contains(before, "link_use") {
		t.Fatalf("after one use, want the use counted and audited:\n%s", before)
	}
	for i := 0; i < 3; i++ {
		w := use("cross-site")
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"code":"forbidden"`) || w.Header().Get("Location") != "" {
			t.Fatalf("cross-site use: got %d %s, want 403 forbidden", w.Code, w.Body)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("cross-site uses changed the tables:\nbefore %s\nafter  %s", before, after)
	}
	// Same-site (another subdomain) and direct navigations (typed, bookmarked) still work.
	for _, site := range []string{"same-site", "none", ""} {
		if w := use(site); w.Code != http.StatusFound {
			t.Errorf("Sec-Fetch-Site %q: got %d, want 302", site, w.Code)
		}
	}
}

func docsErrorCode(t *testing.T, res *http.Response) string {
	t.Helper()
	var body struct{ Error struct{ Code string } }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Error.Code
}

// runExports delivers ExportsQueue's messages to the exports function as Lambda would.
func (f *docsFixture) runExports() {
	f.t.Helper()
	for i := 0; i < 10; i++ {
		failed, ok := f.deliverExport(0)
		if !ok {
			return
		}
		if failed {
			f.t.Fatal("the exports function reported a failure")
		}
	}
	f.t.Fatal("exports queue never drained")
}

// deliverExport delivers ExportsQueue's next message, as its receive'th delivery when
// receive is set, and deletes it unless the function reported it failed; ok is false
// when none was queued.
func (f *docsFixture) deliverExport(receive int) (failed, ok bool) {
	f.t.Helper()
	ctx := context.Background()
	queue := f.aws.Stack.QueueURL("ExportsQueue")
	out, err := f.aws.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl: &queue, MaxNumberOfMessages: 1, WaitTimeSeconds: 1, VisibilityTimeout: 30,
		MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(out.Messages) == 0 {
		return false, false
	}
	msg := eventsource.NormalizeSQSMessage(out.Messages[0], f.aws.Stack.QueueARN("ExportsQueue"))
	if receive > 0 {
		msg.Attributes["ApproximateReceiveCount"] = strconv.Itoa(receive)
	}
	resp, err := f.handleExport(ctx, events.SQSEvent{Records: []events.SQSMessage{msg}})
	if err != nil {
		f.t.Fatalf("exports function: %v", err)
	}
	if len(resp.BatchItemFailures) > 0 {
		// Visible again at once rather than after the visibility timeout.
		f.aws.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &queue, ReceiptHandle: out.Messages[0].ReceiptHandle})
		return true, true
	}
	f.aws.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &queue, ReceiptHandle: out.Messages[0].ReceiptHandle})
	return false, true
}

type docsExport struct {
	ID, Status string
	URL        *string
	ExpiresAt  *string
}

func (f *docsFixture) requestExport(customer, body string) (docsExport, int) {
	f.t.Helper()
	res := f.do(customer, "POST", "/api/exports", body)
	var e docsExport
	if res.StatusCode == http.StatusAccepted {
		json.NewDecoder(res.Body).Decode(&e)
	}
	return e, res.StatusCode
}

func (f *docsFixture) exportStatus(customer, id string) (docsExport, int) {
	f.t.Helper()
	res := f.do(customer, "GET", "/api/exports/"+id, "")
	var e docsExport
	if res.StatusCode == http.StatusOK {
		json.NewDecoder(res.Body).Decode(&e)
	}
	return e, res.StatusCode
}

func TestExports(t *testing.T) {
	f := newDocsFixture(t)
	ids := func(numbers ...string) string {
		var q []string
		for _, n := range numbers {
			q = append(q, `"`+f.docs[n].ID()+`"`)
		}
		return "[" + strings.Join(q, ",") + "]"
	}

	zipReq, status := f.requestExport("C001", `{"ids":`+ids("F-2026-001", "A-2026-001")+`,"format":"zip"}`)
	if status != http.StatusAccepted || zipReq.Status != "pending" || zipReq.ID == "" {
		t.Fatalf("zip request: got %d %+v", status, zipReq)
	}
	csvReq, status := f.requestExport("C001", `{"from":"2026-07-01","to":"2026-09-30","format":"csv"}`)
	if status != http.StatusAccepted {
		t.Fatalf("csv request: got %d", status)
	}
	if e, _ := f.exportStatus("C001", zipReq.ID); e.Status != "pending" || e.URL != nil {
		t.Errorf("before the build: got %+v", e)
	}
	f.runExports()

	t.Run("zip", func(t *testing.T) {
		e, status := f.exportStatus("C001", zipReq.ID)
		if status != http.StatusOK || e.Status != "ready" || e.URL == nil || e.ExpiresAt == nil || *e.ExpiresAt != "2026-11-27T10:00:00Z" {
			t.Fatalf("got %d %+v", status, e)
		}
		u, _ := url.Parse(*e.URL)
		q := u.Query()
		if q.Get("X-Amz-Expires") != "300" || q.Get("response-content-type") != "application/zip" ||
			!strings.HasPrefix(q.Get("response-content-disposition"), `attachment; filename="documents-2026-11-26.zip"`) ||
			u.Path != "/"+f.env.ArchiveBucket+"/exports/acme/C001/"+zipReq.ID+".zip" {
			t.Errorf("got URL %s", *e.URL)
		}
		body := fetchPresigned(t, *e.URL)
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, z := range zr.File {
			names = append(names, z.Name)
			if strings.HasSuffix(z.Name, ".pdf") {
				number := strings.TrimSuffix(z.Name, ".pdf")
				if got := docsZipEntry(t, z); !bytes.Equal(got, f.read(f.env.ArchiveBucket, f.docs[number].ArchiveKey)) {
					t.Errorf("%s differs from the archived PDF", z.Name)
				}
			}
		}
		if strings.Join(names, ",") != "F-2026-001.pdf,A-2026-001.pdf,index.csv" {
			t.Fatalf("got entries %v", names)
		}
		rows := docsCSV(t, docsZipEntry(t, zr.File[2]))
		if len(rows) != 3 || rows[0][0] != "Numéro" || rows[0][8] != "Fichier" ||
			strings.Join(rows[1], "|") != "F-2026-001|Facture|2026-11-20|1440,00|EUR|non|2028-11-20||F-2026-001.pdf" ||
			strings.Join(rows[2], "|") != "A-2026-001|Avoir|2026-11-10|-120,50|EUR|non|2028-11-10||A-2026-001.pdf" {
			t.Errorf("got index %q", rows)
		}
	})

	t.Run("csv", func(t *testing.T) {
		e, _ := f.exportStatus("C001", csvReq.ID)
		if e.Status != "ready" || e.URL == nil {
			t.Fatalf("got %+v", e)
		}
		u, _ := url.Parse(*e.URL)
		if u.Query().Get("response-content-type") != "text/csv; charset=utf-8" {
			t.Errorf("got content type %q", u.Query().Get("response-content-type"))
		}
		body := fetchPresigned(t, *e.URL)
		if !bytes.HasPrefix(body, []byte("\ufeffNuméro;Type;Date d'émission;Montant;Devise;Duplicata;Expire le;Téléchargé le\r\n")) {
			t.Fatalf("got head %q", body[:min(len(body), 120)])
		}
		rows := docsCSV(t, body)
		var got []string
		for _, r := range rows[1:] {
			got = append(got, r[0]+" "+r[3])
		}
		if want := "A-2026-002 -30,00|F-2026-004 40,00|F-2026-005 50,00|'=1+2 60,00"; strings.Join(got, "|") != want {
			t.Errorf("got rows %q, want %q", strings.Join(got, "|"), want)
		}
	})

	t.Run("another company's export", func(t *testing.T) {
		if _, status := f.exportStatus("C002", zipReq.ID); status != http.StatusNotFound {
			t.Errorf("got %d, want 404", status)
		}
		if _, status := f.exportStatus("C001", "unknown-export"); status != http.StatusNotFound {
			t.Errorf("unknown: got %d, want 404", status)
		}
	})

	t.Run("expires after a day", func(t *testing.T) {
		f.t = t
		defer func(at time.Time) { f.now = at; f.signIn("C001") }(f.now)
		f.now = f.now.Add(24 * time.Hour)
		f.signIn("C001")
		if _, status := f.exportStatus("C001", zipReq.ID); status != http.StatusNotFound {
			t.Errorf("got %d, want 404", status)
		}
	})

	t.Run("refused", func(t *testing.T) {
		for name, c := range map[string]struct {
			customer, body string
			status         int
		}{
			"zip over the document limit": {"C001", `{"ids":` + ids("F-2026-001", "A-2026-001", "F-2026-002", "F-2026-003") + `,"format":"zip"}`, 413},
			"zip period over the limit":   {"C001", `{"format":"zip"}`, 413},
			"csv over the row limit":      {"C001", `{"from":"2024-01-01","format":"csv"}`, 413},
			"foreign id":                  {"C002", `{"ids":` + ids("F-2026-001") + `,"format":"zip"}`, 404},
			"expired id":                  {"C001", `{"ids":` + ids("F-2024-900") + `,"format":"zip"}`, 404},
			"ids and period":              {"C001", `{"ids":` + ids("F-2026-001") + `,"from":"2026-01-01","format":"zip"}`, 400},
			"unknown format":              {"C001", `{"format":"xlsx"}`, 400},
			"unknown field":               {"C001", `{"format":"csv","customerNumber":"C002"}`, 400},
		} {
			if _, status := f.requestExport(c.customer, c.body); status != c.status {
				t.Errorf("%s: got %d, want %d", name, status, c.status)
			}
		}
		out, err := f.aws.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{
			QueueUrl: docsStr(f.aws.Stack.QueueURL("ExportsQueue")), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)]; n != "0" {
			t.Errorf("refused requests queued %s messages", n)
		}
	})
}

func docsStr(s string) *string { return &s }

func docsZipEntry(t *testing.T, z *zip.File) []byte {
	t.Helper()
	rc, err := z.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func docsCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestPurgeOnTTLDeletion(t *testing.T) {
	f := newDocsFixture(t)
	ctx := context.Background()
	stream := eventsource.NewStreamReader(f.aws.Streams, f.aws.Stack.StreamARN("DocumentsTable"))
	src := f.aws.Stack.Functions()["PurgeFunction"].Streams
	if len(src) != 1 || src[0].TableID != "DocumentsTable" || len(src[0].Filters) != 1 {
		t.Fatalf("got PurgeFunction stream sources %+v, want one filtered source on DocumentsTable", src)
	}
	drain := func() []events.DynamoDBEventRecord {
		t.Helper()
		recs, err := stream.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	drain()
	delivered := func(r events.DynamoDBEventRecord) bool {
		ok, err := eventsource.MatchFilter(src[0].Filters[0], r)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	exists := func(key string) bool {
		_, err := f.aws.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &f.env.ArchiveBucket, Key: &key})
		return err == nil
	}
	purge := build[lambdaevents.StreamHandler](t, app.PurgeFunction, f.env, f.clients, app.Options{})
	removeOf := func(d documents.Document) events.DynamoDBEventRecord {
		t.Helper()
		if _, err := f.aws.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &f.env.DocumentsTable, Key: pk(documents.Company(d.Space, d.CustomerNumber), d.SortKey())}); err != nil {
			t.Fatal(err)
		}
		for _, r := range drain() {
			if r.EventName == "REMOVE" {
				return r
			}
		}
		t.Fatal("no REMOVE record on the documents stream")
		return events.DynamoDBEventRecord{}
	}

	byHand := f.docs["F-2026-003"]
	rec := removeOf(byHand)
	if rec.UserIdentity != nil || delivered(rec) {
		t.Errorf("a person's DeleteItem: got identity %+v, delivered %v; want no identity and no delivery", rec.UserIdentity, delivered(rec))
	}
	// Were the filter ever lost, the function still refuses it.
	if resp, err := purge(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}}); err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("got %v %+v", err, resp)
	}
	if !exists(byHand.ArchiveKey) {
		t.Error("a person's deletion purged the archived PDF")
	}

	expired := f.docs["F-2024-900"]
	rec = removeOf(expired)
	// moto's TTL never deletes: the record is the REMOVE a TTL deletion produces, with
	// the identity DynamoDB gives it.
	rec.UserIdentity = &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}
	if !delivered(rec) {
		t.Fatal("the template's filter does not deliver a TTL deletion")
	}
	for i := 0; i < 2; i++ {
		resp, err := purge(ctx, events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{rec}})
		if err != nil || len(resp.BatchItemFailures) > 0 {
			t.Fatalf("delivery %d: got %v %+v", i+1, err, resp)
		}
	}
	if exists(expired.ArchiveKey) {
		t.Error("the TTL deletion left the archived PDF")
	}
	if !exists(f.docs["F-2026-001"].ArchiveKey) {
		t.Error("the purge deleted another document's PDF")
	}
}
