package eventsource

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// sequencer hands out increasing S3 sequencer values for events that lack
// one; it starts at the clock so values also grow across runs.
var sequencer atomic.Uint64

func init() { sequencer.Store(uint64(time.Now().UnixNano())) }

func nextSequencer() string { return fmt.Sprintf("%016X", sequencer.Add(1)) }

// S3EventFromSQSBody decodes an S3 notification delivered through SQS into
// the event AWS would deliver. It returns skip=true for the s3:TestEvent
// sent when notifications are configured. moto's quirks are mended: an
// eventTime without a zone is read as UTC, keys are re-encoded as AWS
// encodes them (spaces as +, other bytes percent-encoded, / kept), and a
// missing sequencer is filled with an increasing hex value.
func S3EventFromSQSBody(body string) (ev events.S3Event, skip bool, err error) {
	raw, skip, err := normalizeS3Body(body)
	if err != nil || skip {
		return events.S3Event{}, skip, err
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		return events.S3Event{}, false, fmt.Errorf("s3 event: %w", err)
	}
	return ev, false, nil
}

// normalizeS3Body returns the mended JSON of an S3 notification.
func normalizeS3Body(body string) (json.RawMessage, bool, error) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return nil, false, fmt.Errorf("s3 event: body is not JSON: %w", err)
	}
	if doc["Event"] == "s3:TestEvent" {
		return nil, true, nil
	}
	records, ok := doc["Records"].([]any)
	if !ok {
		return nil, false, fmt.Errorf("s3 event: no Records")
	}
	for i, r := range records {
		rec, ok := r.(map[string]any)
		if !ok || rec["eventSource"] != "aws:s3" {
			return nil, false, fmt.Errorf("s3 event: record %d is not from aws:s3", i)
		}
		if err := normalizeS3Record(rec); err != nil {
			return nil, false, fmt.Errorf("s3 event: record %d: %w", i, err)
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, false, err
	}
	return b, false, nil
}

func normalizeS3Record(rec map[string]any) error {
	if s, ok := rec["eventTime"].(string); ok {
		t, err := parseEventTime(s)
		if err != nil {
			return err
		}
		rec["eventTime"] = t.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	// AWS always sends these; moto leaves them out.
	setDefault(rec, "userIdentity", map[string]any{"principalId": "AWS:LOCAL"})
	setDefault(rec, "requestParameters", map[string]any{"sourceIPAddress": "127.0.0.1"})
	setDefault(rec, "responseElements", map[string]any{
		"x-amz-request-id": randomHex(8),
		"x-amz-id-2":       "local",
	})
	s3, _ := rec["s3"].(map[string]any)
	if s3 == nil {
		return fmt.Errorf("no s3 entity")
	}
	if bucket, _ := s3["bucket"].(map[string]any); bucket != nil {
		setDefault(bucket, "ownerIdentity", map[string]any{"principalId": "LOCAL"})
	}
	obj, _ := s3["object"].(map[string]any)
	if obj == nil {
		return fmt.Errorf("no s3 object")
	}
	key, ok := obj["key"].(string)
	if !ok {
		return fmt.Errorf("no object key")
	}
	decoded, err := url.QueryUnescape(key)
	if err != nil {
		return fmt.Errorf("object key %q: %w", key, err)
	}
	obj["key"] = EncodeS3EventKey(decoded)
	if s, _ := obj["sequencer"].(string); s == "" {
		obj["sequencer"] = nextSequencer()
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

func setDefault(m map[string]any, k string, v any) {
	if _, ok := m[k]; !ok {
		m[k] = v
	}
}

// parseEventTime reads RFC 3339 times and moto's zone-less ones as UTC.
func parseEventTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("eventTime %q: %w", s, err)
	}
	return t, nil
}

// EncodeS3EventKey encodes an object key the way S3 notifications carry it:
// each path segment form-encoded (space as +), the slashes kept.
// url.QueryUnescape gives the key back.
func EncodeS3EventKey(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = url.QueryEscape(p)
	}
	return strings.Join(parts, "/")
}

// NormalizeSQSMessage returns the record Lambda would hand a function for
// msg, read from the queue queueARN. An S3 notification body is replaced by
// its mended JSON (see S3EventFromSQSBody) and md5OfBody recomputed; other
// bodies, the S3 test event included, are passed unchanged. Receive with
// all message system attributes to get ApproximateReceiveCount and the
// timestamps.
func NormalizeSQSMessage(msg sqstypes.Message, queueARN string) events.SQSMessage {
	body := deref(msg.Body)
	md5Body := deref(msg.MD5OfBody)
	if raw, skip, err := normalizeS3Body(body); err == nil && !skip {
		body = string(raw)
		sum := md5.Sum(raw)
		md5Body = hex.EncodeToString(sum[:])
	}
	out := events.SQSMessage{
		MessageId:              deref(msg.MessageId),
		ReceiptHandle:          deref(msg.ReceiptHandle),
		Body:                   body,
		Md5OfBody:              md5Body,
		Md5OfMessageAttributes: deref(msg.MD5OfMessageAttributes),
		Attributes:             map[string]string{},
		MessageAttributes:      map[string]events.SQSMessageAttribute{},
		EventSourceARN:         queueARN,
		EventSource:            "aws:sqs",
		AWSRegion:              arnRegion(queueARN),
	}
	for k, v := range msg.Attributes {
		out.Attributes[k] = v
	}
	for k, v := range msg.MessageAttributes {
		out.MessageAttributes[k] = events.SQSMessageAttribute{
			StringValue:      v.StringValue,
			BinaryValue:      v.BinaryValue,
			StringListValues: v.StringListValues,
			BinaryListValues: v.BinaryListValues,
			DataType:         deref(v.DataType),
		}
	}
	return out
}

// arnRegion returns the region field of an ARN, or the local stack's region.
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[3] != "" {
		return parts[3]
	}
	return localRegion
}

// localRegion is the region of the local stack (localaws.Region).
const localRegion = "eu-west-3"

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
