// Command staff is the size yardstick of the staff (console) function
// (docs/BENCHMARKS.md, R8): aws-lambda-go, the SDK's default configuration, the signing
// secret read at start, DynamoDB operations and an S3 client (the function lists and
// reads billing's rejections), and none of the project's code.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
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
	objects := s3.NewFromConfig(cfg)
	table, bucket := os.Getenv("MAIN_TABLE"), os.Getenv("INBOX_BUCKET")
	lambda.Start(func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if err := sdkops.DynamoDB(ctx, db, table, ev.RawPath); err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: 500}, nil
		}
		if err := sdkops.Objects(ctx, objects, bucket, ev.RawPath); err != nil {
			return events.APIGatewayV2HTTPResponse{StatusCode: 500}, nil
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	})
}
