// Command ingest files what billing drops into the inbox (SQS ← S3 notifications).
package main

import (
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/pdf/facturx"
)

func main() {
	app.Start(app.IngestFunction, app.Options{ReadFacturX: facturx.ReadForIngest}, app.DynamoDB, app.S3, app.Secrets, app.SQS)
}
