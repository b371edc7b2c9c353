package app

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/efacture/efacture/shared/transport/httpapi"
)

// Constructor builds a function's Lambda handler, the value lambda.Start takes, from its
// environment. Mains, the local runner and the tests all build functions through these,
// so what runs locally is what ships.
type Constructor func(Env, Clients, Options) (any, error)

// Function is one Lambda function of template.yaml.
type Function struct {
	// ID is the function's logical id in template.yaml.
	ID string
	// Dir is the function's main package under functions/, which infra/sam.mk builds.
	Dir string
	New Constructor
	// Routes are the net/http patterns an API function serves, which must be its
	// template routes; nil for the other functions.
	Routes []string
	// Clients are the SDK clients New uses, which functions/<Dir>/main.go passes to Start.
	Clients []Client
}

// Functions are the functions of template.yaml. The local runner builds these; the
// template tests check that template.yaml and infra/sam.mk declare exactly these, with
// these routes; each functions/<Dir>/main.go starts its New. A function rather than a
// variable: a variable's initialiser would link every function's code into every
// function's binary (docs/BENCHMARKS.md R8).
func Functions() []Function {
	return []Function{
		{ID: "AuthFunction", Dir: "auth", New: AuthFunction, Routes: httpapi.AuthRoutes, Clients: []Client{DynamoDB, Secrets}},
		{ID: "AdminFunction", Dir: "admin", New: AdminFunction, Routes: httpapi.AdminRoutes, Clients: []Client{DynamoDB, Secrets}},
		{ID: "DocumentsFunction", Dir: "documents", New: DocumentsFunction, Routes: httpapi.DocumentsRoutes, Clients: []Client{DynamoDB, S3, Secrets, SQS}},
		{ID: "StaffFunction", Dir: "staff", New: StaffFunction, Routes: httpapi.StaffRoutes, Clients: []Client{DynamoDB, S3, Secrets}},
		{ID: "ExportsFunction", Dir: "exports", New: ExportsFunction, Clients: []Client{DynamoDB, S3}},
		{ID: "IngestFunction", Dir: "ingest", New: IngestFunction, Clients: []Client{DynamoDB, S3, Secrets, SQS}},
		{ID: "MailerFunction", Dir: "mailer", New: MailerFunction, Clients: []Client{DynamoDB, S3, SES, Secrets}},
		{ID: "MailRedriveFunction", Dir: "mailredrive", New: MailRedriveFunction, Clients: []Client{DynamoDB, S3, SES, Secrets}},
		{ID: "MailEventsFunction", Dir: "mailevents", New: MailEventsFunction, Clients: []Client{DynamoDB}},
		{ID: "DigestFunction", Dir: "digest", New: DigestFunction, Clients: []Client{DynamoDB, Secrets}},
		{ID: "PurgeFunction", Dir: "purge", New: PurgeFunction, Clients: []Client{S3}},
	}
}

// Start is every function's main: environment, the AWS clients named, handler, Lambda
// runtime. A function that cannot build its handler fails its init, which Lambda reports.
func Start(build Constructor, o Options, clients ...Client) {
	env, err := EnvFrom(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	o.inLambda = true
	handler, err := build(env, Build(cfg, cfg, clients...), o)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(handler)
}
