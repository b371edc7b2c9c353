// Package queue is the SQS adapter: the export requests the documents function sends to
// the exports function.
package queue

import (
	"context"
	"encoding/json"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/efacture/efacture/shared/service/exports"
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
