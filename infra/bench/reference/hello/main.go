// Command hello is the smallest Go Lambda function, the yardstick of cold starts
// (docs/BENCHMARKS.md, R9): the runtime loop and nothing else.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(ctx context.Context) (string, error) { return "hello", nil })
}
