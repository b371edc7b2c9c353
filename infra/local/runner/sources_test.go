package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/efacture/efacture/shared/app"
)

// recorder keeps what the fixture's fake functions received.
type recorder struct {
	mu     sync.Mutex
	calls  map[string][][]byte // function id → payloads, in order
	notify chan struct{}
}

func newRecorder() *recorder {
	return &recorder{calls: map[string][][]byte{}, notify: make(chan struct{}, 1000)}
}

func (rec *recorder) add(id string, payload []byte) {
	rec.mu.Lock()
	rec.calls[id] = append(rec.calls[id], append([]byte(nil), payload...))
	rec.mu.Unlock()
	select {
	case rec.notify <- struct{}{}:
	default:
	}
}

func (rec *recorder) payloads(id string) [][]byte {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return append([][]byte(nil), rec.calls[id]...)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: still waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// fixtureRegistry is the fixture template's functions: fakes that record
// their events and fail on demand.
func fixtureRegistry(rec *recorder) Registry {
	api := func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		switch ev.RawPath {
		case "/api/items/boom":
			return events.APIGatewayV2HTTPResponse{}, errors.New("boom")
		case "/api/items/panic":
			panic("the handler panicked")
		}
		body, _ := json.Marshal(ev)
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"},
			Cookies: []string{"a=1; Path=/", "b=2; Path=/"}, Body: string(body)}, nil
	}
	worker := func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		b, _ := json.Marshal(ev)
		rec.add("WorkerFunction", b)
		var resp events.SQSEventResponse
		for _, m := range ev.Records {
			if strings.HasPrefix(m.Body, "fail") {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		return resp, nil
	}
	consumer := func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		b, _ := json.Marshal(ev)
		rec.add("ConsumerFunction", b)
		for _, r := range ev.Records {
			if strings.HasPrefix(r.Change.Keys["pk"].String(), "poison") {
				return events.DynamoDBEventResponse{}, errors.New("poisoned batch")
			}
		}
		return events.DynamoDBEventResponse{}, nil
	}
	purge := func(ctx context.Context, ev events.DynamoDBEvent) error {
		b, _ := json.Marshal(ev)
		rec.add("PurgeFunction", b)
		return nil
	}
	tick := func(ctx context.Context, payload json.RawMessage) error {
		rec.add("TickFunction", payload)
		return nil
	}
	alarm := func(ctx context.Context, ev events.SNSEvent) error {
		b, _ := json.Marshal(ev)
		rec.add("AlarmFunction", b)
		return nil
	}
	fn := func(h any) func(app.Env, app.Clients, app.Options) (any, error) {
		return func(app.Env, app.Clients, app.Options) (any, error) { return h, nil }
	}
	return Registry{
		"ApiFunction": {New: fn(api), Routes: []string{"GET /api/health", "GET /api/items/{id}", "GET /api/items/special",
			"POST /api/items", "/api/files/{proxy...}"}},
		"WorkerFunction":   {New: fn(worker)},
		"ConsumerFunction": {New: fn(consumer)},
		"PurgeFunction":    {New: fn(purge)},
		"TickFunction":     {New: fn(tick)},
		"AlarmFunction":    {New: fn(alarm)},
	}
}

func startFixture(t *testing.T) (*Runner, *recorder) {
	t.Helper()
	rec := newRecorder()
	r := MustStart(t, Options{Template: "testdata/template.yaml", Functions: fixtureRegistry(rec), RetryDelay: 10 * time.Millisecond})
	return r, rec
}

