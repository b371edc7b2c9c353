package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

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
	key, err := mailKey(env, c)
	if err != nil {
		return nil, err
	}
	svc := &ingest.Service{
		Objects: objects.New(c.S3, env.InboxBucket, env.ArchiveBucket),
		Store:   store("IngestFunction", env, c, o), ReadXML: o.ReadFacturX, MailKey: key, Now: o.Now, Log: o.Log,
		Metrics: metricsOf(env),
	}
	if env.IngestQueueURL != "" {
		svc.Queue = queue.NewIngest(c.SQS, env.IngestQueueURL)
	}
	if o.Ingest != nil {
		o.Ingest(svc)
	}
	return lambdaevents.Ingest(svc, o.Log), nil
}

// MailerFunction is the mailer function: it sends the outbox's new mails (outbox stream)
// and leaves those that fail to the re-drive. It reads the mail-token secret.
func MailerFunction(env Env, c Clients, o Options) (any, error) {
	svc, err := deliveryService("MailerFunction", env, c, o)
	if err != nil {
		return nil, err
	}
	return lambdaevents.Mailer(svc), nil
}

// MailRedriveFunction is the mail re-drive function: it sends the mails whose retry is
// due (schedule, every minute). It reads the mail-token secret.
func MailRedriveFunction(env Env, c Clients, o Options) (any, error) {
	svc, err := deliveryService("MailRedriveFunction", env, c, o)
	if err != nil {
		return nil, err
	}
	return lambdaevents.MailRedrive(svc), nil
}

// redriveWorkers is how many mails a re-drive sends at once: enough to reach 50 mails/s
// (PRODUCT.md §10) with SES answering in 100 ms.
const redriveWorkers = 8

func deliveryService(function string, env Env, c Clients, o Options) (*delivery.Service, error) {
	o = o.withDefaults(env)
	key, err := mailKey(env, c)
	if err != nil {
		return nil, err
	}
	st := store(function, env, c, o)
	sender := sesmail.New(c.SES, env.MailFrom, env.SESConfigurationSet)
	svc := &delivery.Service{
		Store:         st,
		Sender:        sender,
		Archive:       objects.New(c.S3, env.InboxBucket, env.ArchiveBucket),
		From:          env.MailFrom,
		PortalBaseURL: env.PortalBaseURL,
		MailKey:       key,
		Now:           o.Now, Log: o.Log,
		Pacer: st, Rate: sendRate(env.SESMaxSendRate, sender, o.Log),
		Clock: time.Now, Sleep: o.Sleep,
		Workers: redriveWorkers, Metrics: metricsOf(env),
	}
	if o.Delivery != nil {
		o.Delivery(svc)
	}
	return svc, nil
}

// sendRate is the configured rate, lowered to the account's quota when SES says it is
// lower, so a misconfigured rate is not spent in throttling.
func sendRate(configured int, sender *sesmail.Sender, log *slog.Logger) int {
	if configured <= 0 {
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	quota, err := sender.MaxSendRate(ctx)
	if err != nil {
		log.Warn("SES send quota unknown; pacing to the configured rate", "rate", configured, "error", err.Error())
		return configured
	}
	if q := int(quota); q >= 1 && q < configured {
		log.Warn("SES send quota below the configured rate; pacing to the quota", "rate", configured, "quota", quota)
		return q
	}
	return configured
}

// ExportsFunction is the exports function: it builds the exports the documents function
// queued (ExportsQueue).
func ExportsFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	svc := exportsService(env, c, o, store("ExportsFunction", env, c, o), objects.NewPresigner(c.S3, env.ArchiveBucket))
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
// whose digest hour it is (hourly schedule). It reads the mail-token secret.
func DigestFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	key, err := mailKey(env, c)
	if err != nil {
		return nil, err
	}
	return lambdaevents.Digest(&digest.Service{Store: store("DigestFunction", env, c, o), MailKey: key, Now: o.Now, Log: o.Log}), nil
}

// MailEventsFunction is the mail-events function: SES bounce and complaint events,
// through SNS, mark the customer's mail status for ops.
func MailEventsFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	return lambdaevents.MailEvents(&mailevents.Service{Store: store("MailEventsFunction", env, c, o), Now: o.Now, Log: o.Log, Metrics: metricsOf(env)}, o.Log), nil
}
