// Command exports builds ZIP and CSV exports (SQS ExportsQueue).
package main

import (
	"github.com/efacture/efacture/shared/app"
)

func main() { app.Start(app.ExportsFunction, app.Options{}, app.DynamoDB, app.S3) }
