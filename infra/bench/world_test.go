package bench_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/infra/bench"
	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/httpapi"
)

// spaceID is the benchmarks' space; its defaults keep documents 24 months.
const spaceID = "bench"

// world is the project's stack on a private moto: the template provisioned under a fresh
// prefix, the functions' handlers built by the same constructors as the mains, and plain
// SDK clients for the floors. Every client reports its calls to calls.
type world struct {
	stack  *localaws.Stack
	cfg    aws.Config // counted: handlers and floors
	plain  aws.Config // uncounted: seeding
	calls  *bench.Calls
	tables struct{ main, documents, outbox string }
	envs   map[string]app.Env
	opts   app.Options
	now    time.Time
	space  spaces.Space

	db      *dynamodb.Client // the floors' clients
	s3      *s3.Client
	presign *s3.PresignClient
	st      *dynamo.Store    // seeding, uncounted
	seedDB  *dynamodb.Client // seeding, uncounted

	mu       sync.Mutex
	handlers map[string]apigw.LambdaHandler

	// The fixtures of the benchmarks using this world, made on first use.
	dl   *downloads
	ls   *listings
	in   *ingests
	lg   *logins
	runs int // timed runs served, for freshWorld
}

var (
	motoOnce sync.Once
	motoProc *localaws.Process
	motoErr  error

	worldsMu sync.Mutex
	worlds   = map[string]*world{}
)

// TestMain runs the unit tests alone unless benchmarks are asked for; only then does it
// need moto, which it stops at the end if it started it.
func TestMain(m *testing.M) {
	if mode := os.Getenv("BENCH_FAKE_FUNCTION"); mode != "" {
		fakeFunction(mode)
		return
	}
	flag.Parse()
	code := m.Run()
	if motoProc != nil && motoProc.Started() {
		motoProc.Stop()
	}
	if loopDir != "" {
		os.RemoveAll(loopDir)
	}
	os.Exit(code)
}

// moto is the moto at BENCH_MOTO_URL (make bench starts one for the whole run), or one
// started for this process. Nothing here ever resets it: each world provisions its own
// resources under a fresh prefix.
func moto() (*localaws.Process, error) {
	motoOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if u := os.Getenv("BENCH_MOTO_URL"); u != "" {
			motoProc, motoErr = localaws.Attach(ctx, "moto", u, "/moto-api/")
			return
		}
		motoProc, motoErr = localaws.StartMoto(ctx, 0)
	})
	return motoProc, motoErr
}

// getWorld returns the world of a group of benchmarks, provisioned on first use. Groups
// have their own tables because moto copies a whole table for every transaction and
// scans a whole table for every Query: one group's volume would slow another's calls.
func getWorld(b *testing.B, name string) *world {
	b.Helper()
	worldsMu.Lock()
	defer worldsMu.Unlock()
	if w, ok := worlds[name]; ok {
		return w
	}
	w, err := newWorld()
	if err != nil {
		b.Fatalf("local stack: %v", err)
	}
	worlds[name] = w
	return w
}

// freshWorld is getWorld for benchmarks that fill their tables: moto copies every table
// a transaction touches, stream records included, so a run on tables the previous runs
// filled would be slower than the one before. Each timed run (b.N > 1) after the first
// gets new tables.
func freshWorld(b *testing.B, name string) *world {
	b.Helper()
	worldsMu.Lock()
	defer worldsMu.Unlock()
	w := worlds[name]
	if w == nil || (b.N > 1 && w.runs > 0) {
		var err error
		if w, err = newWorld(); err != nil {
			b.Fatalf("local stack: %v", err)
		}
		worlds[name] = w
	}
	if b.N > 1 {
		w.runs++
	}
	return w
}

