// Command mail lists the dead mails of a deployment's outbox and re-drives them once the
// cause is fixed (PRODUCT.md §10); go run ./infra/ops mail is the same command.
//
//	OUTBOX_TABLE=… go run ./infra/mail dead [-space S]
//	OUTBOX_TABLE=… go run ./infra/mail redrive (-id ID | -all)
//
// AWS_ENDPOINT_URL points it at an emulator, as it does every SDK client.
package main

import (
	"context"
	"os"

	"github.com/efacture/efacture/infra/mail/mailcmd"
)

func main() {
	os.Exit(mailcmd.Run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr, mailcmd.Open))
}
