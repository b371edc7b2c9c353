// Command admin is the administration API function: a company's users and audit log.
package main

import (
	"github.com/efacture/efacture/shared/app"
)

func main() { app.Start(app.AdminFunction, app.Options{}, app.DynamoDB, app.Secrets) }
