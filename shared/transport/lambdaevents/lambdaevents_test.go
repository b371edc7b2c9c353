package lambdaevents_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// calls records which Ingester method each key reached.
type calls struct {
	got  []string
	fail map[string]bool
}

func (c *calls) Handle(_ context.Context, key, principal string) error {
	c.got = append(c.got, "handle "+key+by(principal))
	if c.fail[key] {
		return errors.New("injected")
	}
	return nil
}

func (c *calls) RejectUnreadable(_ context.Context, key, principal string) error {
	c.got = append(c.got, "unreadable "+key+by(principal))
	return nil
}

func by(principal string) string {
	if principal == "" {
		return ""
	}
	return " by " + principal
}

func message(id, key string, receives int) events.SQSMessage {
	return events.SQSMessage{
		MessageId:  id,
		Body:       `{"Records":[{"s3":{"object":{"key":"` + key + `"}}}]}`,
		Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(receives)},
	}
}

// TestIngestRejectsAfterFailedReceives hands the 4th and later receives of a message to
// RejectUnreadable and the first three to Handle; failures are reported per message.
func TestIngestRejectsAfterFailedReceives(t *testing.T) {
	c := &calls{fail: map[string]bool{"k2": true}}
	h := lambdaevents.Ingest(c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	resp, err := h(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		message("m1", "k1", 1), message("m2", "k2", lambdaevents.IngestFailedReceives),
		message("m3", "k3", lambdaevents.IngestFailedReceives+1), message("m4", "k4", 5),
		{MessageId: "m5", Body: `{"Records":[{"s3":{"object":{"key":"k5"}}}]}`}, // no attributes: a first receive
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"handle k1", "handle k2", "unreadable k3", "unreadable k4", "handle k5"}
	if !reflect.DeepEqual(c.got, want) {
		t.Errorf("got %q, want %q", c.got, want)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "m2" {
		t.Errorf("failures: got %+v, want m2 only", resp.BatchItemFailures)
	}
}

// TestIngestPassesEventPrincipal hands each record's userIdentity.principalId, as S3
// writes it and as the requeue writes it back, to the service with its key.
func TestIngestPassesEventPrincipal(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "..", "..", "events", "sqs-s3-put.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sample events.SQSEvent
	if err := json.Unmarshal(body, &sample); err != nil {
		t.Fatal(err)
	}
	var n events.S3Event
	if err := json.Unmarshal([]byte(sample.Records[0].Body), &n); err != nil {
		t.Fatal(err)
	}
	sampleKey, samplePrincipal := n.Records[0].S3.Object.Key, n.Records[0].PrincipalID.PrincipalID
	if samplePrincipal == "" {
		t.Fatal("the sample event carries no principal")
	}
	c := &calls{}
	h := lambdaevents.Ingest(c, slog.New(slog.NewTextHandler(io.Discard, nil)))
	_, err = h(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		sample.Records[0],
		{MessageId: "m2", Body: `{"Records":[{"eventSource":"efacture:requeue","userIdentity":{"principalId":"AWS:AROAACMEBILLING000001:run"},"s3":{"object":{"key":"k2"}}}]}`},
		{MessageId: "m3", Body: `{"Records":[{"userIdentity":{"principalId":"AWS:AIDAACMEBATCH00000001"},"s3":{"object":{"key":"k3"}}}]}`,
			Attributes: map[string]string{"ApproximateReceiveCount": "4"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"handle " + sampleKey + " by " + samplePrincipal, "handle k2 by AWS:AROAACMEBILLING000001:run",
		"unreadable k3 by AWS:AIDAACMEBATCH00000001"}
	if !reflect.DeepEqual(c.got, want) {
		t.Errorf("got %q, want %q", c.got, want)
	}
}
