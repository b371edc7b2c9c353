package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/aws/objects"
	"github.com/efacture/efacture/shared/aws/sesmail"
	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/service/delivery"
	"github.com/efacture/efacture/shared/service/exports"
	"github.com/efacture/efacture/shared/service/ingest"
	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/httpapi"
)

// Options are what differs between Lambda, the local runner and tests.
type Options struct {
	Now   func() time.Time
	Log   *slog.Logger
	Sleep func(time.Duration)
	// Limits are the throttling thresholds; nil means SPEC §6's (ratelimit.Default).
	Limits *ratelimit.Limits
	// ExportLimits bound exports; nil means SPEC §7's (exports.DefaultLimits).
	ExportLimits *exports.Limits
	// Hasher wraps the password hasher (argon2id with password.Default), so tests can
	// count what each password check costs; nil keeps it as it is.
	Hasher func(accounts.Hasher) accounts.Hasher
}

func (o Options) withDefaults(env Env) Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = Logger(env.LogLevel)
	}
	if o.Sleep == nil {
		o.Sleep = time.Sleep
	}
	return o
}

func store(env Env, c Clients, o Options) *dynamo.Store {
	return dynamo.New(c.DynamoDB, dynamo.Tables{Main: env.MainTable, Documents: env.DocumentsTable, Outbox: env.OutboxTable}, o.Now)
}

// HTTPHandler is an API function's Lambda handler.
type HTTPHandler = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// AuthHTTP is the auth function's routes as an http.Handler.
func AuthHTTP(env Env, c Clients, o Options) http.Handler {
	o = o.withDefaults(env)
	st := store(env, c, o)
	svc := accountsService(st, o)
	return httpapi.NewAuth(httpapi.AuthDeps{
		Store: st, Accounts: svc, Sessions: httpapi.NewSessions(svc, st, o.Log), Spaces: st,
		PortalBaseURL: env.PortalBaseURL, Log: o.Log, Now: o.Now,
	})
}

// Auth is the auth function's Lambda handler.
func Auth(env Env, c Clients, o Options) HTTPHandler { return apigw.Handler(AuthHTTP(env, c, o)) }

// IngestService is the ingestion service on real adapters.
func IngestService(env Env, c Clients, readXML ingest.FacturXReader, o Options) *ingest.Service {
	o = o.withDefaults(env)
	return &ingest.Service{
		Objects: objects.New(c.S3, env.InboxBucket, env.ArchiveBucket),
		Store:   store(env, c, o), ReadXML: readXML, Now: o.Now, Log: o.Log,
	}
}

// s3Notification is the body S3 sends to SQS: an S3 event, or a test event at setup.
type s3Notification struct {
	events.S3Event
	Event string `json:"Event"`
}

// Ingest is the ingest function's Lambda handler: each SQS message carries one S3 event;
// a failing message is reported alone so the rest of the batch is not redelivered.
func Ingest(svc *ingest.Service) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, msg := range ev.Records {
			var n s3Notification
			if err := json.Unmarshal([]byte(msg.Body), &n); err != nil {
				// Retrying cannot fix a body that does not parse: the redrive policy parks it.
				svc.Log.ErrorContext(ctx, "unreadable SQS message", "messageId", msg.MessageId, "error", err.Error())
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
				continue
			}
			if n.Event == "s3:TestEvent" {
				continue
			}
			for _, r := range n.Records {
				if err := svc.Handle(ctx, r.S3.Object.Key); err != nil {
					svc.Log.ErrorContext(ctx, "ingestion failed; will retry", "messageId", msg.MessageId, "error", err.Error())
					resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
					break
				}
			}
		}
		return resp, nil
	}
}

// DeliveryService is the mailer's service on real adapters.
func DeliveryService(env Env, c Clients, o Options) *delivery.Service {
	o = o.withDefaults(env)
	return &delivery.Service{
		Store:         store(env, c, o),
		Sender:        sesmail.New(c.SES, env.MailFrom, env.SESConfigurationSet),
		Archive:       objects.New(c.S3, env.InboxBucket, env.ArchiveBucket),
		From:          env.MailFrom,
		PortalBaseURL: env.PortalBaseURL,
		MaxAttempts:   MailerMaxAttempts,
		Now:           o.Now, Sleep: o.Sleep, Log: o.Log,
	}
}

// MailerMaxAttempts matches the outbox stream's MaximumRetryAttempts plus the first try.
const MailerMaxAttempts = 6

// Mailer is the mailer function's Lambda handler on the outbox stream. It stops at the
// first failure and reports it, so the shard retries from there in order.
func Mailer(svc *delivery.Service) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
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
