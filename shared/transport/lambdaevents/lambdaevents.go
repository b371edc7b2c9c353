// Package lambdaevents turns the Lambda events of the non-HTTP functions (SQS messages,
// DynamoDB stream records, schedules, SNS notifications) into calls on their services,
// and reports failures the way each event source retries them.
package lambdaevents

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/shared/service/ingest"
	"github.com/efacture/efacture/shared/service/mailevents"
	"github.com/efacture/efacture/shared/service/purge"
)

// The handler shapes lambda.Start takes for each event source.
type (
	SQSHandler      = func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)
	StreamHandler   = func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error)
	ScheduleHandler = func(context.Context, json.RawMessage) error
	SNSHandler      = func(context.Context, events.SNSEvent) error
)

// Ingester files one inbox object (package ingest).
type Ingester interface {
	// Handle files the object at key, written by principal (the event's
	// userIdentity.principalId, which ingestion checks against the space's billing).
	Handle(ctx context.Context, key, principal string) error
	// RejectUnreadable rejects a document whose earlier deliveries all failed,
	// without reading it.
	RejectUnreadable(ctx context.Context, key, principal string) error
}

// IngestFailedReceives is how many receives of an inbox message may fail before the
// next one rejects its document as unreadable (ingest.UnreadableAfter): the 4th receive
// of a message follows 3 failures. IngestFunction's batches hold one message
// (template.yaml), so a crash or timeout counts against its own file only, and
// IngestQueue's maxReceiveCount of 5 leaves two receives to write the rejection before
// the dead-letter queue takes what cannot even be rejected.
const IngestFailedReceives = ingest.UnreadableAfter

// s3Notification is the body S3 sends to SQS: an S3 event, or a test event at setup.
type s3Notification struct {
	events.S3Event
	Event string `json:"Event"`
}

// Ingest handles the inbox queue: each SQS message carries one S3 event; a failing
// message is reported alone so the rest of the batch is not redelivered.
func Ingest(svc Ingester, log *slog.Logger) SQSHandler {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, msg := range ev.Records {
			var n s3Notification
			if err := json.Unmarshal([]byte(msg.Body), &n); err != nil {
				// Retrying cannot fix a body that does not parse: the redrive policy parks it.
				log.ErrorContext(ctx, "unreadable SQS message", "messageId", msg.MessageId, "error", err.Error())
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
				continue
			}
			if n.Event == "s3:TestEvent" {
				continue
			}
			handle := svc.Handle
			if receives, _ := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"]); receives > IngestFailedReceives {
				handle = svc.RejectUnreadable
			}
			for _, r := range n.Records {
				if err := handle(ctx, r.S3.Object.Key, r.PrincipalID.PrincipalID); err != nil {
					log.ErrorContext(ctx, "ingestion failed; will retry", "messageId", msg.MessageId, "error", err.Error())
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
					break
				}
			}
		}
		return resp, nil
	}
}

// Deliverer sends one outbox record (package delivery).
type Deliverer interface {
	Deliver(ctx context.Context, id string) error
}

// Mailer handles the outbox stream. A mail that fails is rescheduled on its record, so
// a failure here is the store failing: it stops there and reports it, so the shard
// retries from there in order.
func Mailer(svc Deliverer) StreamHandler {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var resp events.DynamoDBEventResponse
		for _, r := range ev.Records {
			if r.EventName != string(events.DynamoDBOperationTypeInsert) {
				continue
			}
			pk, ok := r.Change.Keys["pk"]
			if !ok || pk.DataType() != events.DataTypeString {
				continue
			}
			if err := svc.Deliver(ctx, pk.String()); err != nil {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
				break
			}
		}
		return resp, nil
	}
}

// ExportsMaxReceives matches ExportsQueue's maxReceiveCount in template.yaml: the last
// delivery marks a failing export failed instead of leaving it pending forever.
const ExportsMaxReceives = 5

// ExportMessage is the body of an ExportsQueue message.
type ExportMessage struct {
	ID string `json:"id"`
}

// Builder builds one queued export; last says no delivery will follow (package exports).
type Builder interface {
	Build(ctx context.Context, id string, last bool) error
}

// Exports handles ExportsQueue; a failing message is reported alone so the rest of the
// batch is not redelivered.
func Exports(svc Builder, log *slog.Logger) SQSHandler {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, msg := range ev.Records {
			var m ExportMessage
			if err := json.Unmarshal([]byte(msg.Body), &m); err != nil || m.ID == "" {
				log.ErrorContext(ctx, "unreadable export message", "messageId", msg.MessageId)
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
				continue
			}
			receives, _ := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"])
			if err := svc.Build(ctx, m.ID, receives >= ExportsMaxReceives); err != nil {
				log.ErrorContext(ctx, "export failed; will retry", "export", m.ID, "error", err.Error())
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			}
		}
		return resp, nil
	}
}

// Purger deletes the archived PDF of a removed document (package purge).
type Purger interface {
	Purge(ctx context.Context, r purge.Record) error
}

// Purge handles the documents stream. It stops at the first failure and reports it, so
// the shard retries from there.
func Purge(svc Purger) StreamHandler {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		var resp events.DynamoDBEventResponse
		for _, r := range ev.Records {
			if err := svc.Purge(ctx, purgeRecord(r)); err != nil {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: r.Change.SequenceNumber})
				break
			}
		}
		return resp, nil
	}
}

func purgeRecord(r events.DynamoDBEventRecord) purge.Record {
	s := func(k string) string {
		if v, ok := r.Change.OldImage[k]; ok && v.DataType() == events.DataTypeString {
			return v.String()
		}
		return ""
	}
	rec := purge.Record{EventName: r.EventName, Company: s("pk"), SortKey: s("sk"), ArchiveKey: s("archiveKey")}
	if id := r.UserIdentity; id != nil {
		rec.IdentityType, rec.PrincipalID = id.Type, id.PrincipalID
	}
	return rec
}

// Runner runs a scheduled job (package digest).
type Runner interface {
	Run(ctx context.Context) error
}

// Digest handles the hourly schedule; the event's content does not matter, only the
// hour it runs at.
func Digest(svc Runner) ScheduleHandler {
	return func(ctx context.Context, _ json.RawMessage) error { return svc.Run(ctx) }
}

// Redriver sends the mails whose retry is due (package delivery).
type Redriver interface {
	Redrive(ctx context.Context) error
}

// MailRedrive handles the re-drive schedule; the event's content does not matter.
func MailRedrive(svc Redriver) ScheduleHandler {
	return func(ctx context.Context, _ json.RawMessage) error { return svc.Redrive(ctx) }
}

// MailStatuses records what an SES event says of a customer's mail (package mailevents).
type MailStatuses interface {
	Apply(ctx context.Context, out mailevents.Outcome) error
}

// MailEvents handles SES bounce and complaint events delivered through SNS.
func MailEvents(svc MailStatuses, log *slog.Logger) SNSHandler {
	return func(ctx context.Context, ev events.SNSEvent) error {
		for _, r := range ev.Records {
			out, ok, err := mailevents.Parse(r.SNS.Message)
			if err != nil {
				log.ErrorContext(ctx, "unreadable SES event", "messageId", r.SNS.MessageID, "error", err.Error())
				continue // retrying cannot make it readable
			}
			if !ok {
				continue
			}
			if err := svc.Apply(ctx, out); err != nil {
				return err
			}
		}
		return nil
	}
}
