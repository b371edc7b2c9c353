package eventsource

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// motoBody is an S3 notification as moto 5.2.1 sends it to SQS.
const motoBody = `{"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-3", "eventTime": "2026-11-26T06:27:04.059319", "eventName": "ObjectCreated:Put", "s3": {"s3SchemaVersion": "1.0", "configurationId": "cfg", "bucket": {"name": "bbb", "arn": "arn:aws:s3:::bbb"}, "object": {"key": "inbox%2Fx%2Fdocuments%2Fa+b%2Bc+%C3%A9.pdf", "size": 6, "eTag": "7084ba8dbe6ec729c0b970cd585d07a2"}}}]}`

const testEventBody = `{"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2026-11-26T06:27:04.047399", "Bucket": "bbb"}`

func TestS3EventFromSQSBody(t *testing.T) {
	ev, skip, err := S3EventFromSQSBody(motoBody)
	if err != nil || skip {
		t.Fatalf("got skip=%v err=%v, want an event", skip, err)
	}
	if len(ev.Records) != 1 {
		t.Fatalf("got %d records, want 1", len(ev.Records))
	}
	rec := ev.Records[0]
	if got, want := rec.S3.Object.Key, "inbox/x/documents/a+b%2Bc+%C3%A9.pdf"; got != want {
		t.Errorf("key: got %q, want %q", got, want)
	}
	decoded, err := url.QueryUnescape(rec.S3.Object.Key)
	if err != nil {
		t.Fatal(err)
	}
	if want := "inbox/x/documents/a b+c é.pdf"; decoded != want {
		t.Errorf("decoded key: got %q, want %q", decoded, want)
	}
	if want := time.Date(2026, 11, 26, 6, 27, 4, 59000000, time.UTC); !rec.EventTime.Equal(want) {
		t.Errorf("eventTime: got %v, want %v", rec.EventTime, want)
	}
	if rec.S3.Object.Sequencer == "" {
		t.Error("sequencer: got empty, want a value")
	}
	if rec.S3.Bucket.Name != "bbb" || rec.S3.Object.Size != 6 || rec.EventName != "ObjectCreated:Put" {
		t.Errorf("got bucket %q size %d event %q, want bbb 6 ObjectCreated:Put", rec.S3.Bucket.Name, rec.S3.Object.Size, rec.EventName)
	}
	if rec.RequestParameters.SourceIPAddress == "" || rec.PrincipalID.PrincipalID == "" {
		t.Errorf("got requestParameters %+v userIdentity %+v, want both filled", rec.RequestParameters, rec.PrincipalID)
	}

	again, _, err := S3EventFromSQSBody(motoBody)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := rec.S3.Object.Sequencer, again.Records[0].S3.Object.Sequencer; !(len(b) == len(a) && b > a) {
		t.Errorf("sequencer: got %q then %q, want increasing values", a, b)
	}
}

func TestS3EventFromSQSBodyCases(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantSkip bool
		wantErr  bool
		wantKey  string
		wantTime time.Time
	}{
		{name: "test event", body: testEventBody, wantSkip: true},
		{name: "not json", body: "hello", wantErr: true},
		{name: "not s3", body: `{"Records":[{"eventSource":"aws:sns"}]}`, wantErr: true},
		{name: "no records", body: `{"foo":1}`, wantErr: true},
		{
			name:     "already AWS-shaped",
			body:     `{"Records":[{"eventSource":"aws:s3","eventTime":"2026-01-02T03:04:05.678Z","s3":{"object":{"key":"inbox/a+b.pdf","sequencer":"00A"}}}]}`,
			wantKey:  "inbox/a+b.pdf",
			wantTime: time.Date(2026, 1, 2, 3, 4, 5, 678000000, time.UTC),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, skip, err := S3EventFromSQSBody(tc.body)
			if (err != nil) != tc.wantErr || skip != tc.wantSkip {
				t.Fatalf("got skip=%v err=%v, want skip=%v error=%v", skip, err, tc.wantSkip, tc.wantErr)
			}
			if tc.wantKey == "" {
				return
			}
			obj := ev.Records[0].S3.Object
			if obj.Key != tc.wantKey || obj.Sequencer != "00A" {
				t.Errorf("got key %q sequencer %q, want %q and 00A", obj.Key, obj.Sequencer, tc.wantKey)
			}
			if !ev.Records[0].EventTime.Equal(tc.wantTime) {
				t.Errorf("got time %v, want %v", ev.Records[0].EventTime, tc.wantTime)
			}
		})
	}
}

