// Command ingest is the size yardstick of the ingest function (docs/BENCHMARKS.md, R8):
// aws-lambda-go, the SDK's default configuration, and the DynamoDB and S3 operations the
// function issues, and none of the project's code.
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

	"github.com/efacture/efacture/infra/bench/reference/sdkops"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	db := dynamodb.NewFromConfig(cfg)
	objects := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	table, bucket := os.Getenv("MAIN_TABLE"), os.Getenv("INBOX_BUCKET")
	lambda.Start(func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		var resp events.SQSEventResponse
		for _, m := range ev.Records {
			err := sdkops.Objects(ctx, objects, bucket, m.MessageId)
			if err == nil {
				err = sdkops.DynamoDB(ctx, db, table, m.MessageId)
			}
			if err != nil {
				resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			}
		}
		return resp, nil
	})
}
