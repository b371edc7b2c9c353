// Command exports builds the ZIP and CSV exports the documents function queues.
package main

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/efacture/efacture/shared/app"
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
	lambda.Start(app.Exports(app.ExportsService(env, clients, app.Options{})))
}
