package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/transport/apigw"
)

// TestOriginSecretFailsClosed: an API function without CloudFront's origin secret does not
// start (PRODUCT.md §9), and one with it answers 403 to a request that lacks the header or
// carries another value, as a client reaching the API past CloudFront would.
func TestOriginSecretFailsClosed(t *testing.T) {
	p := newPipeline(t)
	api := 0
	for _, fn := range app.Functions() {
		if fn.Routes == nil {
			continue
		}
		api++
		t.Run(fn.ID+" without the secret", func(t *testing.T) {
			vars := p.aws.Stack.FunctionEnv(fn.ID)
			if vars["ORIGIN_VERIFY"] == "" {
				t.Fatalf("template.yaml gives %s no ORIGIN_VERIFY", fn.ID)
			}
			vars["ORIGIN_VERIFY"] = ""
			env, err := app.EnvFrom(func(k string) string { return vars[k] })
			if err != nil {
				t.Fatal(err)
			}
			h, err := fn.New(env, p.clients, app.Options{})
			if !errors.Is(err, app.ErrNoOriginSecret) || h != nil || !strings.Contains(err.Error(), "ORIGIN_VERIFY") {
				t.Fatalf("got %v, %v, want no handler and an error naming ORIGIN_VERIFY", h, err)
			}
		})
	}
	if api == 0 {
		t.Fatal("got no API function in app.Functions()")
	}

	h := build[apigw.LambdaHandler](t, app.AuthFunction, p.env, p.clients, app.Options{})
	for _, c := range []struct {
		name, header string
		set          bool
		want         int
	}{
		{"no header", "", false, 403},
		{"empty header", "", true, 403},
		{"another secret", "not-" + p.env.OriginVerify, true, 403},
		{"CloudFront's secret", p.env.OriginVerify, true, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ev events.APIGatewayV2HTTPRequest
			readEvent(t, "http-health.json", &ev)
			delete(ev.Headers, "x-origin-verify")
			if c.set {
				ev.Headers["x-origin-verify"] = c.header
			}
			res, err := h(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != c.want || (c.want == 403 && !strings.Contains(res.Body, `"forbidden"`)) {
				t.Errorf("got %d %s, want %d", res.StatusCode, res.Body, c.want)
			}
		})
	}
}
