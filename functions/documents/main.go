// Command documents is the documents API function: listing, downloads, no-login links
// and export requests.
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
	handler, err := app.Documents(env, clients, app.Options{})
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(handler)
}
