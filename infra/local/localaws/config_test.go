package localaws

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestConfigRefusesNonLoopback(t *testing.T) {
	tests := []struct {
		endpoint string
		ok       bool
	}{
		{"http://127.0.0.1:4566", true},
		{"http://127.0.0.2:4566", true},
		{"http://[::1]:4566", true},
		{"https://127.0.0.1", true},
		{"http://localhost:4566", false},
		{"https://dynamodb.eu-west-3.amazonaws.com", false},
		{"http://10.0.0.1:4566", false},
		{"http://0.0.0.0:4566", false},
		{"127.0.0.1:4566", false},
		{"ftp://127.0.0.1", false},
		{"", false},
	}
	for _, tc := range tests {
		t.Run(tc.endpoint, func(t *testing.T) {
			cfg, err := Config(context.Background(), tc.endpoint)
			if tc.ok {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				if got := aws.ToString(cfg.BaseEndpoint); got != tc.endpoint {
					t.Errorf("BaseEndpoint: got %q, want %q", got, tc.endpoint)
				}
				if cfg.Region != "eu-west-3" {
					t.Errorf("region: got %q, want eu-west-3", cfg.Region)
				}
				if err := AssertLoopback(cfg); err != nil {
					t.Errorf("AssertLoopback: got %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrNotLoopback) {
				t.Errorf("got error %v, want ErrNotLoopback", err)
			}
		})
	}
}

func TestAssertLoopback(t *testing.T) {
	if err := AssertLoopback(aws.Config{Region: Region}); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("no endpoint: got %v, want ErrNotLoopback", err)
	}
	cfg, err := Config(context.Background(), "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	clients := NewClients(cfg, cfg)
	if err := clients.AssertLoopback(); err != nil {
		t.Errorf("loopback clients: got %v, want nil", err)
	}
	if !clients.S3.Options().UsePathStyle {
		t.Error("S3 client: got virtual-hosted style, want path style")
	}
	clients.DynamoDB = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String("https://dynamodb.eu-west-3.amazonaws.com")
	})
	if err := clients.AssertLoopback(); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("redirected client: got %v, want ErrNotLoopback", err)
	}
}

// TestTransportRefusesNonLoopback points a client at 0.0.0.0, which Linux
// would route to this machine, so nothing leaves it even if the guard failed.
func TestTransportRefusesNonLoopback(t *testing.T) {
	cfg, err := Config(context.Background(), "http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		o.BaseEndpoint = aws.String("http://0.0.0.0:1")
		o.RetryMaxAttempts = 1
	})
	_, err = client.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if !errors.Is(err, ErrNotLoopback) {
		t.Errorf("got %v, want ErrNotLoopback", err)
	}
}

func TestProvisionRefusesNonLoopback(t *testing.T) {
	cfg := aws.Config{Region: Region, BaseEndpoint: aws.String("https://s3.eu-west-3.amazonaws.com")}
	_, err := Provision(context.Background(), cfg, "testdata/template.yaml", "p", nil)
	if !errors.Is(err, ErrNotLoopback) {
		t.Errorf("got %v, want ErrNotLoopback", err)
	}
}
