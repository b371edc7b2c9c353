// Command admin is the admin API function: a company's users and audit log.
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
	handler, err := app.Admin(env, clients, app.Options{})
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(handler)
}
