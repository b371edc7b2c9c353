// Package app wires each Lambda function: its environment and AWS clients, the adapters
// and services built on them, and the transport that turns its events into calls.
// Function mains, the local runner and the tests all call these constructors, so the
// code under test is the code that ships.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/efacture/efacture/shared/domain/metrics"
)

// Env is the functions' configuration, set by template.yaml's Globals.
type Env struct {
	MainTable           string
	DocumentsTable      string
	OutboxTable         string
	InboxBucket         string
	ArchiveBucket       string
	PortalBaseURL       string
	MailFrom            string
	SESConfigurationSet string
	SigningSecretARN    string
	// MailTokenSecretARN names the secret that derives mailed tokens
	// (MAIL_TOKEN_SECRET_ARN); only the functions that write or send such mails read it.
	MailTokenSecretARN string
	// OriginVerify is the value CloudFront sends as X-Origin-Verify; API functions refuse
	// requests without it, and refuse to start when it is empty.
	OriginVerify string
	// ClientIPHop is which X-Forwarded-For entry, counted from the right, is the client
	// behind CloudFront (1: the one CloudFront appends); 0 uses the TCP source address.
	ClientIPHop int
	// MetricsNamespace is the CloudWatch namespace of the business metrics the log lines
	// carry (METRICS_NAMESPACE; metrics.DefaultNamespace when unset).
	MetricsNamespace string
	// SESMaxSendRate is the mails per second all mailers together may send
	// (SES_MAX_SEND_RATE, the SesMaxSendRate parameter); 0 sends unpaced.
	SESMaxSendRate int
	// ExportsQueueURL is set for the documents function only (EXPORTS_QUEUE_URL).
	ExportsQueueURL string
	// IngestQueueURL is set for the ingest function only (INGEST_QUEUE_URL): referentials
	// carry on through it.
	IngestQueueURL string
}

// EnvFrom reads Env with getenv (os.Getenv in mains), naming every missing variable.
func EnvFrom(getenv func(string) string) (Env, error) {
	e := Env{
		MainTable: getenv("MAIN_TABLE"), DocumentsTable: getenv("DOCUMENTS_TABLE"), OutboxTable: getenv("OUTBOX_TABLE"),
		InboxBucket: getenv("INBOX_BUCKET"), ArchiveBucket: getenv("ARCHIVE_BUCKET"),
		PortalBaseURL: getenv("PORTAL_BASE_URL"), MailFrom: getenv("MAIL_FROM"),
		SESConfigurationSet: getenv("SES_CONFIGURATION_SET"), SigningSecretARN: getenv("SIGNING_SECRET_ARN"),
		MailTokenSecretARN: getenv("MAIL_TOKEN_SECRET_ARN"),
		OriginVerify:       getenv("ORIGIN_VERIFY"),
		MetricsNamespace:   getenv("METRICS_NAMESPACE"), ExportsQueueURL: getenv("EXPORTS_QUEUE_URL"),
		IngestQueueURL: getenv("INGEST_QUEUE_URL"),
	}
	if e.MetricsNamespace == "" {
		e.MetricsNamespace = metrics.DefaultNamespace
	}
	if hop := getenv("CLIENT_IP_HOP"); hop != "" {
		n, err := strconv.Atoi(hop)
		if err != nil || n < 0 || n > 10 {
			return e, fmt.Errorf("CLIENT_IP_HOP %q: want 0 to 10", hop)
		}
		e.ClientIPHop = n
	}
	if rate := getenv("SES_MAX_SEND_RATE"); rate != "" {
		n, err := strconv.Atoi(rate)
		if err != nil || n < 0 {
			return e, fmt.Errorf("SES_MAX_SEND_RATE %q: want a whole number of mails per second", rate)
		}
		e.SESMaxSendRate = n
	}
	var missing []string
	for name, v := range map[string]string{
		"MAIN_TABLE": e.MainTable, "DOCUMENTS_TABLE": e.DocumentsTable, "OUTBOX_TABLE": e.OutboxTable,
		"INBOX_BUCKET": e.InboxBucket, "ARCHIVE_BUCKET": e.ArchiveBucket, "PORTAL_BASE_URL": e.PortalBaseURL,
		"MAIL_FROM": e.MailFrom,
	} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return e, fmt.Errorf("missing environment: %s", strings.Join(missing, ", "))
	}
	return e, nil
}

