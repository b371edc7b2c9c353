package localaws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// Region is the region every local client uses.
const Region = "eu-west-3"

// ErrNotLoopback is returned for an endpoint whose host is not a loopback
// IP literal.
var ErrNotLoopback = errors.New("endpoint is not a loopback IP address")

// CheckEndpoint returns an error wrapping ErrNotLoopback unless endpoint is
// an http(s) URL whose host is a loopback IP literal (127.0.0.1, ::1).
// Host names, even localhost, are refused: they need a resolver, and the SDK
// turns them into bucket.localhost for S3.
func CheckEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("%w: %q: %v", ErrNotLoopback, endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: %q has scheme %q", ErrNotLoopback, endpoint, u.Scheme)
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %q", ErrNotLoopback, endpoint)
	}
	return nil
}

// Config returns an SDK configuration for the emulator at endpoint: static
// dummy credentials, region eu-west-3, BaseEndpoint = endpoint. It refuses an
// endpoint that is not a loopback IP literal. The configuration is built by
// hand, not loaded, so no environment variable or shared file can redirect
// it; its HTTP client also refuses to dial anything but a loopback IP.
func Config(ctx context.Context, endpoint string) (aws.Config, error) {
	if err := CheckEndpoint(endpoint); err != nil {
		return aws.Config{}, err
	}
	return aws.Config{
		Region:       Region,
		Credentials:  aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider("local", "local", "")),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   loopbackHTTPClient(),
	}, nil
}

// SESConfig returns the configuration for an SES v2 emulator listening
// apart from moto; the same rules as Config apply.
func SESConfig(ctx context.Context, endpoint string) (aws.Config, error) {
	return Config(ctx, endpoint)
}

// AssertLoopback returns an error unless cfg's endpoint is a loopback IP
// literal. A configuration without BaseEndpoint would reach AWS itself.
func AssertLoopback(cfg aws.Config) error {
	if cfg.BaseEndpoint == nil {
		return fmt.Errorf("%w: configuration has no BaseEndpoint", ErrNotLoopback)
	}
	return CheckEndpoint(*cfg.BaseEndpoint)
}

// loopbackHTTPClient dials loopback IP literals only, without DNS, so a
// client pointed elsewhere by mistake fails at once.
func loopbackHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.Proxy = nil
		dialer := &net.Dialer{}
		tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return nil, fmt.Errorf("%w: refusing to dial %s", ErrNotLoopback, addr)
			}
			return dialer.DialContext(ctx, network, addr)
		}
	})
}

// NewS3 returns an S3 client using path-style addressing, which a
// 127.0.0.1 endpoint needs.
func NewS3(cfg aws.Config) *s3.Client {
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

// Clients holds one client per service the project uses locally.
type Clients struct {
	S3       *s3.Client
	DynamoDB *dynamodb.Client
	Streams  *dynamodbstreams.Client
	SQS      *sqs.Client
	Secrets  *secretsmanager.Client
	SES      *sesv2.Client
}

// NewClients builds every client from cfg (moto) and sesCfg (the SES
// emulator).
func NewClients(cfg, sesCfg aws.Config) Clients {
	return Clients{
		S3:       NewS3(cfg),
		DynamoDB: dynamodb.NewFromConfig(cfg),
		Streams:  dynamodbstreams.NewFromConfig(cfg),
		SQS:      sqs.NewFromConfig(cfg),
		Secrets:  secretsmanager.NewFromConfig(cfg),
		SES:      sesv2.NewFromConfig(sesCfg),
	}
}

// AssertLoopback returns an error naming the first client whose endpoint
// is not a loopback IP literal.
func (c Clients) AssertLoopback() error {
	endpoints := []struct {
		name     string
		endpoint *string
	}{
		{"s3", c.S3.Options().BaseEndpoint},
		{"dynamodb", c.DynamoDB.Options().BaseEndpoint},
		{"dynamodbstreams", c.Streams.Options().BaseEndpoint},
		{"sqs", c.SQS.Options().BaseEndpoint},
		{"secretsmanager", c.Secrets.Options().BaseEndpoint},
		{"sesv2", c.SES.Options().BaseEndpoint},
	}
	for _, e := range endpoints {
		if e.endpoint == nil {
			return fmt.Errorf("%s client: %w: no BaseEndpoint", e.name, ErrNotLoopback)
		}
		if err := CheckEndpoint(*e.endpoint); err != nil {
			return fmt.Errorf("%s client: %w", e.name, err)
		}
	}
	return nil
}
