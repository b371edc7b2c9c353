package runner

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/efacture/efacture/infra/local/eventsource"
	"github.com/efacture/efacture/infra/local/localaws"
)

// sqsPoller plays an SQS event source mapping: it long-polls the queue,
// hands each batch to the function, deletes what succeeded and leaves the
// rest to reappear after the queue's visibility timeout; the queue's own
// redrive policy then moves a message that keeps failing to its
// dead-letter queue.
type sqsPoller struct {
	r        *Runner
	fn       *function
	src      localaws.SQSSource
	queueURL string
	queueARN string
}

func (p *sqsPoller) run(ctx context.Context) {
	for ctx.Err() == nil {
		out, err := p.r.AWS.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(p.queueURL),
			MaxNumberOfMessages:         int32(min(max(p.src.BatchSize, 1), 10)),
			WaitTimeSeconds:             1,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			MessageAttributeNames:       []string{"All"},
		})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			p.r.log.Warn("receive failed", "queue", p.src.QueueID, "error", err.Error())
			sleep(ctx, time.Second)
			continue
		}
		if len(out.Messages) > 0 {
			p.deliver(ctx, out.Messages)
		}
	}
}

// deliver invokes the function with one batch and settles the messages as
// Lambda does.
func (p *sqsPoller) deliver(ctx context.Context, msgs []sqstypes.Message) {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(msgs))}
	for _, m := range msgs {
		ev.Records = append(ev.Records, eventsource.NormalizeSQSMessage(m, p.queueARN))
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		p.r.log.Error("encode SQS event", "queue", p.src.QueueID, "error", err.Error())
		return
	}
	out, err := p.r.invokeAlone(context.WithoutCancel(ctx), p.fn, payload)
	failed := failedMessages(ev.Records, out, err, p.src.ReportBatchItemFailures)
	p.r.logInvoke(p.fn.id, "SQS "+p.src.QueueID, len(msgs), len(failed), err)

	var done []sqstypes.DeleteMessageBatchRequestEntry
	for _, m := range msgs {
		if !failed[aws.ToString(m.MessageId)] {
			done = append(done, sqstypes.DeleteMessageBatchRequestEntry{Id: m.MessageId, ReceiptHandle: m.ReceiptHandle})
		}
	}
	if len(done) == 0 {
		return
	}
	// Deleting must not be cut short by shutdown: a handled message left
	// in the queue would be handled again.
	res, err := p.r.AWS.SQS.DeleteMessageBatch(context.WithoutCancel(ctx), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(p.queueURL), Entries: done})
	if err != nil {
		p.r.log.Warn("delete failed", "queue", p.src.QueueID, "error", err.Error())
		return
	}
	for _, f := range res.Failed {
		p.r.log.Warn("delete failed", "queue", p.src.QueueID, "message", aws.ToString(f.Id), "error", aws.ToString(f.Message))
	}
}

// failedMessages returns the ids Lambda would leave in the queue: all of
// them on a function error; with ReportBatchItemFailures those the answer
// names, or all of them when it names one that is empty or not in the batch.
func failedMessages(batch []events.SQSMessage, out []byte, invokeErr error, reportFailures bool) map[string]bool {
	all := func() map[string]bool {
		m := map[string]bool{}
		for _, rec := range batch {
			m[rec.MessageId] = true
		}
		return m
	}
	if invokeErr != nil {
		return all()
	}
	if !reportFailures {
		return nil
	}
	var resp events.SQSEventResponse
	if len(out) > 0 && json.Unmarshal(out, &resp) != nil {
		return all()
	}
	inBatch := all()
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		if !inBatch[f.ItemIdentifier] {
			return inBatch
		}
		failed[f.ItemIdentifier] = true
	}
	return failed
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
