package app

import (
	"errors"

	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/aws/objects"
	"github.com/efacture/efacture/shared/aws/queue"
	"github.com/efacture/efacture/shared/aws/sesmail"
	"github.com/efacture/efacture/shared/service/delivery"
	"github.com/efacture/efacture/shared/service/digest"
	"github.com/efacture/efacture/shared/service/exports"
	"github.com/efacture/efacture/shared/service/ingest"
	"github.com/efacture/efacture/shared/service/mailevents"
	"github.com/efacture/efacture/shared/service/purge"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// IngestFunction is the ingest function: it files what billing drops into the inbox
// (SQS ← S3 notifications). It needs Options.ReadFacturX.
func IngestFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	if o.ReadFacturX == nil {
		return nil, errors.New("ingest: no Factur-X reader (Options.ReadFacturX)")
	}
	svc := &ingest.Service{
		Objects: objects.New(c.S3, env.InboxBucket, env.ArchiveBucket),
		Store:   store(env, c, o), ReadXML: o.ReadFacturX, Now: o.Now, Log: o.Log,
	}
	if env.IngestQueueURL != "" {
		svc.Queue = queue.NewIngest(c.SQS, env.IngestQueueURL)
	}
	if o.Ingest != nil {
		o.Ingest(svc)
	}
	return lambdaevents.Ingest(svc, o.Log), nil
}

// MailerMaxAttempts matches the outbox stream's MaximumRetryAttempts plus the first try.
const MailerMaxAttempts = 6

// MailerFunction is the mailer function: it sends the outbox's mails (outbox stream).
func MailerFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	svc := &delivery.Service{
		Store:         store(env, c, o),
		Sender:        sesmail.New(c.SES, env.MailFrom, env.SESConfigurationSet),
		Archive:       objects.New(c.S3, env.InboxBucket, env.ArchiveBucket),
		From:          env.MailFrom,
		PortalBaseURL: env.PortalBaseURL,
		MaxAttempts:   MailerMaxAttempts,
		Now:           o.Now, Sleep: o.Sleep, Log: o.Log,
	}
	if o.Delivery != nil {
		o.Delivery(svc)
	}
	return lambdaevents.Mailer(svc), nil
}

// ExportsFunction is the exports function: it builds the exports the documents function
// queued (ExportsQueue).
func ExportsFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	svc := exportsService(env, c, o, store(env, c, o), objects.NewPresigner(c.S3, env.ArchiveBucket))
	if o.Exports != nil {
		o.Exports(svc)
	}
	return lambdaevents.Exports(svc, o.Log), nil
}

// exportsService is the exports' behaviour without a queue, which only the documents
// function, where requests arrive, adds.
func exportsService(env Env, c Clients, o Options, st *dynamo.Store, presign *objects.Presigner) *exports.Service {
	limits := exports.DefaultLimits()
	if o.ExportLimits != nil {
		limits = *o.ExportLimits
	}
	return &exports.Service{
		Store: st, Archive: objects.NewExportArchive(c.S3, env.ArchiveBucket, presign), Spaces: st, Audit: st,
		Limits: limits, Now: o.Now, Log: o.Log,
	}
}

// PurgeFunction is the purge function: it deletes the archived PDFs of documents
// DynamoDB's TTL removed (documents stream).
func PurgeFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	return lambdaevents.Purge(&purge.Service{Archive: objects.New(c.S3, env.InboxBucket, env.ArchiveBucket), Log: o.Log}), nil
}

// DigestFunction is the digest function: it queues the daily digest mails of the spaces
// whose digest hour it is (hourly schedule).
func DigestFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	return lambdaevents.Digest(&digest.Service{Store: store(env, c, o), Now: o.Now, Log: o.Log}), nil
}

// MailEventsFunction is the mail-events function: SES bounce and complaint events,
// through SNS, mark the customer's mail status for ops.
func MailEventsFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	return lambdaevents.MailEvents(&mailevents.Service{Store: store(env, c, o), Now: o.Now, Log: o.Log}, o.Log), nil
}
