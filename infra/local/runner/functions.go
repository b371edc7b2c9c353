package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/pdf/facturx"
	"github.com/efacture/efacture/shared/transport/httpapi"
)

// Functions maps every function of template.yaml to the constructor its
// main.go calls, so the runner runs the code that ships. A new function is
// one line here; the runner refuses to start while the template and this
// registry disagree.
var Functions = Registry{
	"AuthFunction":       {Routes: httpapi.AuthRoutes, New: app.AuthFunction},
	"AdminFunction":      {Routes: httpapi.AdminRoutes, New: app.AdminFunction},
	"DocumentsFunction":  {Routes: httpapi.DocumentsRoutes, New: app.DocumentsFunction},
	"ExportsFunction":    {New: app.ExportsFunction},
	"PurgeFunction":      {New: app.PurgeFunction},
	"IngestFunction":     {New: app.IngestFunction(facturx.ReadForIngest)},
	"MailerFunction":     {New: app.MailerFunction},
	"DigestFunction":     {New: app.DigestFunction},
	"MailEventsFunction": {New: app.MailEventsFunction},
}

// Registry maps template logical ids to functions.
type Registry map[string]Function

// Function is how the runner builds one template function.
type Function struct {
	// New returns the Lambda handler, the value main.go hands to
	// lambda.Start, from the function's environment; an error is a failed
	// cold start, which stops the runner.
	New app.Constructor
	// Routes lists the routes the handler itself serves, as
	// "METHOD /path" with Go's {name} and {name...} wildcards (for example
	// httpapi.AuthRoutes); required for a function with HttpApi events,
	// whose routes must be exactly these.
	Routes []string
}

// Handler is a function as Lambda sees it: a JSON event in, a JSON answer
// or an error out.
type Handler func(ctx context.Context, payload []byte) ([]byte, error)

// function is a template function ready to be invoked.
type function struct {
	id      string
	arn     string
	timeout time.Duration
	def     localaws.Function
	handler any
	invoke  Handler // call, possibly wrapped by Options.Wrap
}

// call invokes the handler the way the Lambda runtime does: JSON through
// aws-lambda-go's own reflection, a Lambda context with a request id and
// the function's deadline. A panic becomes an error instead of ending the
// runner, and running past the timeout fails the invocation as on AWS.
func (f *function) call(ctx context.Context, payload []byte) (out []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID(), InvokedFunctionArn: f.arn})
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%s: runtime error: %v", f.id, p)
		}
	}()
	// A handler value per call: aws-lambda-go pools its output buffer per
	// handler, which concurrent calls would share.
	out, err = lambda.NewHandler(f.handler).Invoke(ctx, payload)
	if ctx.Err() == context.DeadlineExceeded {
		return nil, fmt.Errorf("%s: task timed out after %v", f.id, f.timeout)
	}
	// The output aliases a buffer the handler value owns.
	return slices.Clone(out), err
}

// requestID returns a random id shaped like Lambda's.
func requestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// checkHandler reports a value lambda.Start would refuse.
func checkHandler(h any) error {
	t := reflect.TypeOf(h)
	if t == nil || t.Kind() != reflect.Func {
		return fmt.Errorf("handler is %v, not a function", t)
	}
	if t.NumIn() > 2 || t.NumOut() > 2 {
		return fmt.Errorf("handler %v takes or returns too many values", t)
	}
	errType := reflect.TypeOf((*error)(nil)).Elem()
	if t.NumOut() > 0 && !t.Out(t.NumOut()-1).Implements(errType) {
		return fmt.Errorf("handler %v: the last result must be an error", t)
	}
	return nil
}

// checkRegistry compares the template's functions and routes with the
// registry and returns every difference at once.
func checkRegistry(fns map[string]localaws.Function, reg Registry) error {
	var problems []string
	for _, id := range sortedKeys(fns) {
		f := fns[id]
		entry, ok := reg[id]
		if !ok || entry.New == nil {
			problems = append(problems, fmt.Sprintf("template function %s has no entry in runner.Functions (infra/local/runner/functions.go)", id))
			continue
		}
		if len(f.HTTP) == 0 {
			if len(entry.Routes) > 0 {
				problems = append(problems, fmt.Sprintf("%s: runner.Functions lists routes %v, the template none", id, entry.Routes))
			}
			continue
		}
		if entry.Routes == nil {
			problems = append(problems, fmt.Sprintf("%s has HttpApi events: give its runner.Functions entry the handler's Routes", id))
			continue
		}
		tpl := map[string]bool{}
		for _, r := range f.HTTP {
			key := routeKey(r.Method, r.Path)
			tpl[key] = true
			if r.Path != "/api" && !strings.HasPrefix(r.Path, "/api/") {
				problems = append(problems, fmt.Sprintf("%s: route %s is outside /api/, which is all CloudFront sends to the API", id, key))
			}
		}
		served := map[string]bool{}
		for _, r := range entry.Routes {
			served[goRouteKey(r)] = true
		}
		for _, k := range sortedKeys(tpl) {
			if !served[k] {
				problems = append(problems, fmt.Sprintf("%s: template route %q is not served by the handler", id, k))
			}
		}
		for _, k := range sortedKeys(served) {
			if !tpl[k] {
				problems = append(problems, fmt.Sprintf("%s: handler route %q is not in the template", id, k))
			}
		}
	}
	for _, id := range sortedKeys(reg) {
		if _, ok := fns[id]; !ok {
			problems = append(problems, fmt.Sprintf("runner.Functions has %s, which the template does not declare", id))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("template and runner disagree:\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// routeKey is API Gateway's route key: "GET /api/documents/{id}".
func routeKey(method, path string) string { return strings.ToUpper(method) + " " + path }

// goRouteKey turns a net/http pattern into an API Gateway route key: no
// method means ANY, and {name...} is {name+}.
func goRouteKey(pattern string) string {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "ANY", pattern
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "...}") {
			segs[i] = strings.TrimSuffix(s, "...}") + "+}"
		}
	}
	return routeKey(method, strings.Join(segs, "/"))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
