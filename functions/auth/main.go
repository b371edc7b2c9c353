// Command auth is the auth API function: health, spaces, authentication and profile.
package main

import (
	"github.com/efacture/efacture/shared/app"
)

func main() { app.Start(app.AuthFunction, app.Options{}, app.DynamoDB, app.Secrets) }
