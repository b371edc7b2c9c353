package template_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/dynamo"
)

// transformed runs the SAM transform (transform.py, as make validate-template does) with
// the given parameter values and returns the CloudFormation template it produces.
func transformed(t *testing.T, params ...string) map[string]any {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	if err := exec.Command("python3", "-c", "import samtranslator").Run(); err != nil {
		t.Skip("aws-sam-translator is not installed (pip install aws-sam-translator)")
	}
	root := repoRoot(t)
	trackFiles(t, root, "template.yaml", "infra/template/transform.py")
	out := filepath.Join(t.TempDir(), "transformed.json")
	args := []string{filepath.Join(root, "infra/template/transform.py"), filepath.Join(root, "template.yaml"), "--output", out}
	for _, p := range params {
		args = append(args, "--param", p)
	}
	cmd := exec.Command("python3", args...)
	cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=eu-west-3")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("SAM transform: %v\n%s", err, msg)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var tmpl map[string]any
	if err := json.Unmarshal(raw, &tmpl); err != nil {
		t.Fatal(err)
	}
	return tmpl
}

// managedPolicies are the AWS managed policies SAM may attach to a function's role: logs,
// and the stream and queue pollers' reads (DescribeStream, GetRecords… on streams only).
var managedPolicies = []string{
	"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
	"arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
	"arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
}

// itemActions are the DynamoDB actions a function's statements may grant: item reads and
// writes, never Scan (which has no leading key, so a LeadingKeys condition lets it read
// every item) nor table administration.
var itemActions = []string{"GetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem",
	"Query", "BatchGetItem", "BatchWriteItem"}

// TestDynamoDBAccessIsTheCode holds every function's role, as the SAM transform builds
// it, to dynamo.Access: the same statements, actions, resources and LeadingKeys
// conditions. dynamo.Access is the code's side: the functions' stores refuse any call
// outside it (dynamo.Confine), so every test through a function checks it.
func TestDynamoDBAccessIsTheCode(t *testing.T) {
	out := transformed(t)
	res, _ := out["Resources"].(map[string]any)
	ids := []string{}
	for _, fn := range app.Functions() {
		ids = append(ids, fn.ID)
	}
	if got := slices.Sorted(maps.Keys(dynamo.Access)); !slices.Equal(got, slices.Sorted(slices.Values(ids))) {
		t.Fatalf("got dynamo.Access for %v, want exactly app.Functions() %v", got, ids)
	}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			role, ok := getAttTarget(get(res[id], "Properties", "Role"), "Arn")
			if !ok {
				t.Fatalf("got Role %v, want the role SAM makes", get(res[id], "Properties", "Role"))
			}
			props := get(res[role], "Properties")
			for _, arn := range asSlice(get(props, "ManagedPolicyArns")) {
				if !slices.Contains(managedPolicies, fmt.Sprint(arn)) {
					t.Errorf("got managed policy %v on %s, want only %v", arn, role, managedPolicies)
				}
			}
			got := map[string]dynamo.Grant{}
			for _, p := range asSlice(get(props, "Policies")) {
				for _, s := range asSlice(get(p, "PolicyDocument", "Statement")) {
					g, ok, err := dynamoGrant(s)
					if err != nil {
						t.Errorf("%s: %v", get(p, "PolicyName"), err)
					}
					if !ok {
						continue
					}
					if _, dup := got[g.Sid]; dup {
						t.Errorf("got two DynamoDB statements %s", g.Sid)
					}
					got[g.Sid] = g
				}
			}
			want := map[string]dynamo.Grant{}
			for _, g := range dynamo.Access[id] {
				want[g.Sid] = normalized(g)
			}
			for _, sid := range slices.Sorted(maps.Keys(want)) {
				if g, ok := got[sid]; !ok {
					t.Errorf("statement %s %+v of dynamo.Access is not in the role", sid, want[sid])
				} else if !reflect.DeepEqual(g, want[sid]) {
					t.Errorf("statement %s:\n got  %+v\n want %+v (dynamo.Access)", sid, g, want[sid])
				}
			}
			for _, sid := range slices.Sorted(maps.Keys(got)) {
				if _, ok := want[sid]; !ok {
					t.Errorf("the role grants %s %+v, which dynamo.Access does not", sid, got[sid])
				}
			}
		})
	}
}

