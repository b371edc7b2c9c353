package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/service/exports"
	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// capBody is a CSV export well within the limits.
const capBody = `{"from":"2026-07-01","to":"2026-09-30","format":"csv"}`

// exportTrail is what export requests have left: a company's export items and export
// audit entries, and the messages waiting in ExportsQueue (all companies').
type exportTrail struct{ items, audits, queued int }

func (f *docsFixture) exportTrail(customer string) exportTrail {
	f.t.Helper()
	ctx := context.Background()
	var tr exportTrail
	in := &dynamodb.ScanInput{
		TableName:        &f.env.MainTable,
		FilterExpression: docsStr("begins_with(pk, :p) AND customerNumber = :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":p": &types.AttributeValueMemberS{Value: "EXPORT#"}, ":c": &types.AttributeValueMemberS{Value: customer},
		},
	}
	for {
		out, err := f.aws.DynamoDB.Scan(ctx, in)
		if err != nil {
			f.t.Fatal(err)
		}
		tr.items += len(out.Items)
		if out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	entries, _, err := f.st.AuditPage(ctx, documents.Company("acme", customer), "", 200)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, e := range entries {
		if e.Action == audit.ActionExport {
			tr.audits++
		}
	}
	q, err := f.aws.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       docsStr(f.aws.Stack.QueueURL("ExportsQueue")),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if tr.queued, err = strconv.Atoi(q.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)]); err != nil {
		f.t.Fatal(err)
	}
	return tr
}

// tooManyAnswer checks a 429 answer of PRODUCT.md §7's shape, in the caller's French.
func tooManyAnswer(t *testing.T, res *http.Response) {
	t.Helper()
	b, _ := io.ReadAll(res.Body)
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatalf("got %d %q, not JSON", res.StatusCode, b)
	}
	if res.StatusCode != http.StatusTooManyRequests || body.Error.Code != "too_many_requests" ||
		!strings.Contains(body.Error.Message, "2 exports en préparation") ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Errorf("got %d %s, want 429 too_many_requests with the exports text", res.StatusCode, b)
	}
}

// failingUploads fails every export upload, as S3 failing would.
type failingUploads struct{ exports.Archive }

func (failingUploads) Upload(context.Context, string, string, func(io.Writer) error) error {
	return errors.New("injected: S3 unavailable")
}

