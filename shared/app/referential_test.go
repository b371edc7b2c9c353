package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/pdf/facturx"
	"github.com/efacture/efacture/shared/service/ingest"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// dynamoCalls counts the DynamoDB operations of the clients it is installed on.
type dynamoCalls struct {
	mu  sync.Mutex
	ops map[string]int
}

func (c *dynamoCalls) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	ops := c.ops
	c.ops = map[string]int{}
	return ops
}

func (c *dynamoCalls) register(st *middleware.Stack) error {
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("countCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			if awsmiddleware.GetServiceID(ctx) == "DynamoDB" {
				c.mu.Lock()
				c.ops[awsmiddleware.GetOperationName(ctx)]++
				c.mu.Unlock()
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

func total(ops map[string]int) int {
	n := 0
	for _, v := range ops {
		n += v
	}
	return n
}

// crashingStore is the ingest function's store with crashes put in: a panic right after
// the Nth job save (between chunks: saved, not yet requeued) and right after the Nth
// batch of rows is written (in the middle of a chunk).
type crashingStore struct {
	ingest.Store
	saves, applies             atomic.Int32
	crashAfterSave, crashApply int32
}

func (s *crashingStore) SaveJob(ctx context.Context, job ingest.Job) error {
	err := s.Store.SaveJob(ctx, job)
	if err == nil && s.saves.Add(1) == s.crashAfterSave {
		panic("crash after saving the referential job")
	}
	return err
}

func (s *crashingStore) CreateRows(ctx context.Context, cs []customers.Customer, jobID string, now time.Time) error {
	return s.wrote(s.Store.CreateRows(ctx, cs, jobID, now))
}

func (s *crashingStore) ApplyRows(ctx context.Context, cs []customers.Customer, jobID string, now time.Time) error {
	return s.wrote(s.Store.ApplyRows(ctx, cs, jobID, now))
}

func (s *crashingStore) wrote(err error) error {
	if err == nil && s.applies.Add(1) == s.crashApply {
		panic("crash in the middle of a chunk")
	}
	return err
}

// referentialPipeline is a pipeline whose ingest function counts its DynamoDB calls, reads
// at most chunkRows rows per invocation and may crash as store says.
func referentialPipeline(t *testing.T, chunkRows int, store *crashingStore) (*pipeline, *dynamoCalls) {
	p := newPipeline(t)
	calls := &dynamoCalls{ops: map[string]int{}}
	cfg := p.aws.Config.Copy()
	cfg.APIOptions = append(cfg.APIOptions, calls.register)
	opts := app.Options{Now: func() time.Time { return p.now }, Sleep: func(time.Duration) {}, ReadFacturX: facturx.ReadForIngest,
		Ingest: func(s *ingest.Service) {
			p.ingest = s
			s.ChunkRows, s.WaitDelay = chunkRows, -1
			if store != nil {
				store.Store = s.Store
				s.Store = store
			}
		}}
	p.handleIngest = build[lambdaevents.SQSHandler](t, app.IngestFunction, p.env, app.NewClients(cfg, p.aws.SESConfig), opts)
	return p, calls
}

// invoke hands a batch to the ingest handler as Lambda does, with the function's 60 s
// deadline. A panic is a crashed invocation: the whole batch is delivered again.
func (p *pipeline) invoke(msgs []events.SQSMessage) (crashed bool) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var resp events.SQSEventResponse
	func() {
		defer func() {
			if r := recover(); r != nil {
				p.t.Logf("invocation crashed: %v", r)
				crashed = true
			}
		}()
		resp, _ = p.handleIngest(ctx, events.SQSEvent{Records: msgs})
	}()
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failed[f.ItemIdentifier] = true
	}
	url := p.aws.Stack.QueueURL("IngestQueue")
	for _, m := range msgs {
		if crashed || failed[m.MessageId] {
			p.aws.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: &m.ReceiptHandle, VisibilityTimeout: 0})
			continue
		}
		p.aws.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: &m.ReceiptHandle})
	}
	return crashed
}

// run invokes the ingest function until its queue is empty and returns how many
// invocations it took and how many crashed.
func (p *pipeline) run() (invocations, crashes int) {
	p.t.Helper()
	for ; invocations < 500; invocations++ {
		msgs := p.receive()
		if len(msgs) == 0 {
			return invocations, crashes
		}
		if p.invoke(msgs) {
			crashes++
		}
	}
	p.t.Fatal("inbox queue never drained")
	return
}

