// Command ingest files what billing drops into the inbox (SQS ← S3 notifications).
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/facturx"
)

func main() {
	ctx := context.Background()
	env, err := app.EnvFrom(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	clients, err := app.LoadClients(ctx)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(app.Ingest(app.IngestService(env, clients, facturx.ReadForIngest, app.Options{})))
}
