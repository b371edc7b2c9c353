// Command mailer sends the mails of the outbox (DynamoDB stream of the outbox table).
package main

import (
	"github.com/efacture/efacture/shared/app"
)

func main() { app.Start(app.MailerFunction, app.Options{}, app.DynamoDB, app.S3, app.SES, app.Secrets) }