// newWorld provisions the template under a fresh prefix on moto.
func newWorld() (*world, error) {
	m, err := moto()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := &world{envs: map[string]app.Env{}, handlers: map[string]apigw.LambdaHandler{}}
	if w.plain, err = localaws.Config(ctx, m.URL); err != nil {
		return nil, err
	}
	root, err := localaws.RepoRoot()
	if err != nil {
		return nil, err
	}
	tpl := filepath.Join(root, "template.yaml")
	params, err := localaws.LocalParams(tpl, nil)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 4)
	rand.Read(b)
	if w.stack, err = localaws.Provision(ctx, w.plain, tpl, "b"+hex.EncodeToString(b), params); err != nil {
		return nil, err
	}
	for _, id := range []string{"AuthFunction", "DocumentsFunction", "IngestFunction"} {
		fn := w.stack.FunctionEnv(id)
		e, err := app.EnvFrom(func(k string) string { return fn[k] })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", id, err)
		}
		w.envs[id] = e
	}
	e := w.envs["DocumentsFunction"]
	w.tables.main, w.tables.documents, w.tables.outbox = e.MainTable, e.DocumentsTable, e.OutboxTable
	w.calls = bench.NewCalls(map[string]string{e.MainTable: "main", e.DocumentsTable: "documents", e.OutboxTable: "outbox"})
	w.cfg = w.plain.Copy()
	w.calls.Install(&w.cfg)

	// One instant for the whole run: sessions never idle out, counters share a window.
	w.now = time.Now().UTC().Truncate(time.Second)
	w.opts = app.Options{
		Now: func() time.Time { return w.now },
		// Logs are formatted as in Lambda, then dropped.
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
	}
	w.db = dynamodb.NewFromConfig(w.cfg)
	w.s3 = localaws.NewS3(w.cfg)
	w.presign = s3.NewPresignClient(w.s3)
	plainClients := app.NewClients(w.plain, w.plain)
	w.st = app.Store(e, plainClients, w.opts)
	w.seedDB = plainClients.DynamoDB

	f, err := spaces.Parse(strings.NewReader(`{"spaces":[{"id":"` + spaceID + `","name":"Bench","since":"2020-01-01"}]}`))
	if err != nil {
		return nil, err
	}
	w.space = f.Spaces[0]
	if err := w.st.PutSpace(ctx, w.space); err != nil {
		return nil, err
	}
	return w, nil
}

// clients are the functions' clients on the counted configuration.
func (w *world) clients() app.Clients { return app.NewClients(w.cfg, w.cfg) }

// handler returns the Lambda handler of an API function, built once, as its main builds it.
func (w *world) handler(b *testing.B, function string, o app.Options) apigw.LambdaHandler {
	b.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if h, ok := w.handlers[function]; ok {
		return h
	}
	var h any
	var err error
	switch function {
	case "AuthFunction":
		h, err = app.AuthFunction(w.envs[function], w.clients(), o)
	case "DocumentsFunction":
		h, err = app.DocumentsFunction(w.envs[function], w.clients(), o)
	default:
		err = fmt.Errorf("no handler for %s", function)
	}
	if err != nil {
		b.Fatal(err)
	}
	w.handlers[function] = h.(apigw.LambdaHandler)
	return w.handlers[function]
}

// company creates a customer and its admin account, optionally with a password, and
// returns the account.
func (w *world) company(b *testing.B, customer, identifier, pw string) accounts.Account {
	b.Helper()
	ctx := context.Background()
	if err := w.st.ApplyCustomer(ctx, customers.Customer{
		Space: spaceID, Number: customer, CompanyName: "Client " + customer, Notification: customers.NotifyNone,
		Language: "fr",
	}, w.now); err != nil {
		b.Fatal(err)
	}
	a := accounts.Account{
		Identifier: identifier, Space: spaceID, CustomerNumber: customer, Email: identifier, Active: true,
		Admin: true, Profile: w.space.Profiles[0], HistoryMonths: 24, Language: "fr", CreatedAt: w.now,
	}
	if pw != "" {
		h, err := password.Hasher{Params: password.Default}.Hash(pw)
		if err != nil {
			b.Fatal(err)
		}
		a.PasswordHash = h
	}
	company := documents.Company(spaceID, customer)
	err := w.st.CreateAccount(ctx, a, audit.New(company, w.now, "", audit.ActionUserCreated, identifier, "", w.now.AddDate(2, 0, 0)))
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// signIn starts a session of a, as a login does, and returns its cookie value.
func (w *world) signIn(b *testing.B, a accounts.Account) string {
	b.Helper()
	id, sess := sessions.New(a.Identifier, a.Space, a.CustomerNumber, a.SessionEpoch, w.now, sessions.DefaultPolicy)
	if err := w.st.Apply(context.Background(), accounts.Update{Identifier: a.Identifier, StartSession: &sess}); err != nil {
		b.Fatal(err)
	}
	return id
}

// docItem is a documents-table item as ingestion writes it (docs/DATA.md).
type docItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	ID         string    `dynamodbav:"id"`
	Space      string    `dynamodbav:"space"`
	Customer   string    `dynamodbav:"customerNumber"`
	Number     string    `dynamodbav:"number"`
	Type       string    `dynamodbav:"type"`
	IssueDate  string    `dynamodbav:"issueDate"`
	Amount     string    `dynamodbav:"amount"`
	Currency   string    `dynamodbav:"currency"`
	Duplicate  bool      `dynamodbav:"duplicate"`
	Copy       bool      `dynamodbav:"copy"`
	SHA256     string    `dynamodbav:"sha256"`
	Size       int64     `dynamodbav:"size"`
	ArchiveKey string    `dynamodbav:"archiveKey"`
	SourceKey  string    `dynamodbav:"sourceKey"`
	IngestedAt time.Time `dynamodbav:"ingestedAt"`
	ExpiresAt  time.Time `dynamodbav:"expiresAt"`
	TTL        int64     `dynamodbav:"ttl"`
}

