// Command purge deletes the archived PDF of each document DynamoDB's TTL deletes
// (documents table stream).
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
	lambda.Start(app.Purge(app.PurgeService(env, clients, app.Options{})))
}