// Clients are the AWS service clients the functions share.
type Clients struct {
	DynamoDB *dynamodb.Client
	S3       *s3.Client
	SES      *sesv2.Client
	Secrets  *secretsmanager.Client
	SQS      *sqs.Client
}

// Client is one SDK client of Clients. A function's main names the ones its constructor
// uses (app.Functions() lists them too), so its binary links no other service's client
// (docs/BENCHMARKS.md R8); the local runner gives each function only those, so that a
// client used but not named fails every test.
type Client struct {
	Name  string
	build func(c *Clients, cfg, sesCfg aws.Config)
}

// The clients. The SDK reads AWS_ENDPOINT_URL(_<SERVICE>) itself; S3 then needs
// path-style addressing, as emulators serve no bucket subdomains.
var (
	DynamoDB = Client{"DynamoDB", func(c *Clients, cfg, _ aws.Config) { c.DynamoDB = dynamodb.NewFromConfig(cfg) }}
	S3       = Client{"S3", func(c *Clients, cfg, _ aws.Config) {
		c.S3 = s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.UsePathStyle = cfg.BaseEndpoint != nil || os.Getenv("AWS_ENDPOINT_URL") != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != ""
		})
	}}
	SES     = Client{"SES", func(c *Clients, _, sesCfg aws.Config) { c.SES = sesv2.NewFromConfig(sesCfg) }}
	Secrets = Client{"Secrets", func(c *Clients, cfg, _ aws.Config) { c.Secrets = secretsmanager.NewFromConfig(cfg) }}
	SQS     = Client{"SQS", func(c *Clients, cfg, _ aws.Config) { c.SQS = sqs.NewFromConfig(cfg) }}
)

// NewClients builds every client from cfg (SES from sesCfg): the runner's and the
// tools' set.
func NewClients(cfg aws.Config, sesCfg aws.Config) Clients {
	return Build(cfg, sesCfg, DynamoDB, S3, SES, Secrets, SQS)
}

// Build builds the clients named.
func Build(cfg, sesCfg aws.Config, clients ...Client) Clients {
	var c Clients
	for _, cl := range clients {
		cl.build(&c, cfg, sesCfg)
	}
	return c
}

// Only returns c with the clients not named left out.
func Only(c Clients, clients ...Client) Clients {
	var out Clients
	for _, cl := range clients {
		switch cl.Name {
		case DynamoDB.Name:
			out.DynamoDB = c.DynamoDB
		case S3.Name:
			out.S3 = c.S3
		case SES.Name:
			out.SES = c.SES
		case Secrets.Name:
			out.Secrets = c.Secrets
		case SQS.Name:
			out.SQS = c.SQS
		}
	}
	return out
}

// LoadClients loads the default AWS configuration (the Lambda role in AWS) and builds
// every client.
func LoadClients(ctx context.Context) (Clients, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return Clients{}, err
	}
	return NewClients(cfg, cfg), nil
}

// Logger is the functions' logger: aws-lambda-go's handler, which writes JSON when the
// function's LoggingConfig says so, filters at the level Lambda passes from its
// ApplicationLogLevel (AWS_LAMBDA_LOG_LEVEL), and adds the invocation's request id to
// every line logged with the invocation's context.
func Logger() *slog.Logger {
	return lambdacontext.NewLogger()
}

// metricsOf is the recorder of the functions' business metrics.
func metricsOf(env Env) metrics.Recorder {
	return metrics.Recorder{Namespace: env.MetricsNamespace}
}