// TestExportPendingCap: a company has at most 2 exports pending (PRODUCT.md §10); a ready
// or failed export frees its place, concurrent requests cannot overshoot, and a place a
// crash left behind frees itself after exports.SlotBound.
func TestExportPendingCap(t *testing.T) {
	f := newDocsFixture(t)
	accept := func(t *testing.T, body string) string {
		t.Helper()
		e, status := f.requestExport("C001", body)
		if status != http.StatusAccepted || e.ID == "" {
			t.Fatalf("got %d, want 202", status)
		}
		return e.ID
	}
	refuse := func(t *testing.T) {
		t.Helper()
		before := f.exportTrail("C001")
		tooManyAnswer(t, f.do("C001", "POST", "/api/exports", capBody))
		if after := f.exportTrail("C001"); after != before {
			t.Errorf("a refused request left %+v, had %+v", after, before)
		}
	}
	status := func(id string) string {
		e, _ := f.exportStatus("C001", id)
		return e.Status
	}

	t.Run("ready frees a place", func(t *testing.T) {
		a := accept(t, capBody)
		f.calls.take()
		b := accept(t, capBody)
		// docs/DATA.md's calls: the session's reads, the period's count, the transaction
		// and the audit entry.
		if got, want := f.calls.take(), map[string]int{"GetItem": 2, "Query": 1, "TransactWriteItems": 1, "PutItem": 1}; !maps.Equal(got, want) {
			t.Errorf("accepted: got calls %v, want %v", got, want)
		}
		if tr := f.exportTrail("C001"); tr != (exportTrail{items: 2, audits: 2, queued: 2}) {
			t.Fatalf("got %+v after two requests", tr)
		}
		refuse(t)
		if got, want := f.calls.take(), map[string]int{"GetItem": 2, "Query": 1, "TransactWriteItems": 1}; !maps.Equal(got, want) {
			t.Errorf("refused: got calls %v, want %v", got, want)
		}
		if failed, ok := f.deliverExport(0); !ok || failed {
			t.Fatalf("build: delivered %v, failed %v", ok, failed)
		}
		if ready := []bool{status(a) == "ready", status(b) == "ready"}; ready[0] == ready[1] {
			t.Fatalf("got ready %v, want one of the two", ready)
		}
		accept(t, capBody)
		refuse(t)
		f.runExports()
	})

	t.Run("failed on the last delivery frees a place", func(t *testing.T) {
		a, b := accept(t, capBody), accept(t, capBody)
		archive := f.exports.Archive
		defer func() { f.exports.Archive = archive }()
		f.exports.Archive = failingUploads{archive}
		if failed, _ := f.deliverExport(1); !failed {
			t.Fatal("a failing build was not reported for a retry")
		}
		refuse(t) // a retry keeps its place
		if failed, _ := f.deliverExport(lambdaevents.ExportsMaxReceives); failed {
			t.Fatal("the last delivery was reported for a retry")
		}
		if got := []string{status(a), status(b)}; !slices.Contains(got, "failed") || !slices.Contains(got, "pending") {
			t.Fatalf("got %v, want one failed and one pending", got)
		}
		f.exports.Archive = archive
		accept(t, capBody)
		refuse(t)
		f.runExports()
	})

	t.Run("failed past the limits frees a place", func(t *testing.T) {
		// June holds no document yet; seven filed before the build pass MaxRows (6).
		grown := accept(t, `{"from":"2026-06-01","to":"2026-06-30","format":"csv"}`)
		accept(t, capBody)
		refuse(t)
		for i := range 7 {
			f.file("C001", "J-"+strconv.Itoa(i), documents.Invoice, "2026-06-15", "1.00")
		}
		f.runExports()
		if got := status(grown); got != "failed" {
			t.Fatalf("got %s, want failed", got)
		}
		accept(t, capBody)
		accept(t, capBody)
		refuse(t)
		f.runExports()
	})

	t.Run("concurrent requests", func(t *testing.T) {
		// Each request has its own container of the documents function, as in Lambda.
		const n = 10
		customers := make([]string, n+2)
		for i := range customers {
			customers[i] = "C001"
		}
		customers[n], customers[n+1] = "C002", "C002" // another company, at the same time
		containers := make([]http.Handler, len(customers))
		for i := range containers {
			o := f.opts
			o.HTTP = func(h http.Handler) { containers[i] = h }
			build[apigw.LambdaHandler](t, app.DocumentsFunction, f.denv, f.fnClients, o)
		}
		before, beforeC002 := f.exportTrail("C001"), f.exportTrail("C002")
		answers := make([]*http.Response, len(customers))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range customers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				answers[i] = f.doOn(containers[i], customers[i], "POST", "/api/exports", capBody)
			}()
		}
		close(start)
		wg.Wait()

		var accepted []string
		refused := 0
		for i, res := range answers {
			switch {
			case customers[i] == "C002" && res.StatusCode != http.StatusAccepted:
				t.Errorf("C002: got %d, want 202", res.StatusCode)
			case res.StatusCode == http.StatusAccepted:
				var e docsExport
				json.NewDecoder(res.Body).Decode(&e)
				if customers[i] == "C001" {
					accepted = append(accepted, e.ID)
				}
			default:
				tooManyAnswer(t, res)
				refused++
			}
		}
		if len(accepted) != 2 || refused != n-2 {
			t.Fatalf("C001: got %d accepted and %d refused, want 2 and %d", len(accepted), refused, n-2)
		}
		after, afterC002 := f.exportTrail("C001"), f.exportTrail("C002")
		if after.items-before.items != 2 || after.audits-before.audits != 2 {
			t.Errorf("C001: got %+v, had %+v: want 2 export items and 2 audit entries more", after, before)
		}
		if afterC002.items-beforeC002.items != 2 || after.queued-before.queued != 4 {
			t.Errorf("C002: got %+v, had %+v: want 2 export items more, and 4 messages queued for both", afterC002, beforeC002)
		}
		f.runExports()
		for _, id := range accepted {
			if got := status(id); got != "ready" {
				t.Errorf("export %s: got %s, want ready (its message delivered)", id, got)
			}
		}
	})

	t.Run("a place left by a crash frees itself", func(t *testing.T) {
		start := f.now
		defer func() { f.now = start; f.signIn("C001") }()
		stuck := []string{accept(t, capBody), accept(t, capBody)}
		// The messages are lost, as if the request had crashed after its transaction.
		if _, err := f.aws.SQS.PurgeQueue(context.Background(), &sqs.PurgeQueueInput{QueueUrl: docsStr(f.aws.Stack.QueueURL("ExportsQueue"))}); err != nil {
			t.Fatal(err)
		}
		f.now = start.Add(exports.SlotBound - time.Minute)
		f.signIn("C001")
		refuse(t)
		f.now = start.Add(exports.SlotBound)
		f.signIn("C001")
		fresh := []string{accept(t, capBody), accept(t, capBody)}
		refuse(t)

		out, err := f.aws.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
			TableName: &f.env.MainTable, Key: pk("EXPSLOTS#acme#C001", "EXPSLOTS"), ConsistentRead: docsBool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		set, _ := out.Item["pending"].(*types.AttributeValueMemberSS)
		ttl, _ := out.Item["ttl"].(*types.AttributeValueMemberN)
		if set == nil || len(set.Value) != 2 || ttl == nil || ttl.Value != strconv.FormatInt(f.now.Add(exports.SlotBound).Unix(), 10) {
			t.Fatalf("got slots item %v, want the two fresh slots and a TTL of now + SlotBound", out.Item)
		}
		for _, v := range set.Value {
			if !strings.HasSuffix(v, "#"+fresh[0]) && !strings.HasSuffix(v, "#"+fresh[1]) {
				t.Errorf("got slot %s, want only %v (stuck: %v)", v, fresh, stuck)
			}
		}
	})
}

func docsBool(b bool) *bool { return &b }
