// Command staff is the supplier console's API function: staff sign-in and the
// customer-service views of PRODUCT.md §11.
package main

import (
	"github.com/efacture/efacture/shared/app"
)

func main() { app.Start(app.StaffFunction, app.Options{}, app.DynamoDB, app.S3, app.Secrets) }