// seedDocuments writes n documents of a customer, numbered from first, straight into the
// documents table with BatchWriteItem, issued every 700/n days back from today (inside
// the 24-month retention and display history), newest first in the returned sort keys.
func (w *world) seedDocuments(b *testing.B, customer string, first, n int) []string {
	b.Helper()
	ctx := context.Background()
	today, _ := time.Parse(time.DateOnly, w.space.Today(w.now))
	company := documents.Company(spaceID, customer)
	sks := make([]string, n)
	var reqs []types.WriteRequest
	flush := func() {
		pending := map[string][]types.WriteRequest{w.tables.documents: reqs}
		for tries := 0; len(pending) > 0; tries++ {
			if tries == 10 {
				b.Fatal("BatchWriteItem left items unprocessed 10 times")
			}
			out, err := w.seedDB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				b.Fatal(err)
			}
			pending = out.UnprocessedItems
		}
		reqs = nil
	}
	for i := 0; i < n; i++ {
		issue := today.AddDate(0, 0, -i*700/n).Format(time.DateOnly)
		number := fmt.Sprintf("F-%s-%06d", customer, first+i)
		d := documents.Document{Space: spaceID, CustomerNumber: customer, Number: number, IssueDate: issue}
		expires, err := w.space.ExpiresAt(issue)
		if err != nil {
			b.Fatal(err)
		}
		sum := fmt.Sprintf("%064x", i)
		it := docItem{
			PK: company, SK: d.SortKey(), ID: d.ID(), Space: spaceID, Customer: customer, Number: number,
			Type: documents.Invoice, IssueDate: issue, Amount: "1440.00", Currency: "EUR", SHA256: sum, Size: 48213,
			ArchiveKey: "documents/" + spaceID + "/" + customer + "/" + d.ID() + "-" + sum + ".pdf",
			SourceKey:  "inbox/" + spaceID + "/documents/" + number + ".pdf",
			IngestedAt: w.now, ExpiresAt: expires, TTL: expires.Unix(),
		}
		item, err := attributevalue.MarshalMap(it)
		if err != nil {
			b.Fatal(err)
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		if len(reqs) == 25 {
			flush()
		}
		sks[i] = d.SortKey()
	}
	if len(reqs) > 0 {
		flush()
	}
	return sks
}

// apiEvent is the API Gateway v2 event of a browser request to the portal's origin.
func (w *world) apiEvent(b *testing.B, method, target, routeKey, body, session string) events.APIGatewayV2HTTPRequest {
	b.Helper()
	var r = httptest.NewRequest(method, target, strings.NewReader(body))
	r.Host = strings.TrimPrefix(strings.TrimPrefix(w.envs["AuthFunction"].PortalBaseURL, "https://"), "http://")
	r.RemoteAddr = "203.0.113.7:51234"
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Accept-Language", "fr-FR,fr;q=0.9,en;q=0.8")
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	// CloudFront adds its origin secret; every API function of the stack shares it.
	r.Header.Set(httpapi.OriginHeader, w.envs["AuthFunction"].OriginVerify)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Origin", w.envs["AuthFunction"].PortalBaseURL)
	}
	if session != "" {
		r.Header.Set("Cookie", "__Host-efacture_session="+session)
	}
	ev, err := apigw.Event(r, "bench-request", routeKey, nil)
	if err != nil {
		b.Fatal(err)
	}
	return ev
}

// call invokes a handler and checks the status.
func call(b *testing.B, h apigw.LambdaHandler, ev events.APIGatewayV2HTTPRequest, want int) events.APIGatewayV2HTTPResponse {
	res, err := h(context.Background(), ev)
	if err != nil {
		b.Fatal(err)
	}
	if res.StatusCode != want {
		b.Fatalf("%s %s: got %d, want %d: %s", ev.RequestContext.HTTP.Method, ev.RawPath, res.StatusCode, want, res.Body)
	}
	return res
}
