// Command auth is the size yardstick of the auth function (docs/BENCHMARKS.md, R8):
// aws-lambda-go, the SDK's default configuration, the DynamoDB operations the function
// issues and the mail-token secret it reads at first use (a recovery mail's token), and
// none of the project's code.
package main

import (
	"context"
	"log"
	"os"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/efacture/efacture/infra/bench/reference/sdkops"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	sm := secretsmanager.NewFromConfig(cfg)
	table := os.Getenv("MAIN_TABLE")
	mailKey := sync.OnceValues(func() (string, error) {
		return sdkops.Secret(context.Background(), sm, os.Getenv("MAIL_TOKEN_SECRET_ARN"))
	})
	lambda.Start(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if err := sdkops.DynamoDB(ctx, db, table, ev.RawPath); err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: 500}, nil
		}
		if ev.RawPath == "/api/auth/recovery" {
			if _, err := mailKey(); err != nil {
				return events.APIGatewayV2HTTPResponse{StatusCode: 500}, nil
			}
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: 204}, nil
	})
}