func TestEncodeS3EventKey(t *testing.T) {
	tests := []struct{ key, want string }{
		{"inbox/a.pdf", "inbox/a.pdf"},
		{"inbox/a b.pdf", "inbox/a+b.pdf"},
		{"inbox/a+b.pdf", "inbox/a%2Bb.pdf"},
		{"inbox/é/ü.pdf", "inbox/%C3%A9/%C3%BC.pdf"},
		{"inbox//x%y&z.pdf", "inbox//x%25y%26z.pdf"},
	}
	for _, tc := range tests {
		t.Run(tc.key, func(t *testing.T) {
			got := EncodeS3EventKey(tc.key)
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			back, err := url.QueryUnescape(got)
			if err != nil || back != tc.key {
				t.Errorf("decoded: got %q (%v), want %q", back, err, tc.key)
			}
		})
	}
}

func TestNormalizeSQSMessage(t *testing.T) {
	const arn = "arn:aws:sqs:eu-west-3:123456789012:ingest"
	msg := sqstypes.Message{
		MessageId:     aws.String("m-1"),
		ReceiptHandle: aws.String("rh-1"),
		Body:          aws.String(motoBody),
		MD5OfBody:     aws.String("stale"),
		Attributes:    map[string]string{"ApproximateReceiveCount": "2", "SentTimestamp": "1795674424059"},
		MessageAttributes: map[string]sqstypes.MessageAttributeValue{
			"kind": {DataType: aws.String("String"), StringValue: aws.String("doc")},
		},
	}
	got := NormalizeSQSMessage(msg, arn)
	if got.MessageId != "m-1" || got.ReceiptHandle != "rh-1" {
		t.Errorf("ids: got %q %q, want m-1 rh-1", got.MessageId, got.ReceiptHandle)
	}
	if got.EventSource != "aws:sqs" || got.EventSourceARN != arn || got.AWSRegion != "eu-west-3" {
		t.Errorf("source: got %q %q %q", got.EventSource, got.EventSourceARN, got.AWSRegion)
	}
	if got.Attributes["ApproximateReceiveCount"] != "2" {
		t.Errorf("attributes: got %v, want ApproximateReceiveCount 2", got.Attributes)
	}
	if a := got.MessageAttributes["kind"]; a.DataType != "String" || aws.ToString(a.StringValue) != "doc" {
		t.Errorf("message attribute: got %+v", a)
	}
	sum := md5.Sum([]byte(got.Body))
	if want := hex.EncodeToString(sum[:]); got.Md5OfBody != want {
		t.Errorf("md5OfBody: got %q, want %q", got.Md5OfBody, want)
	}
	var body struct {
		Records []struct {
			EventTime string `json:"eventTime"`
			S3        struct {
				Object struct {
					Key string `json:"key"`
				} `json:"object"`
			} `json:"s3"`
		}
	}
	if err := json.Unmarshal([]byte(got.Body), &body); err != nil {
		t.Fatal(err)
	}
	if r := body.Records[0]; r.EventTime != "2026-11-26T06:27:04.059Z" || r.S3.Object.Key != "inbox/x/documents/a+b%2Bc+%C3%A9.pdf" {
		t.Errorf("body: got time %q key %q", r.EventTime, r.S3.Object.Key)
	}

	plain := NormalizeSQSMessage(sqstypes.Message{Body: aws.String(testEventBody), MD5OfBody: aws.String("x")}, arn)
	if plain.Body != testEventBody || plain.Md5OfBody != "x" {
		t.Errorf("test event: got body %q md5 %q, want them unchanged", plain.Body, plain.Md5OfBody)
	}
}
