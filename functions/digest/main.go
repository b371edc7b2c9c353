// Command digest queues the daily digest mails of the spaces whose digest hour it is (hourly schedule).
package main

import (
	"github.com/efacture/efacture/shared/app"
)

func main() { app.Start(app.DigestFunction, app.Options{}, app.DynamoDB, app.Secrets) }
