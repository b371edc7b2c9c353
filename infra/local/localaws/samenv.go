package localaws

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
)

// SAMOriginVerify is the X-Origin-Verify value env.json gives the API functions, which
// the API events of events/ carry: `sam local invoke` resolves no secret.
const SAMOriginVerify = "local-origin-verify"

// SAMEnvVars is the env.json of `sam local invoke -n`: for each function of the stack,
// its template variables resolved on the emulators, with the SDK's endpoint variables on
// motoURL and sesURL (loopback only, reached with --docker-network host). SAM passes only
// variables the template declares, which is why the template declares the endpoint
// variables empty.
func SAMEnvVars(stack *Stack, motoURL, sesURL string) (map[string]map[string]string, error) {
	for _, u := range []string{motoURL, sesURL} {
		if err := CheckEndpoint(u); err != nil {
			return nil, err
		}
	}
	out := map[string]map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(stack.functions)) {
		env := stack.FunctionEnv(id)
		for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SESV2"} {
			if _, ok := env[k]; !ok {
				return nil, fmt.Errorf("%s does not declare %s, so sam local would not pass it", id, k)
			}
		}
		env["AWS_ENDPOINT_URL"], env["AWS_ENDPOINT_URL_SESV2"] = motoURL, sesURL
		if _, ok := env["ORIGIN_VERIFY"]; ok {
			env["ORIGIN_VERIFY"] = SAMOriginVerify
		}
		out[id] = env
	}
	return out, nil
}

// WriteSAMEnvVars writes SAMEnvVars to path as JSON.
func WriteSAMEnvVars(path string, stack *Stack, motoURL, sesURL string) error {
	vars, err := SAMEnvVars(stack, motoURL, sesURL)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(vars, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
