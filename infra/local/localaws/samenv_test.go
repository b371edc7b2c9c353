package localaws_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/pdf/facturx"
)

// eventFunctions names the function each fixture of events/ is for, with what its
// response must say; every fixture needs an entry.
var eventFunctions = map[string]struct {
	function string
	check    func(t *testing.T, out []byte)
}{
	"http-health.json": {"AuthFunction", func(t *testing.T, out []byte) {
		var res events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &res); err != nil || res.StatusCode != 200 || res.Body != "{\"status\":\"ok\"}\n" {
			t.Errorf("got %s (%v), want 200 {\"status\":\"ok\"}: the event carries env.json's origin header", out, err)
		}
	}},
	// Without a session cookie each API function answers 401, as its routes say.
	"http-admin-users.json":    {"AdminFunction", unauthenticated},
	"http-documents-list.json": {"DocumentsFunction", unauthenticated},
	"http-staff-me.json":       {"StaffFunction", unauthenticated},
	// The export is not in the table: gone before it was built, nothing to retry.
	"sqs-export.json":       {"ExportsFunction", noBatchFailures},
	"schedule-redrive.json": {"MailRedriveFunction", nil},
	// The fixture's object is not in the inbox: already filed, nothing to retry.
	"sqs-s3-put.json":           {"IngestFunction", noBatchFailures},
	"outbox-insert.json":        {"MailerFunction", noBatchFailures},
	"documents-ttl-remove.json": {"PurgeFunction", noBatchFailures},
	"schedule-digest.json":      {"DigestFunction", nil},
	"sns-ses-bounce.json":       {"MailEventsFunction", nil},
}

func unauthenticated(t *testing.T, out []byte) {
	var res events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &res); err != nil || res.StatusCode != 401 || !strings.Contains(res.Body, `"code":"unauthenticated"`) {
		t.Errorf("got %s (%v), want 401 unauthenticated: the event carries env.json's origin header", out, err)
	}
}

func noBatchFailures(t *testing.T, out []byte) {
	var res events.SQSEventResponse
	if err := json.Unmarshal(out, &res); err != nil || len(res.BatchItemFailures) != 0 {
		t.Errorf("got %s (%v), want no batch item failures", out, err)
	}
}

// TestSAMEnvVars builds env.json for sam local invoke from a provisioned stack, checks
// that SAM would pass every variable (each is declared by the function's template
// environment) and that the endpoints are the emulators on loopback, then feeds every
// fixture of events/ to its function built from that environment, through aws-lambda-go's
// own decoding as in Lambda.
func TestSAMEnvVars(t *testing.T) {
	env := localaws.MustStart(t)
	path := filepath.Join(t.TempDir(), "env.json")
	if err := localaws.WriteSAMEnvVars(path, env.Stack, env.MotoServer.URL, env.SESServer.URL); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vars map[string]map[string]string
	if err := json.Unmarshal(raw, &vars); err != nil {
		t.Fatal(err)
	}
	for _, fn := range app.Functions() {
		declared := env.Stack.FunctionEnv(fn.ID)
		for k := range vars[fn.ID] {
			if _, ok := declared[k]; !ok {
				t.Errorf("%s: env.json sets %s, which the template does not declare: sam local would drop it", fn.ID, k)
			}
		}
		if got := vars[fn.ID]["AWS_ENDPOINT_URL"]; got != env.MotoServer.URL {
			t.Errorf("%s: AWS_ENDPOINT_URL %q, want moto at %s", fn.ID, got, env.MotoServer.URL)
		}
		if got := vars[fn.ID]["AWS_ENDPOINT_URL_SESV2"]; got != env.SESServer.URL {
			t.Errorf("%s: AWS_ENDPOINT_URL_SESV2 %q, want the SES emulator at %s", fn.ID, got, env.SESServer.URL)
		}
	}
	if _, err := localaws.SAMEnvVars(env.Stack, "http://host.docker.internal:4566", env.SESServer.URL); err == nil {
		t.Error("got env.json for a non-loopback endpoint, want an error")
	}

	fixtures, err := filepath.Glob(filepath.Join(env.Root, "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range fixtures {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			want, ok := eventFunctions[name]
			if !ok {
				t.Fatalf("events/%s: name the function it is for in eventFunctions", name)
			}
			fn := app.Functions()[slices.IndexFunc(app.Functions(), func(f app.Function) bool { return f.ID == want.function })]
			fnEnv, err := app.EnvFrom(func(k string) string { return vars[fn.ID][k] })
			if err != nil {
				t.Fatal(err)
			}
			// The clients a function builds from these variables, as the SDK reads them.
			cfg, err := localaws.Config(context.Background(), vars[fn.ID]["AWS_ENDPOINT_URL"])
			if err != nil {
				t.Fatal(err)
			}
			sesCfg, err := localaws.SESConfig(context.Background(), vars[fn.ID]["AWS_ENDPOINT_URL_SESV2"])
			if err != nil {
				t.Fatal(err)
			}
			h, err := fn.New(fnEnv, app.NewClients(cfg, sesCfg), app.Options{ReadFacturX: facturx.ReadForIngest, Sleep: func(time.Duration) {}})
			if err != nil {
				t.Fatal(err)
			}
			payload, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "sam-local"})
			out, err := lambda.NewHandler(h).Invoke(ctx, payload)
			if err != nil {
				t.Fatalf("invoke %s with %s: %v", fn.ID, name, err)
			}
			if want.check != nil {
				want.check(t, out)
			} else if s := strings.TrimSpace(string(out)); s != "null" && s != "" {
				t.Errorf("got %s, want no answer", out)
			}
		})
	}
}

// TestProvisionReadsTheAccount: the account in ARNs and the inbox bucket's name is the one
// the emulator's STS names, not a constant; moto serves MOTO_ACCOUNT_ID's.
func TestProvisionReadsTheAccount(t *testing.T) {
	t.Setenv("MOTO_ACCOUNT_ID", "111122223333") // read by the moto this test starts
	env := localaws.MustStart(t)
	cfg := env.Config
	params, err := localaws.LocalParams(env.Template, nil)
	if err != nil {
		t.Fatal(err)
	}
	stack, err := localaws.Provision(context.Background(), cfg, env.Template, "acct", params)
	if err != nil {
		t.Fatal(err)
	}
	if stack.AccountID != "111122223333" || !strings.Contains(stack.FunctionEnv("IngestFunction")["INBOX_BUCKET"], "111122223333") {
		t.Errorf("got account %s, inbox %s; want 111122223333 from STS", stack.AccountID, stack.FunctionEnv("IngestFunction")["INBOX_BUCKET"])
	}
}
