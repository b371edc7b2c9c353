// Command admin is the size yardstick of the admin function (docs/BENCHMARKS.md, R8):
// aws-lambda-go, the SDK's default configuration, the signing secret read at start and
// the DynamoDB operations the function issues, and none of the project's code.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/efacture/efacture/infra/bench/reference/sdkops"
)

func main() {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if _, err := sdkops.Secret(ctx, secretsmanager.NewFromConfig(cfg), os.Getenv("SIGNING_SECRET_ARN")); err != nil {
		log.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	table := os.Getenv("MAIN_TABLE")
	lambda.Start(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if err := sdkops.DynamoDB(ctx, db, table, ev.RawPath); err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: 500}, nil
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: 204}, nil
	})
}
