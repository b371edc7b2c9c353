// Command staff creates the supplier console's staff members; see package staffcmd.
// The same command is `go run ./infra/ops staff add`.
package main

import (
	"context"
	"os"

	"github.com/efacture/efacture/infra/staff/staffcmd"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/dynamo"
)

func main() {
	os.Exit(staffcmd.Run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr, func(table string) (staffcmd.Adder, error) {
		clients, err := app.LoadClients(context.Background())
		if err != nil {
			return nil, err
		}
		return app.StaffService(dynamo.New(clients.DynamoDB, dynamo.Tables{Main: table}, nil), app.Options{}), nil
	}))
}
