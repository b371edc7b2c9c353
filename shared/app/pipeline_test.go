package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/efacture/efacture/infra/local/eventsource"
	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/pdf/facturx"
	"github.com/efacture/efacture/shared/service/delivery"
	"github.com/efacture/efacture/shared/service/ingest"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// pipeline is the walking skeleton on real emulators: the functions' handlers fed the way
// Lambda feeds them, from the provisioned queue and stream.
type pipeline struct {
	t       testing.TB
	aws     *localaws.Env
	env     app.Env
	clients app.Clients
	ingest  *ingest.Service
	mailer  *delivery.Service
	// handleIngest and handleMail are the ingest and mailer functions' handlers, on
	// ingest and mailer.
	handleIngest lambdaevents.SQSHandler
	handleMail   lambdaevents.StreamHandler
	streams      *eventsource.StreamReader
	now          time.Time
}

func newPipeline(t testing.TB) *pipeline {
	t.Helper()
	le := localaws.MustStart(t)
	fnEnv := le.Stack.FunctionEnv("IngestFunction")
	env, err := app.EnvFrom(func(k string) string { return fnEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	// The API functions built on this env need CloudFront's origin secret, as provisioned.
	env.OriginVerify = le.Stack.FunctionEnv("AuthFunction")["ORIGIN_VERIFY"]
	p := &pipeline{t: t, aws: le, env: env, clients: app.NewClients(le.Config, le.SESConfig), now: time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)}
	opts := app.Options{Now: func() time.Time { return p.now }, ReadFacturX: facturx.ReadForIngest,
		Ingest: func(s *ingest.Service) { p.ingest = s }, Delivery: func(s *delivery.Service) { p.mailer = s }}
	p.handleIngest = build[lambdaevents.SQSHandler](t, app.IngestFunction, env, p.clients, opts)
	p.handleMail = build[lambdaevents.StreamHandler](t, app.MailerFunction, env, p.clients, opts)
	p.streams = eventsource.NewStreamReader(le.Streams, le.Stack.StreamARN("OutboxTable"))
	p.streams.DetectRollbacks(200) // moto reuses sequence numbers after a failed transaction
	if _, err := app.ApplySpaces(context.Background(), app.Store(env, p.clients, opts), "testdata/spaces.json"); err != nil {
		t.Fatal(err)
	}
	return p
}

// build runs a function's constructor and returns its Lambda handler as H.
func build[H any](t testing.TB, fn app.Constructor, env app.Env, c app.Clients, o app.Options) H {
	t.Helper()
	h, err := fn(env, c, o)
	if err != nil {
		t.Fatal(err)
	}
	typed, ok := h.(H)
	if !ok {
		t.Fatalf("handler is %T", h)
	}
	return typed
}

// put drops an object into the inbox bucket as billing does.
func (p *pipeline) put(key string, body []byte, meta map[string]string) {
	p.t.Helper()
	_, err := p.aws.S3.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: &p.env.InboxBucket, Key: &key, Body: bytes.NewReader(body), Metadata: meta,
	})
	if err != nil {
		p.t.Fatal(err)
	}
}

// receive takes the queue's pending S3 events as Lambda's SQS poller would.
func (p *pipeline) receive() []events.SQSMessage {
	p.t.Helper()
	ctx := context.Background()
	url := p.aws.Stack.QueueURL("IngestQueue")
	var msgs []events.SQSMessage
	for {
		out, err := p.aws.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: &url, MaxNumberOfMessages: 10, VisibilityTimeout: 30, // moto queues S3 events within the PutObject call: no need to wait
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			p.t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return msgs
		}
		for _, m := range out.Messages {
			msgs = append(msgs, eventsource.NormalizeSQSMessage(m, p.aws.Stack.QueueARN("IngestQueue")))
		}
	}
}

// deliver hands messages to the ingest handler as one batch; messages it reports failed
// become visible again at once, the others are deleted, as Lambda does.
func (p *pipeline) deliver(msgs []events.SQSMessage) (failed int) {
	p.t.Helper()
	ctx := context.Background()
	resp, err := p.handleIngest(ctx, events.SQSEvent{Records: msgs})
	if err != nil {
		p.t.Fatal(err)
	}
	failures := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		failures[f.ItemIdentifier] = true
	}
	url := p.aws.Stack.QueueURL("IngestQueue")
	for _, m := range msgs {
		if failures[m.MessageId] {
			p.aws.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &url, ReceiptHandle: &m.ReceiptHandle, VisibilityTimeout: 0})
			continue
		}
		p.aws.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: &m.ReceiptHandle})
	}
	return len(failures)
}

// ingestAll delivers until the queue is empty.
func (p *pipeline) ingestAll() {
	p.t.Helper()
	for i := 0; i < 10; i++ {
		msgs := p.receive()
		if len(msgs) == 0 {
			return
		}
		p.deliver(msgs)
	}
	p.t.Fatal("inbox queue never drained")
}

// mailAll feeds the outbox stream's INSERT records to the mailer, as the template's
// event source mapping (filter on INSERT) does.
func (p *pipeline) mailAll() {
	p.t.Helper()
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		recs, err := p.streams.Poll(ctx)
		if err != nil {
			p.t.Fatal(err)
		}
		if len(recs) == 0 {
			return
		}
		resp, err := p.handleMail(ctx, events.DynamoDBEvent{Records: recs})
		if err != nil {
			p.t.Fatal(err)
		}
		if len(resp.BatchItemFailures) > 0 {
			p.t.Fatalf("mailer failures: %+v", resp.BatchItemFailures)
		}
	}
}

// keys lists a bucket's keys under prefix.
func (p *pipeline) keys(bucket, prefix string) []string {
	p.t.Helper()
	out, err := p.aws.S3.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	if err != nil {
		p.t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	sort.Strings(keys)
	return keys
}

func (p *pipeline) read(bucket, key string) []byte {
	p.t.Helper()
	out, err := p.aws.S3.GetObject(context.Background(), &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		p.t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	b, _ := io.ReadAll(out.Body)
	return b
}

func (p *pipeline) readJSON(bucket, key string, v any) {
	p.t.Helper()
	if err := json.Unmarshal(p.read(bucket, key), v); err != nil {
		p.t.Fatalf("%s: %v", key, err)
	}
}

func (p *pipeline) mails() []localaws.Mail {
	p.t.Helper()
	m, err := p.aws.Mails(context.Background())
	if err != nil {
		p.t.Fatal(err)
	}
	return m
}
