// Command purge deletes archived PDFs when DynamoDB's TTL deletes their documents (documents stream).
package main

import (
	"github.com/efacture/efacture/shared/app"
)

func main() { app.Start(app.PurgeFunction, app.Options{}, app.S3) }
