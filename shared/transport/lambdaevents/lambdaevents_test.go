package lambdaevents_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
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

func (c *calls) Handle(_ context.Context, key string) error {
	c.got = append(c.got, "handle "+key)
	if c.fail[key] {
		return errors.New("injected")
	}
	return nil
}

func (c *calls) RejectUnreadable(_ context.Context, key string) error {
	c.got = append(c.got, "unreadable "+key)
	return nil
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
