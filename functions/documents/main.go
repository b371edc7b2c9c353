// Command documents is the documents API function: listing, downloads, no-login links, exports.
package main

import (
	"github.com/efacture/efacture/shared/app"
)

func main() {
	app.Start(app.DocumentsFunction, app.Options{}, app.DynamoDB, app.S3, app.Secrets, app.SQS)
}
