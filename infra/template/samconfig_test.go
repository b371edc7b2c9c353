package template_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// samconfig reads samconfig.toml with Python's tomllib, as strict as SAM's reader.
func samconfig(t *testing.T) map[string]map[string]map[string]any {
	t.Helper()
	out, err := exec.Command("python3", "-c", `import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], "rb"))))`,
		filepath.Join(repoRoot(t), "samconfig.toml")).CombinedOutput()
	if err != nil {
		t.Fatalf("samconfig.toml: %v\n%s", err, out)
	}
	var cfg map[string]any
	if err := json.Unmarshal(out, &cfg); err != nil {
		t.Fatal(err)
	}
	envs := map[string]map[string]map[string]any{}
	for name, v := range cfg {
		cmds, ok := v.(map[string]any)
		if !ok {
			continue // version
		}
		envs[name] = map[string]map[string]any{}
		for cmd, section := range cmds {
			params, _ := get(section, "parameters").(map[string]any)
			envs[name][cmd] = params
		}
	}
	return envs
}

var stackName = regexp.MustCompile(`^[a-z][a-z0-9-]{0,28}$`)

// TestSamconfigEnvironments: default, staging and prod each name a short lower-case stack
// (the inbox bucket's name is computed from it), a region, the capability, tags, and
// parameter overrides that the template declares and accepts; each builds in source.
func TestSamconfigEnvironments(t *testing.T) {
	envs := samconfig(t)
	params, _ := get(loadTemplate(t), "Parameters").(map[string]any)
	stacks := map[string]string{}
	for _, env := range []string{"default", "staging", "prod"} {
		t.Run(env, func(t *testing.T) {
			g, b, d := envs[env]["global"], envs[env]["build"], envs[env]["deploy"]
			name, _ := g["stack_name"].(string)
			if !stackName.MatchString(name) {
				t.Errorf("got stack_name %q, want lower case, at most 29 characters", name)
			}
			if other, dup := stacks[name]; dup {
				t.Errorf("stack %s is %s's too", name, other)
			}
			stacks[name] = env
			if r, _ := g["region"].(string); r == "" {
				t.Error("got no region")
			}
			if b["build_in_source"] != true {
				t.Errorf("got build_in_source %v, want true (infra/sam.mk builds in the checkout)", b["build_in_source"])
			}
			if c, _ := d["capabilities"].(string); !strings.Contains(c, "CAPABILITY_IAM") {
				t.Errorf("got capabilities %q, want CAPABILITY_IAM", c)
			}
			if tags, _ := d["tags"].(string); !strings.Contains(tags, "app=efacture") {
				t.Errorf("got tags %q, want app=efacture among them", tags)
			}
			overrides, _ := d["parameter_overrides"].(string)
			set := map[string]string{}
			for _, kv := range strings.Fields(overrides) {
				k, v, _ := strings.Cut(kv, "=")
				set[k] = v
				def, ok := params[k]
				if !ok {
					t.Errorf("parameter_overrides sets %s, which the template does not declare", k)
					continue
				}
				if p, _ := get(def, "AllowedPattern").(string); p != "" && !regexp.MustCompile(p).MatchString(v) {
					t.Errorf("%s=%s does not match the template's pattern %s", k, v, p)
				}
				if allowed, ok := get(def, "AllowedValues").([]any); ok && !slices.ContainsFunc(allowed, func(a any) bool { return fmt.Sprint(a) == v }) {
					t.Errorf("%s=%s is not among the template's values %v", k, v, allowed)
				}
			}
			for _, k := range []string{"PortalBaseUrl", "SenderDomain", "Stage"} {
				if set[k] == "" {
					t.Errorf("parameter_overrides lacks %s", k)
				}
			}
		})
	}
}

// TestDeployUsesTheEnvironment: make deploy ENV=staging builds and deploys staging's
// section and reads the outputs of staging's stack in its region.
func TestDeployUsesTheEnvironment(t *testing.T) {
	cmd := exec.Command("make", "-n", "--no-print-directory", "deploy", "ENV=staging")
	cmd.Dir = repoRoot(t)
	// STACK_NAME, REGION and ENV set in the caller's environment would win over samconfig.toml.
	cmd.Env = slices.DeleteFunc(append(os.Environ(), "MAKEFLAGS="), func(kv string) bool {
		return strings.HasPrefix(kv, "STACK_NAME=") || strings.HasPrefix(kv, "REGION=") || strings.HasPrefix(kv, "ENV=")
	})
	b, err := cmd.CombinedOutput()
	out := string(b)
	if err != nil {
		t.Fatalf("make -n deploy: %v\n%s", err, out)
	}
	for _, want := range []string{
		"sam build --config-env staging && sam deploy --config-env staging",
		"--region eu-west-3 --stack-name efacture-staging",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("make -n deploy ENV=staging: want %q in\n%s", want, out)
		}
	}
}