// dynamoGrant reads a role statement as a Grant; ok is false for other services.
func dynamoGrant(s any) (dynamo.Grant, bool, error) {
	var actions []string
	for _, a := range append(asSlice(get(s, "Action")), get(s, "Action")) {
		if a, ok := a.(string); ok {
			actions = append(actions, a)
		}
	}
	g := dynamo.Grant{Sid: fmt.Sprint(get(s, "Sid"))}
	dynamo := false
	for _, a := range actions {
		name, ok := strings.CutPrefix(a, "dynamodb:")
		if !ok {
			continue
		}
		dynamo = true
		if !slices.Contains(itemActions, name) {
			return g, true, fmt.Errorf("statement %s grants %s, want only item actions %v", g.Sid, a, itemActions)
		}
		g.Actions = append(g.Actions, name)
	}
	if !dynamo {
		return g, false, nil
	}
	if len(g.Actions) != len(actions) {
		return g, true, fmt.Errorf("statement %s mixes DynamoDB with other actions %v", g.Sid, actions)
	}
	if get(s, "Effect") != "Allow" {
		return g, true, fmt.Errorf("statement %s: got Effect %v", g.Sid, get(s, "Effect"))
	}
	resource := get(s, "Resource")
	if list := asSlice(resource); len(list) == 1 {
		resource = list[0]
	}
	if table, ok := getAttTarget(resource, "Arn"); ok {
		g.Table = table
	} else if sub, ok := get(resource, "Fn::Sub").(string); ok && strings.HasPrefix(sub, "${") {
		table, index, found := strings.Cut(strings.TrimPrefix(sub, "${"), ".Arn}/index/")
		if !found {
			return g, true, fmt.Errorf("statement %s: got Resource %v, want a table or an index", g.Sid, resource)
		}
		g.Table, g.Index = table, index
	} else {
		return g, true, fmt.Errorf("statement %s: got Resource %v, want one table (!GetAtt T.Arn) or index (!Sub ${T.Arn}/index/i)", g.Sid, resource)
	}
	if cond := get(s, "Condition"); cond != nil {
		keys := get(cond, "ForAllValues:StringLike", "dynamodb:LeadingKeys")
		if keys == nil || len(cond.(map[string]any)) != 1 || len(get(cond, "ForAllValues:StringLike").(map[string]any)) != 1 {
			return g, true, fmt.Errorf("statement %s: got Condition %v, want only ForAllValues:StringLike on dynamodb:LeadingKeys", g.Sid, cond)
		}
		for _, k := range asSlice(keys) {
			g.Keys = append(g.Keys, fmt.Sprint(k))
		}
		if len(g.Keys) == 0 {
			return g, true, fmt.Errorf("statement %s: got LeadingKeys %v, want a list", g.Sid, keys)
		}
	}
	return normalized(g), true, nil
}

func normalized(g dynamo.Grant) dynamo.Grant {
	g.Actions = slices.Sorted(slices.Values(g.Actions))
	if len(g.Keys) > 0 {
		g.Keys = slices.Sorted(slices.Values(g.Keys))
	}
	return g
}

// TestAccessGrantsAreNarrow: the main table holds every kind of item, so each grant on it
// names its partition keys; keys are exact or a prefix ending in "*" (what dynamo.Confine
// reads as StringLike does); only tables and indexes that exist are granted.
func TestAccessGrantsAreNarrow(t *testing.T) {
	for fn, grants := range dynamo.Access {
		for _, g := range grants {
			if _, ok := dynamo.PartitionKeys[g.Resource()]; !ok {
				t.Errorf("%s %s: got resource %s, want one of %v", fn, g.Sid, g.Resource(), slices.Sorted(maps.Keys(dynamo.PartitionKeys)))
			}
			if g.Table == dynamo.MainTable && len(g.Keys) == 0 {
				t.Errorf("%s %s: grants %v on every item of the main table, want LeadingKeys", fn, g.Sid, g.Actions)
			}
			for _, k := range g.Keys {
				if k == "" || strings.ContainsAny(strings.TrimSuffix(k, "*"), "*?") {
					t.Errorf("%s %s: got key pattern %q, want exact or one trailing *", fn, g.Sid, k)
				}
			}
			for _, a := range g.Actions {
				if !slices.Contains(itemActions, a) {
					t.Errorf("%s %s: got action %s, want one of %v", fn, g.Sid, a, itemActions)
				}
			}
		}
	}
}

// TestPartitionKeysAreTheTables: the attributes dynamo.Confine reads as leading keys are
// the partition keys of the tables and indexes template.yaml declares.
func TestPartitionKeysAreTheTables(t *testing.T) {
	tmpl := loadTemplate(t)
	got := map[string]string{}
	hash := func(schema any) string {
		for _, k := range asSlice(schema) {
			if get(k, "KeyType") == "HASH" {
				return fmt.Sprint(get(k, "AttributeName"))
			}
		}
		return ""
	}
	for _, id := range resourcesOfType(tmpl, "AWS::DynamoDB::Table") {
		props := get(resources(tmpl)[id], "Properties")
		got[id] = hash(get(props, "KeySchema"))
		for _, idx := range asSlice(get(props, "GlobalSecondaryIndexes")) {
			got[id+"/"+fmt.Sprint(get(idx, "IndexName"))] = hash(get(idx, "KeySchema"))
		}
	}
	if !reflect.DeepEqual(got, dynamo.PartitionKeys) {
		t.Errorf("got partition keys %v in template.yaml, dynamo.PartitionKeys says %v", got, dynamo.PartitionKeys)
	}
}

// TestDataDocListsAccess: docs/DATA.md shows dynamo.Access as it is.
func TestDataDocListsAccess(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "DATA.md"))
	if err != nil {
		t.Fatal(err)
	}
	if want := dynamo.AccessTable(); !strings.Contains(string(doc), want) {
		t.Errorf("docs/DATA.md lacks the table of dynamo.Access; paste this under \"DynamoDB access per function\":\n%s", want)
	}
}
