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

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/dynamo"
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
	clients, err := app.LoadClients(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	st := dynamo.New(clients.DynamoDB, dynamo.Tables{Main: *table}, nil)
	applied, err := app.ApplySpaces(ctx, st, flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, sp := range applied {
		fmt.Printf("applied space %s (%s)\n", sp.ID, sp.Name)
	}
}
