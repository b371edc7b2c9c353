// Command mailredrive sends the outbox mails whose retry is due (every minute).
package main

import (
	"github.com/efacture/efacture/shared/app"
)

func main() {
	app.Start(app.MailRedriveFunction, app.Options{}, app.DynamoDB, app.S3, app.SES, app.Secrets)
}
