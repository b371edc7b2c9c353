package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/template"
	"github.com/efacture/efacture/shared/app"
)

// Functions is app.Functions() as the runner builds them, so the runner runs the code
// that ships; it refuses to start while the template and this registry disagree.
var Functions = registryOf(app.Functions())

func registryOf(fns []app.Function) Registry {
	reg := Registry{}
	for _, f := range fns {
		// Each function gets only the clients its main builds, so a client it uses
		// without naming fails here as it would in Lambda.
		build, clients := f.New, f.Clients
		reg[f.ID] = Function{New: func(env app.Env, c app.Clients, o app.Options) (any, error) {
			return build(env, app.Only(c, clients...), o)
		}, Routes: f.Routes}
	}
	return reg
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
	// app.Functions()' Routes); required for a function with HttpApi events,
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
// registry and returns every difference at once (template.Check).
func checkRegistry(fns map[string]localaws.Function, reg Registry) error {
	declared := map[string][]string{}
	for id, f := range fns {
		declared[id] = nil
		for _, r := range f.HTTP {
			declared[id] = append(declared[id], routeKey(r.Method, r.Path))
		}
	}
	code := map[string][]string{}
	for id, f := range reg {
		if f.New != nil {
			code[id] = f.Routes
		}
	}
	return template.Check(declared, code, "runner.Functions")
}

// routeKey is API Gateway's route key: "GET /api/documents/{id}".
func routeKey(method, path string) string { return strings.ToUpper(method) + " " + path }