func generatedReferential(rows, bad int, name func(int) string) []byte {
	var b strings.Builder
	b.WriteString("customer_number;company_name;siren;email;notification;delivery;language\n")
	for i := 1; i <= rows; i++ {
		if i == bad {
			b.WriteString("C-bad;Mauvais SIREN;12345;;;;\n")
			continue
		}
		fmt.Fprintf(&b, "C%06d;%s;;client%d@example.fr;link;electronic;fr\n", i, name(i), i)
	}
	return []byte(b.String())
}

type referentialReport struct {
	Rows, Applied, Unchanged, Rejected int
	Errors                             []struct {
		Line   int
		Reason string
	}
}

func (p *pipeline) onlyReport(prefix string) referentialReport {
	p.t.Helper()
	keys := p.keys(p.env.InboxBucket, prefix)
	if len(keys) != 1 {
		p.t.Fatalf("reports: got %q, want exactly one", keys)
	}
	var r referentialReport
	p.readJSON(p.env.InboxBucket, keys[0], &r)
	return r
}

// TestReferentialLarge applies a 20,000-row referential over several invocations with two
// crashes, then the same file again, and measures the DynamoDB calls per row of each
// (PRODUCT.md §10, docs/DATA.md).
func TestReferentialLarge(t *testing.T) {
	const rows, bad = 20_000, 10_000
	store := &crashingStore{crashAfterSave: 3, crashApply: 75}
	p, calls := referentialPipeline(t, 3000, store)
	first := func(i int) string { return fmt.Sprintf("Société %d", i) }
	file := generatedReferential(rows, bad, first)

	p.put("inbox/acme/customers/big.csv", file, nil)
	start := time.Now()
	invocations, crashes := p.run()
	elapsed := time.Since(start)
	ops := calls.take()
	t.Logf("new rows: %d rows in %v (%.0f rows/s on moto), %d invocations, %d crashed; DynamoDB %v: %.3f calls per row",
		rows, elapsed.Round(time.Millisecond), rows/elapsed.Seconds(), invocations, crashes, ops, float64(total(ops))/rows)
	if crashes != 2 || invocations < 8 {
		t.Errorf("got %d invocations with %d crashes, want at least 8 with 2", invocations, crashes)
	}
	r := p.onlyReport("reports/acme/customers/big.csv.")
	if r.Rows != rows || r.Applied != rows-1 || r.Unchanged != 0 || r.Rejected != 1 || len(r.Errors) != 1 || r.Errors[0].Line != bad+1 {
		t.Errorf("report: got %+v, want %d applied and line %d rejected", r, rows-1, bad+1)
	}
	if n := ops["BatchWriteItem"]; n < (rows-1)/25 || ops["UpdateItem"] != 0 {
		t.Errorf("got %v, want new customers put 25 at a time", ops)
	}
	if got := p.keys(p.env.InboxBucket, "processed/acme/customers/big.csv."); len(got) != 1 {
		t.Errorf("processed: got %q", got)
	}
	for _, i := range []int{1, 2999, 3000, 3001, 7000, bad - 1, bad + 1, rows} {
		c := p.item(p.env.MainTable, pk(fmt.Sprintf("CUST#acme#C%06d", i), "CUST"))
		if c["companyName"] != first(i) || c["email"] != fmt.Sprintf("client%d@example.fr", i) || c["rowHash"] == nil {
			t.Errorf("customer %d: got %v", i, c)
		}
	}
	if job := p.item(p.env.MainTable, pk("REFJOB#acme", "REFJOB")); job != nil {
		t.Errorf("job left behind: %v", job)
	}

	// The same file again: no row is written.
	p.now = p.now.Add(time.Hour)
	p.put("inbox/acme/customers/big.csv", file, nil)
	start = time.Now()
	p.run()
	elapsed = time.Since(start)
	ops = calls.take()
	perUnchanged := float64(total(ops)) / rows
	t.Logf("unchanged rows: %d rows in %v (%.0f rows/s on moto); DynamoDB %v: %.3f calls per row",
		rows, elapsed.Round(time.Millisecond), rows/elapsed.Seconds(), ops, perUnchanged)
	if ops["UpdateItem"] != 0 || ops["PutItem"] > 10 || perUnchanged > 0.1 {
		t.Errorf("same file again: got %v (%.3f per row), want no UpdateItem and at most 0.1 call per row", ops, perUnchanged)
	}
	if r := p.onlyReport("reports/acme/customers/big.csv.20261126T110000Z"); r.Applied != 0 || r.Unchanged != rows-1 || r.Rejected != 1 {
		t.Errorf("same file again: got %+v", r)
	}

}

