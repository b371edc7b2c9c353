package app

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

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
}

// Functions are the functions of template.yaml. The local runner builds these; the
// template tests check that template.yaml and infra/sam.mk declare exactly these, with
// these routes; each functions/<Dir>/main.go starts its New. A function rather than a
// variable: a variable's initialiser would link every function's code into every
// function's binary (docs/BENCHMARKS.md R8).
func Functions() []Function {
	return []Function{
		{ID: "AuthFunction", Dir: "auth", New: AuthFunction, Routes: httpapi.AuthRoutes},
		{ID: "AdminFunction", Dir: "admin", New: AdminFunction, Routes: httpapi.AdminRoutes},
		{ID: "DocumentsFunction", Dir: "documents", New: DocumentsFunction, Routes: httpapi.DocumentsRoutes},
		{ID: "StaffFunction", Dir: "staff", New: StaffFunction, Routes: httpapi.StaffRoutes},
		{ID: "ExportsFunction", Dir: "exports", New: ExportsFunction},
		{ID: "IngestFunction", Dir: "ingest", New: IngestFunction},
		{ID: "MailerFunction", Dir: "mailer", New: MailerFunction},
		{ID: "MailRedriveFunction", Dir: "mailredrive", New: MailRedriveFunction},
		{ID: "MailEventsFunction", Dir: "mailevents", New: MailEventsFunction},
		{ID: "DigestFunction", Dir: "digest", New: DigestFunction},
		{ID: "PurgeFunction", Dir: "purge", New: PurgeFunction},
	}
}

// Start is every function's main: environment, AWS clients, handler, Lambda runtime. A
// function that cannot build its handler fails its init, which Lambda reports.
func Start(build Constructor, o Options) {
	env, err := EnvFrom(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	clients, err := LoadClients(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	handler, err := build(env, clients, o)
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(handler)
}
