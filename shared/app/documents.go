package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/manager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/aws/objects"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/service/exports"
	"github.com/efacture/efacture/shared/service/listing"
	"github.com/efacture/efacture/shared/service/purge"
	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/httpapi"
)

// DocumentsHTTP is the documents function's routes as an http.Handler: listing,
// downloads, no-login links and export requests. It reads the signing secret, so it
// fails when Secrets Manager does, and needs EXPORTS_QUEUE_URL.
func DocumentsHTTP(env Env, c Clients, o Options) (http.Handler, error) {
	o = o.withDefaults(env)
	if env.ExportsQueueURL == "" {
		return nil, errors.New("missing environment: EXPORTS_QUEUE_URL")
	}
	if c.SQS == nil {
		return nil, errors.New("no SQS client")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key, err := SigningKey(ctx, env, c)
	if err != nil {
		return nil, err
	}
	st := store(env, c, o)
	limits := ratelimit.Default()
	if o.Limits != nil {
		limits = *o.Limits
	}
	docs := &listing.Service{
		Store: st, Audit: st, Spaces: st, Presigner: objects.NewPresigner(c.S3, env.ArchiveBucket), Cursors: key,
		Limiter: ratelimit.Limiter{Counter: st, Now: o.Now}, LinkUses: limits.LinkUsesPerToken,
		Now: o.Now, Log: o.Log,
	}
	exp := exportsService(env, c, o, st)
	exp.Queue = exportQueue{client: c.SQS, url: env.ExportsQueueURL}
	return httpapi.NewDocuments(httpapi.DocumentsDeps{
		Sessions: httpapi.NewSessions(accountsService(st, o), st, o.Log), PortalBaseURL: env.PortalBaseURL,
		Documents: docs, Exports: exp, Log: o.Log, Now: o.Now,
	}), nil
}

// Documents is the documents function's Lambda handler.
func Documents(env Env, c Clients, o Options) (HTTPHandler, error) {
	h, err := DocumentsHTTP(env, c, o)
	if err != nil {
		return nil, err
	}
	return apigw.Handler(h), nil
}

func exportsService(env Env, c Clients, o Options, st *dynamo.Store) *exports.Service {
	limits := exports.DefaultLimits()
	if o.ExportLimits != nil {
		limits = *o.ExportLimits
	}
	return &exports.Service{
		Store: st, Archive: newExportArchive(c.S3, env.ArchiveBucket), Spaces: st, Audit: st,
		Limits: limits, Now: o.Now, Log: o.Log,
	}
}

// ExportsService builds the exports the documents function queued; it takes no requests
// itself, so it has no queue.
func ExportsService(env Env, c Clients, o Options) *exports.Service {
	o = o.withDefaults(env)
	return exportsService(env, c, o, store(env, c, o))
}

// ExportsMaxReceives matches ExportsQueue's maxReceiveCount in template.yaml: the last
// delivery marks a failing export failed instead of leaving it pending forever.
const ExportsMaxReceives = 5

// exportMessage is the body of an ExportsQueue message.
type exportMessage struct {
	ID string `json:"id"`
}

// Exports is the exports function's Lambda handler on ExportsQueue; a failing message is
// reported alone so the rest of the batch is not redelivered.
func Exports(svc *exports.Service) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, msg := range ev.Records {
			var m exportMessage
			if err := json.Unmarshal([]byte(msg.Body), &m); err != nil || m.ID == "" {
				svc.Log.ErrorContext(ctx, "unreadable export message", "messageId", msg.MessageId)
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
				continue
			}
			receives, _ := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"])
			if err := svc.Build(ctx, m.ID, receives >= ExportsMaxReceives); err != nil {
				svc.Log.ErrorContext(ctx, "export failed; will retry", "export", m.ID, "error", err.Error())
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: msg.MessageId})
			}
		}
		return resp, nil
	}
}

// PurgeService deletes archived PDFs of expired documents.
func PurgeService(env Env, c Clients, o Options) *purge.Service {
	o = o.withDefaults(env)
	return &purge.Service{Archive: objects.New(c.S3, env.InboxBucket, env.ArchiveBucket), Log: o.Log}
}

// Purge is the purge function's Lambda handler on the documents stream. It stops at the
// first failure and reports it, so the shard retries from there.
func Purge(svc *purge.Service) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
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

// exportQueue sends export requests to the exports function.
type exportQueue struct {
	client *sqs.Client
	url    string
}

func (q exportQueue) Enqueue(ctx context.Context, id string) error {
	body, _ := json.Marshal(exportMessage{ID: id})
	_, err := q.client.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &q.url, MessageBody: aws.String(string(body))})
	return err
}

// exportArchive reads archived PDFs and streams export files to the archive bucket.
type exportArchive struct {
	client   *s3.Client
	presign  *s3.PresignClient
	uploader *manager.Uploader
	bucket   string
}

func newExportArchive(client *s3.Client, bucket string) *exportArchive {
	return &exportArchive{client: client, presign: s3.NewPresignClient(client), uploader: manager.NewUploader(client), bucket: bucket}
}

func (a *exportArchive) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := a.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &a.bucket, Key: &key})
	if err != nil {
		return nil, fmt.Errorf("get archived %s: %w", key, err)
	}
	return out.Body, nil
}

// Upload streams what write produces to key: a multipart upload of 5 MiB parts once the
// file outgrows one part, so a 500 MiB ZIP never sits in memory.
func (a *exportArchive) Upload(ctx context.Context, key, contentType string, write func(io.Writer) error) error {
	pr, pw := io.Pipe()
	wrote := make(chan error, 1)
	go func() {
		err := write(pw)
		pw.CloseWithError(err) // nil closes the pipe normally
		wrote <- err
	}()
	_, upErr := a.uploader.Upload(ctx, &s3.PutObjectInput{Bucket: &a.bucket, Key: &key, Body: pr, ContentType: &contentType})
	if upErr != nil {
		pr.CloseWithError(upErr) // unblocks a writer the upload stopped reading
	}
	// The writer's error comes first: it says why the upload was cut short.
	if err := <-wrote; err != nil {
		return err
	}
	if upErr != nil {
		return fmt.Errorf("upload %s: %w", key, upErr)
	}
	return nil
}

func (a *exportArchive) Presign(ctx context.Context, key, filename, contentType string, ttl time.Duration) (string, error) {
	req, err := a.presign.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: &a.bucket, Key: &key,
		ResponseContentType:        aws.String(contentType),
		ResponseContentDisposition: aws.String(objects.ContentDisposition(filename)),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return "", err
	}
	return req.URL, nil
}