// TestReferentialChangedRows: a changed row is one UpdateItem, which keeps what the
// referential does not own (mail status, registered admin), and an e-mail change still
// opens a new account at the next document (docs/DATA.md).
func TestReferentialChangedRows(t *testing.T) {
	const rows = 1000
	p, calls := referentialPipeline(t, 0, nil)
	p.put("inbox/acme/customers/a.csv", generatedReferential(rows, 0, func(i int) string { return fmt.Sprintf("Société %d", i) }), nil)
	p.run()
	if r := p.onlyReport("reports/acme/customers/a.csv."); r.Applied != rows {
		t.Fatalf("first file: got %+v", r)
	}
	calls.take()
	mark := &types.AttributeValueMemberS{Value: "bounce"}
	if _, err := p.aws.DynamoDB.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: &p.env.MainTable, Key: pk("CUST#acme#C000007", "CUST"),
		UpdateExpression: aws.String("SET mailStatus = :s, adminEmail = :e"), ExpressionAttributeValues: map[string]types.AttributeValue{":s": mark, ":e": &types.AttributeValueMemberS{Value: "client7@example.fr"}},
	}); err != nil {
		t.Fatal(err)
	}

	p.now = p.now.Add(time.Hour)
	p.put("inbox/acme/customers/b.csv", generatedReferential(rows, 0, func(i int) string { return fmt.Sprintf("Nouvelle %d", i) }), nil)
	start := time.Now()
	p.run()
	elapsed := time.Since(start)
	ops := calls.take()
	perChanged := float64(total(ops)) / rows
	t.Logf("changed rows: %d rows in %v (%.0f rows/s on moto); DynamoDB %v: %.3f calls per row",
		rows, elapsed.Round(time.Millisecond), rows/elapsed.Seconds(), ops, perChanged)
	if ops["UpdateItem"] != rows || perChanged > 1.1 {
		t.Errorf("changed rows: got %v, %.3f calls per row, want one UpdateItem per row and at most 1.1 call", ops, perChanged)
	}
	if r := p.onlyReport("reports/acme/customers/b.csv."); r.Applied != rows || r.Unchanged != 0 {
		t.Errorf("changed file: got %+v", r)
	}
	c := p.item(p.env.MainTable, pk("CUST#acme#C000007", "CUST"))
	if c["companyName"] != "Nouvelle 7" || c["mailStatus"] != "bounce" || c["adminEmail"] != "client7@example.fr" {
		t.Errorf("changed customer: got %v, want the new name and its mail status and admin kept", c)
	}
}

// TestReferentialsOfASpaceInOrder: a file dropped while another of its space is applied
// waits for it, so its rows win where the two overlap (PRODUCT.md §10).
func TestReferentialsOfASpaceInOrder(t *testing.T) {
	p, _ := referentialPipeline(t, 500, nil)
	p.put("inbox/acme/customers/1.csv", generatedReferential(3000, 0, func(i int) string { return fmt.Sprintf("Ancien %d", i) }), nil)
	p.put("inbox/acme/customers/2.csv", generatedReferential(1000, 0, func(i int) string { return fmt.Sprintf("Nouveau %d", i) }), nil)
	invocations, _ := p.run()
	t.Logf("%d invocations", invocations)
	for _, c := range []struct {
		number int
		want   string
	}{{1, "Nouveau 1"}, {1000, "Nouveau 1000"}, {1001, "Ancien 1001"}, {3000, "Ancien 3000"}} {
		if got := p.item(p.env.MainTable, pk(fmt.Sprintf("CUST#acme#C%06d", c.number), "CUST")); got["companyName"] != c.want {
			t.Errorf("C%06d: got %v, want %s", c.number, got["companyName"], c.want)
		}
	}
	if r := p.onlyReport("reports/acme/customers/1.csv."); r.Applied != 3000 {
		t.Errorf("1.csv: got %+v", r)
	}
	if r := p.onlyReport("reports/acme/customers/2.csv."); r.Applied != 1000 {
		t.Errorf("2.csv: got %+v", r)
	}
}
