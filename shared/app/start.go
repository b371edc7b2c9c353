package app

import (
	"context"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/efacture/efacture/shared/ingest"
)

// Constructor builds a function's Lambda handler, the value lambda.Start takes, from its
// environment. Mains, the local runner and the tests all build functions through these,
// so what runs locally is what ships.
type Constructor func(Env, Clients, Options) (any, error)

// Start is every function's main: environment, AWS clients, handler, Lambda runtime. A
// function that cannot build its handler fails its init, which Lambda reports.
func Start(build Constructor) {
	env, err := EnvFrom(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	clients, err := LoadClients(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	handler, err := build(env, clients, Options{})
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(handler)
}

// The functions of template.yaml, by logical id.

func AuthFunction(e Env, c Clients, o Options) (any, error)      { return Auth(e, c, o), nil }
func AdminFunction(e Env, c Clients, o Options) (any, error)     { return Admin(e, c, o) }
func DocumentsFunction(e Env, c Clients, o Options) (any, error) { return Documents(e, c, o) }
func ExportsFunction(e Env, c Clients, o Options) (any, error) {
	return Exports(ExportsService(e, c, o)), nil
}
func PurgeFunction(e Env, c Clients, o Options) (any, error) {
	return Purge(PurgeService(e, c, o)), nil
}
func MailerFunction(e Env, c Clients, o Options) (any, error) {
	return Mailer(DeliveryService(e, c, o)), nil
}
func DigestFunction(e Env, c Clients, o Options) (any, error) {
	return Digest(DigestService(e, c, o)), nil
}
func MailEventsFunction(e Env, c Clients, o Options) (any, error) { return MailEvents(e, c, o), nil }

// IngestFunction takes the Factur-X reader as an argument so that only the ingest
// function links the PDF library.
func IngestFunction(readXML ingest.FacturXReader) Constructor {
	return func(e Env, c Clients, o Options) (any, error) {
		return Ingest(IngestService(e, c, readXML, o)), nil
	}
}