func TestEventSources(t *testing.T) {
	r, rec := startFixture(t)
	ctx := context.Background()

	t.Run("api gateway", func(t *testing.T) {
		tests := []struct {
			name, method, path, body string
			header                   map[string]string
			status                   int
			routeKey                 string
			params                   map[string]string
			gatewayBody              string // API Gateway's own answer, when the function is not reached or fails
		}{
			{name: "literal", method: "GET", path: "/api/health?a=1&a=2&b=x", status: 200, routeKey: "GET /api/health"},
			{name: "parameter", method: "GET", path: "/api/items/42", status: 200, routeKey: "GET /api/items/{id}", params: map[string]string{"id": "42"}},
			{name: "literal beats parameter", method: "GET", path: "/api/items/special", status: 200, routeKey: "GET /api/items/special"},
			{name: "greedy with any method", method: "DELETE", path: "/api/files/a/b%20c.pdf", status: 200, routeKey: "ANY /api/files/{proxy+}",
				params: map[string]string{"proxy": "a/b c.pdf"}},
			{name: "body and headers", method: "POST", path: "/api/items", body: `{"x":1}`, header: map[string]string{"Cookie": "s=1; t=2", "X-Forwarded-For": "203.0.113.9"},
				status: 200, routeKey: "POST /api/items"},
			{name: "greedy needs a segment", method: "GET", path: "/api/files/", status: 404, gatewayBody: `{"message":"Not Found"}`},
			{name: "wrong method", method: "POST", path: "/api/health", status: 404, gatewayBody: `{"message":"Not Found"}`},
			{name: "unknown", method: "GET", path: "/api/nothing", status: 404, gatewayBody: `{"message":"Not Found"}`},
			{name: "function error", method: "GET", path: "/api/items/boom", status: 500, gatewayBody: `{"message":"Internal Server Error"}`},
			{name: "function panic", method: "GET", path: "/api/items/panic", status: 500, gatewayBody: `{"message":"Internal Server Error"}`},
			{name: "too large", method: "POST", path: "/api/items", body: strings.Repeat("x", maxRequestBody+1), status: 413,
				gatewayBody: `{"message":"Request Entity Too Large"}`},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				req, _ := http.NewRequest(tc.method, r.PortalURL+tc.path, strings.NewReader(tc.body))
				for k, v := range tc.header {
					req.Header.Set(k, v)
				}
				got := do(t, req)
				if got.status != tc.status {
					t.Fatalf("got %d %.200s, want %d", got.status, got.body, tc.status)
				}
				if tc.gatewayBody != "" {
					if got.body != tc.gatewayBody+"\n" {
						t.Errorf("got body %q, want %q", got.body, tc.gatewayBody)
					}
					return
				}
				var ev events.APIGatewayV2HTTPRequest
				if err := json.Unmarshal([]byte(got.body), &ev); err != nil {
					t.Fatal(err)
				}
				if ev.Version != "2.0" || ev.RouteKey != tc.routeKey || ev.RequestContext.RouteKey != tc.routeKey {
					t.Errorf("got version %q route key %q, want 2.0 %q", ev.Version, ev.RouteKey, tc.routeKey)
				}
				if len(tc.params) > 0 || len(ev.PathParameters) > 0 {
					if fmt.Sprint(ev.PathParameters) != fmt.Sprint(tc.params) {
						t.Errorf("got path parameters %v, want %v", ev.PathParameters, tc.params)
					}
				}
				if ev.RequestContext.HTTP.SourceIP != "127.0.0.1" || ev.RequestContext.RequestID == "" || ev.RequestContext.TimeEpoch == 0 {
					t.Errorf("request context: got %+v", ev.RequestContext)
				}
				if ev.Body != tc.body {
					t.Errorf("got body %q, want %q", ev.Body, tc.body)
				}
				switch tc.name {
				case "literal":
					if ev.RawQueryString != "a=1&a=2&b=x" || ev.QueryStringParameters["a"] != "1,2" {
						t.Errorf("query: got %q %v", ev.RawQueryString, ev.QueryStringParameters)
					}
					if got.header.Values("Set-Cookie")[1] != "b=2; Path=/" {
						t.Errorf("cookies: got %v", got.header.Values("Set-Cookie"))
					}
				case "body and headers":
					if fmt.Sprint(ev.Cookies) != "[s=1 t=2]" || ev.Headers["x-forwarded-for"] != "203.0.113.9, 127.0.0.1" ||
						ev.Headers["x-forwarded-proto"] != "http" {
						t.Errorf("got cookies %v headers %v", ev.Cookies, ev.Headers)
					}
				}
			})
		}
	})

	t.Run("sqs batches, partial failures and redrive", func(t *testing.T) {
		queue := r.AWS.Stack.QueueURL("WorkQueue")
		for _, body := range []string{"ok-1", "fail-1", "ok-2"} {
			if _, err := r.AWS.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queue), MessageBody: aws.String(body)}); err != nil {
				t.Fatal(err)
			}
		}
		dlq := r.AWS.Stack.QueueURL("WorkDeadLetterQueue")
		var parked []string
		// Visibility 1 s and maxReceiveCount 2: the failing message is
		// received twice, then moto's redrive moves it.
		waitFor(t, 15*time.Second, "the failing message in the dead-letter queue", func() bool {
			out, err := r.AWS.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MaxNumberOfMessages: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range out.Messages {
				parked = append(parked, aws.ToString(m.Body))
			}
			return len(parked) > 0
		})
		if len(parked) != 1 || parked[0] != "fail-1" {
			t.Errorf("dead-letter queue: got %v, want [fail-1]", parked)
		}
		seen := map[string]int{}
		for _, p := range rec.payloads("WorkerFunction") {
			var ev events.SQSEvent
			if err := json.Unmarshal(p, &ev); err != nil {
				t.Fatal(err)
			}
			for _, m := range ev.Records {
				seen[m.Body]++
				if m.EventSource != "aws:sqs" || m.EventSourceARN != r.AWS.Stack.QueueARN("WorkQueue") || m.Attributes["ApproximateReceiveCount"] == "" {
					t.Errorf("message %s: got source %q arn %q attributes %v", m.Body, m.EventSource, m.EventSourceARN, m.Attributes)
				}
			}
		}
		if seen["ok-1"] != 1 || seen["ok-2"] != 1 || seen["fail-1"] != 2 {
			t.Errorf("deliveries: got %v, want ok-1 and ok-2 once, fail-1 twice", seen)
		}
	})

	t.Run("stream order, filter, bisect and on-failure", func(t *testing.T) {
		table := r.AWS.Stack.Physical["OutboxTable"]
		put := func(pk string) {
			t.Helper()
			if _, err := r.AWS.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table),
				Item: map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: pk}}}); err != nil {
				t.Fatal(err)
			}
		}
		for _, pk := range []string{"probe#1", "poison#1", "probe#2"} {
			put(pk)
		}
		put("probe#1") // an overwrite is a MODIFY, which the filter drops
		failQueue := r.AWS.Stack.QueueURL("ConsumerFailureQueue")
		var body string
		waitFor(t, 15*time.Second, "the on-failure record", func() bool {
			out, err := r.AWS.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(failQueue)})
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Messages) > 0 {
				body = aws.ToString(out.Messages[0].Body)
			}
			return body != ""
		})
		var got onFailureRecord
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		// Bisection isolated the poisoned record; two retries after the
		// first failure make three invocations.
		info := got.DDBStreamBatchInfo
		if got.RequestContext.Condition != "RetryAttemptsExhausted" || got.RequestContext.ApproximateInvokeCount != 3 ||
			got.ResponseContext.FunctionError != "Unhandled" || info.BatchSize != 1 || info.StartSequenceNumber != info.EndSequenceNumber ||
			info.StreamARN != r.AWS.Stack.StreamARN("OutboxTable") || info.ShardID == "" ||
			got.RequestContext.FunctionARN != r.functions["ConsumerFunction"].arn {
			t.Errorf("on-failure record: got %s", body)
		}
		// probe#2 comes after the poisoned record and is still delivered.
		waitFor(t, 5*time.Second, "probe#2", func() bool { return delivered(t, rec, "ConsumerFunction")["probe#2"] })
		var order []string
		poisonSeq := ""
		for _, p := range rec.payloads("ConsumerFunction") {
			var ev events.DynamoDBEvent
			json.Unmarshal(p, &ev)
			for _, x := range ev.Records {
				if x.EventName != "INSERT" {
					t.Errorf("got a %s record past the INSERT filter", x.EventName)
				}
				pk := x.Change.Keys["pk"].String()
				if pk == "poison#1" {
					poisonSeq = x.Change.SequenceNumber
				}
				if len(order) == 0 || order[len(order)-1] != pk {
					order = append(order, pk)
				}
			}
		}
		if poisonSeq != info.StartSequenceNumber {
			t.Errorf("on-failure sequence: got %s, want poison#1's %s", info.StartSequenceNumber, poisonSeq)
		}
		if last := order[len(order)-1]; last != "probe#2" {
			t.Errorf("delivery order: got %v, want probe#2 last", order)
		}
	})

	t.Run("ttl sweep with the service principal", func(t *testing.T) {
		table := r.AWS.Stack.Physical["DocumentsTable"]
		past := r.opts.Now().Add(-time.Hour).Unix()
		future := r.opts.Now().Add(time.Hour).Unix()
		item := func(sk string, ttl int64) map[string]ddbtypes.AttributeValue {
			m := map[string]ddbtypes.AttributeValue{"pk": &ddbtypes.AttributeValueMemberS{Value: "acme#C1"}, "sk": &ddbtypes.AttributeValueMemberS{Value: sk}}
			if ttl != 0 {
				m["ttl"] = &ddbtypes.AttributeValueMemberN{Value: jsonNumber(ttl)}
			}
			return m
		}
		for _, it := range []map[string]ddbtypes.AttributeValue{item("expired", past), item("alive", future), item("forever", 0), item("deleted-by-hand", future)} {
			if _, err := r.AWS.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
				t.Fatal(err)
			}
		}
		// A user's delete is not TTL's: the purge filter must drop it.
		if _, err := r.AWS.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: item("deleted-by-hand", 0)}); err != nil {
			t.Fatal(err)
		}
		resp := post(t, r.PortalURL+"/_local/ttl-sweep", "")
		if resp.status != 200 || resp.body != `{"deleted":1}`+"\n" {
			t.Fatalf("sweep: got %d %s", resp.status, resp.body)
		}
		waitFor(t, 5*time.Second, "the purge invocation", func() bool { return len(rec.payloads("PurgeFunction")) > 0 })
		time.Sleep(300 * time.Millisecond) // one more poll, for anything wrongly let through
		var removes []string
		for _, p := range rec.payloads("PurgeFunction") {
			var ev events.DynamoDBEvent
			json.Unmarshal(p, &ev)
			for _, x := range ev.Records {
				if x.UserIdentity == nil || x.UserIdentity.Type != "Service" || x.UserIdentity.PrincipalID != "dynamodb.amazonaws.com" {
					t.Errorf("record %s: got userIdentity %+v", x.Change.Keys["sk"].String(), x.UserIdentity)
				}
				if x.Change.OldImage["ttl"].Number() == "" {
					t.Errorf("record %s has no old image", x.Change.Keys["sk"].String())
				}
				removes = append(removes, x.EventName+" "+x.Change.Keys["sk"].String())
			}
		}
		if len(removes) != 1 || removes[0] != "REMOVE expired" {
			t.Errorf("purge got %v, want [REMOVE expired]", removes)
		}
	})

	t.Run("schedules fired by hand", func(t *testing.T) {
		if resp := post(t, r.PortalURL+"/_local/digest", "https://evil.example"); resp.status != http.StatusForbidden {
			t.Errorf("cross-origin: got %d, want 403", resp.status)
		}
		resp := post(t, r.PortalURL+"/_local/digest", "")
		if resp.status != 200 || resp.body != `{"fired":["TickFunction/Hourly","TickFunction/Nightly"]}`+"\n" {
			t.Fatalf("fire: got %d %s", resp.status, resp.body)
		}
		got := rec.payloads("TickFunction")
		if len(got) != 2 {
			t.Fatalf("got %d invocations, want 2 (the disabled schedule stays off)", len(got))
		}
		var hourly events.EventBridgeEvent
		if err := json.Unmarshal(got[0], &hourly); err != nil {
			t.Fatal(err)
		}
		if hourly.DetailType != "Scheduled Event" || hourly.Source != "aws.scheduler" || len(hourly.Resources) != 1 ||
			!strings.Contains(hourly.Resources[0], ":schedule/default/") || hourly.Time.IsZero() || string(hourly.Detail) != "{}" {
			t.Errorf("hourly payload: got %s", got[0])
		}
		if string(got[1]) != `{"job": "nightly"}` {
			t.Errorf("nightly payload: got %s, want the template's Input", got[1])
		}
	})

	t.Run("sns", func(t *testing.T) {
		if err := r.Publish(ctx, "AlarmTopic", "subject", `{"hello":"world"}`); err != nil {
			t.Fatal(err)
		}
		got := rec.payloads("AlarmFunction")
		var ev events.SNSEvent
		if len(got) != 1 || json.Unmarshal(got[0], &ev) != nil || len(ev.Records) != 1 || ev.Records[0].SNS.Message != `{"hello":"world"}` ||
			ev.Records[0].EventSource != "aws:sns" || !strings.HasPrefix(ev.Records[0].SNS.TopicArn, "arn:aws:sns:") {
			t.Errorf("got %s", got)
		}
		if err := r.Publish(ctx, "WorkQueue", "", "x"); !errors.Is(err, ErrNoSubscriber) {
			t.Errorf("no subscriber: got %v, want ErrNoSubscriber", err)
		}
	})
}

// delivered returns the pks the function has received.
func delivered(t *testing.T, rec *recorder, id string) map[string]bool {
	out := map[string]bool{}
	for _, p := range rec.payloads(id) {
		var ev events.DynamoDBEvent
		if err := json.Unmarshal(p, &ev); err != nil {
			t.Fatal(err)
		}
		for _, x := range ev.Records {
			out[x.Change.Keys["pk"].String()] = true
		}
	}
	return out
}

type answer struct {
	status int
	header http.Header
	body   string
}

func post(t *testing.T, url, origin string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, nil)
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
