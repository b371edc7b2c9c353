package app_test

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

func readEvent(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile("../../events/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestEventFixtures keeps events/*.json decodable into the shapes the handlers take.
func TestEventFixtures(t *testing.T) {
	var sqsEv events.SQSEvent
	readEvent(t, "sqs-s3-put.json", &sqsEv)
	var s3ev events.S3Event
	if err := json.Unmarshal([]byte(sqsEv.Records[0].Body), &s3ev); err != nil {
		t.Fatal(err)
	}
	key, _ := url.QueryUnescape(s3ev.Records[0].S3.Object.Key)
	if key != "inbox/acme/documents/2026/11/F-2026 001 é.pdf" {
		t.Errorf("S3 key: got %q", key)
	}
	var outbox events.DynamoDBEvent
	readEvent(t, "outbox-insert.json", &outbox)
	if outbox.Records[0].Change.Keys["pk"].String() != "activation#pierre.durand@example.fr" {
		t.Errorf("outbox key: got %v", outbox.Records[0].Change.Keys)
	}
	var ttl events.DynamoDBEvent
	readEvent(t, "documents-ttl-remove.json", &ttl)
	if ttl.Records[0].UserIdentity == nil || ttl.Records[0].UserIdentity.PrincipalID != "dynamodb.amazonaws.com" {
		t.Errorf("TTL record identity: got %+v", ttl.Records[0].UserIdentity)
	}
}

// TestHealth sends the fixture event to the auth function's handler: 200 while DynamoDB
// answers, 503 while it does not.
func TestHealth(t *testing.T) {
	p := newPipeline(t)
	h := build[apigw.LambdaHandler](t, app.AuthFunction, p.env, p.clients, app.Options{})
	var ev events.APIGatewayV2HTTPRequest
	readEvent(t, "http-health.json", &ev)
	ev.Headers["x-origin-verify"] = p.env.OriginVerify // as CloudFront adds it
	res, err := h(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Body != "{\"status\":\"ok\"}\n" || res.Headers["Cache-Control"] != "no-store" {
		t.Errorf("got %d %q %v", res.StatusCode, res.Body, res.Headers)
	}
	if err := p.aws.MotoServer.Pause(); err != nil {
		t.Fatal(err)
	}
	res, _ = h(context.Background(), ev)
	p.aws.MotoServer.Resume()
	if res.StatusCode != 503 {
		t.Errorf("with DynamoDB paused: got %d, want 503", res.StatusCode)
	}
}

// TestMailEventFixture feeds the SNS fixture of an SES bounce to the mail-events function.
func TestMailEventFixture(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number,email\nC001,pierre.durand@example.fr\n"), nil)
	p.ingestAll()
	var ev events.SNSEvent
	readEvent(t, "sns-ses-bounce.json", &ev)
	if err := build[lambdaevents.SNSHandler](t, app.MailEventsFunction, p.env, p.clients, app.Options{})(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	if got := p.item(p.env.MainTable, pk("CUST#acme#C001", "CUST"))["mailStatus"]; got != "bounced: mailbox full" {
		t.Errorf("mail status: got %v", got)
	}
}

// TestScheduleFixture runs the digest handler with the scheduler's event: the payload is
// accepted whatever it holds.
func TestScheduleFixture(t *testing.T) {
	p := newPipeline(t)
	raw, err := os.ReadFile("../../events/schedule-digest.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := build[lambdaevents.ScheduleHandler](t, app.DigestFunction, p.env, p.clients, app.Options{})(context.Background(), raw); err != nil {
		t.Fatal(err)
	}
}
