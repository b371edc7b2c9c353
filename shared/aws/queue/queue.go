// Package queue is the SQS adapter: the export requests the documents function sends to
// the exports function, and the referentials the ingest function carries on.
package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/efacture/efacture/shared/service/exports"
	"github.com/efacture/efacture/shared/service/ingest"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// Client is the part of the SQS client used here.
type Client interface {
	SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// Exports sends export requests to ExportsQueue.
type Exports struct {
	client Client
	url    string
}

var _ exports.Queue = (*Exports)(nil)

// NewExports returns the sender of export requests to the queue at url.
func NewExports(client Client, url string) *Exports { return &Exports{client: client, url: url} }

// Enqueue asks the exports function to build export id, in the message it reads
// (lambdaevents.Exports).
func (q *Exports) Enqueue(ctx context.Context, id string) error {
	body, err := json.Marshal(lambdaevents.ExportMessage{ID: id})
	if err != nil {
		return err
	}
	_, err = q.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q.url, MessageBody: aws.String(string(body))})
	return err
}

// Ingest sends inbox keys back to IngestQueue, shaped as the S3 notifications the ingest
// function reads, so a referential carries on in a later invocation (PRODUCT.md §10).
type Ingest struct {
	client Client
	url    string
}

var _ ingest.Requeue = (*Ingest)(nil)

// NewIngest returns the sender of inbox keys to the queue at url.
func NewIngest(client Client, url string) *Ingest { return &Ingest{client: client, url: url} }

// Requeue asks for an ingest invocation on key after delay (at most SQS's 15 minutes).
func (q *Ingest) Requeue(ctx context.Context, key, principal string, delay time.Duration) error {
	var n events.S3Event
	n.Records = []events.S3EventRecord{{EventSource: "efacture:requeue", EventName: "Requeue"}}
	n.Records[0].S3.Object.Key = url.QueryEscape(key) // encoded as S3 encodes keys
	// Only the ingest function sends here, for a file whose event it already checked.
	n.Records[0].PrincipalID.PrincipalID = principal
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	secs := int32(min(max(delay, 0), 15*time.Minute) / time.Second)
	_, err = q.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q.url, MessageBody: aws.String(string(body)), DelaySeconds: secs})
	if err != nil {
		return fmt.Errorf("requeue %s: %w", key, err)
	}
	return nil
}
