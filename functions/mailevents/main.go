// Command mailevents records SES bounces and complaints on customers (SNS).
package main

import (
	"github.com/efacture/efacture/shared/app"
)

func main() { app.Start(app.MailEventsFunction, app.Options{}, app.DynamoDB) }
