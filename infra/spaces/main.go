// Command spaces applies a spaces file (docs/SPACES.md) to a deployment's main table.
//
//	MAIN_TABLE=… go run ./infra/spaces spaces.json
//
// AWS_ENDPOINT_URL points it at an emulator, as it does every SDK client.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/aws/principals"
)

func main() {
	table := flag.String("table", os.Getenv("MAIN_TABLE"), "main table name (default $MAIN_TABLE)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: spaces [-table NAME] FILE.json")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 || *table == "" {
		flag.Usage()
		os.Exit(2)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	clients := app.NewClients(cfg, cfg)
	st := dynamo.New(clients.DynamoDB, dynamo.Tables{Main: *table}, nil)
	applied, err := app.ApplySpacesWith(ctx, st, principals.New(iam.NewFromConfig(cfg)), flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, sp := range applied {
		fmt.Printf("applied space %s (%s), billing principals: %d\n", sp.ID, sp.Name, len(sp.BillingPrincipals))
		if !sp.Confined() {
			fmt.Fprintf(os.Stderr, "warning: space %s names no billingPrincipals: ingestion accepts its files from any principal allowed to write under inbox/%s/ (docs/SPACES.md)\n", sp.ID, sp.ID)
		}
	}
}
