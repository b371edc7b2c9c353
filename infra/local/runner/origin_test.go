package runner

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestOriginHeader: the API functions answer only requests carrying CloudFront's secret
// origin header; the runner's portal origin, playing CloudFront, adds it.
func TestOriginHeader(t *testing.T) {
	r := MustStart(t, Options{})
	res, err := http.Get(r.PortalURL + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("through the portal origin: got %d, want 200", res.StatusCode)
	}

	raw, err := os.ReadFile("../../../events/http-health.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"", "a guess"} {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		// The fixture carries env.json's value for sam local, which is not this runner's.
		delete(ev.Headers, "x-origin-verify")
		if secret != "" {
			ev.Headers["x-origin-verify"] = secret
		}
		payload, _ := json.Marshal(ev)
		out, err := r.Invoke(context.Background(), "AuthFunction", payload)
		if err != nil {
			t.Fatal(err)
		}
		var resp events.APIGatewayV2HTTPResponse
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("straight to the API with origin header %q: got %d, want 403", secret, resp.StatusCode)
		}
	}
}
