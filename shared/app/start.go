package app

import (
	"context"
	"log"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/efacture/efacture/shared/service/ingest"
	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/httpapi"
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

func AuthFunction(e Env, c Clients, o Options) (any, error) {
	return behindCloudFront(e)(AuthHTTP(e, c, o), nil)
}
func AdminFunction(e Env, c Clients, o Options) (any, error) {
	return behindCloudFront(e)(AdminHTTP(e, c, o))
}
func DocumentsFunction(e Env, c Clients, o Options) (any, error) {
	return behindCloudFront(e)(DocumentsHTTP(e, c, o))
}
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

// behindCloudFront turns an API function's routes into its Lambda handler, refusing
// requests that did not come through CloudFront (httpapi.FromCloudFront).
func behindCloudFront(e Env) func(http.Handler, error) (any, error) {
	return func(h http.Handler, err error) (any, error) {
		if err != nil {
			return nil, err
		}
		return apigw.Handler(httpapi.FromCloudFront(e.OriginVerify, e.ClientIPHop, h)), nil
	}
}
