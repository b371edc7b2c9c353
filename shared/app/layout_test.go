package app_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/efacture/efacture/shared/app"
)

// Domain packages decide; they must stay free of the AWS SDK and the Lambda runtime so
// they are testable without an emulator and cheap to link.
var domainPackages = []string{
	"domain/accounts", "domain/audit", "domain/customers", "domain/documents", "domain/mail", "domain/outbox",
	"domain/password", "domain/ratelimit", "domain/sessions", "domain/signing", "domain/spaces", "domain/tokens",
	"service/delivery", "service/digest", "service/exports", "service/ingest", "service/listing",
	"service/mailevents", "service/purge", "transport/httpapi", "transport/httpctx",
}

func TestDomainPackagesImportNoAWS(t *testing.T) {
	for _, p := range domainPackages {
		t.Run(p, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "github.com/efacture/efacture/shared/"+p).CombinedOutput()
			if err != nil {
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				if strings.HasPrefix(dep, "github.com/aws/") {
					t.Errorf("%s depends on %s", p, dep)
				}
			}
		})
	}
}

// API functions start on every cold request path: they must not link the PDF library.
func TestAPIFunctionsDoNotLinkPDFLibrary(t *testing.T) {
	for _, fn := range app.Functions() {
		if fn.ID == "IngestFunction" {
			continue
		}
		out, err := exec.Command("go", "list", "-deps", "github.com/efacture/efacture/functions/"+fn.Dir).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		if strings.Contains(string(out), "pdfcpu") {
			t.Errorf("functions/%s links pdfcpu", fn.Dir)
		}
	}
}
