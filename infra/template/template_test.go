// Package template_test checks template.yaml against the build in infra/sam.mk
// and against the operational rules the rest of the code relies on.
package template_test

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/efacture/efacture/infra/template"
	"github.com/efacture/efacture/shared/app"
)

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "template.yaml")); err != nil {
		t.Fatalf("template.yaml not found at the repository root: %v", err)
	}
	return root
}

// loadTemplate parses template.yaml into plain maps, slices and scalars, with
// CloudFormation short-form tags turned into their long form ({"Ref": x},
// {"Fn::GetAtt": [r, a]}, {"Fn::Sub": s}...), as CloudFormation reads them.
func loadTemplate(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := parseCFN(data)
	if err != nil {
		t.Fatalf("parse template.yaml: %v", err)
	}
	return tmpl
}

func parseCFN(data []byte) (map[string]any, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, err
	}
	if len(file.Docs) != 1 {
		return nil, fmt.Errorf("got %d YAML documents, want 1", len(file.Docs))
	}
	v, err := cfnValue(file.Docs[0].Body)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("top level is %T, want a mapping", v)
	}
	return m, nil
}

// cfnValue converts one YAML node, keeping CloudFormation tags as intrinsics.
func cfnValue(n ast.Node) (any, error) {
	switch n := n.(type) {
	case nil:
		return nil, nil
	case *ast.MappingNode:
		m := make(map[string]any, len(n.Values))
		for _, kv := range n.Values {
			if err := addPair(m, kv); err != nil {
				return nil, err
			}
		}
		return m, nil
	case *ast.MappingValueNode:
		m := map[string]any{}
		return m, addPair(m, n)
	case *ast.SequenceNode:
		s := make([]any, 0, len(n.Values))
		for _, item := range n.Values {
			v, err := cfnValue(item)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case *ast.TagNode:
		return cfnTag(n)
	case *ast.LiteralNode:
		return n.Value.GetValue(), nil
	case *ast.AnchorNode, *ast.AliasNode:
		return nil, fmt.Errorf("%s: anchors and aliases are not CloudFormation", n.GetPath())
	case ast.ScalarNode:
		return n.GetValue(), nil
	default:
		return nil, fmt.Errorf("%s: unexpected YAML node %s", n.GetPath(), n.Type())
	}
}

func addPair(m map[string]any, kv *ast.MappingValueNode) error {
	key, err := cfnValue(kv.Key)
	if err != nil {
		return err
	}
	k := fmt.Sprint(key)
	if _, dup := m[k]; dup {
		return fmt.Errorf("%s: duplicate key %q", kv.GetPath(), k)
	}
	v, err := cfnValue(kv.Value)
	if err != nil {
		return err
	}
	m[k] = v
	return nil
}

func cfnTag(n *ast.TagNode) (any, error) {
	tag := n.Start.Value
	v, err := cfnValue(n.Value)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(tag, "!!") {
		return v, nil // A standard YAML tag such as !!str.
	}
	name := strings.TrimPrefix(tag, "!")
	switch name {
	case "Ref", "Condition":
		return map[string]any{name: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			resource, attr, found := strings.Cut(s, ".")
			if !found {
				return nil, fmt.Errorf("%s: !GetAtt %q lacks an attribute", n.GetPath(), s)
			}
			return map[string]any{"Fn::GetAtt": []any{resource, attr}}, nil
		}
	}
	return map[string]any{"Fn::" + name: v}, nil
}

// get follows a path of map keys; it returns nil when any step is missing.
func get(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func resources(tmpl map[string]any) map[string]any {
	r, _ := tmpl["Resources"].(map[string]any)
	return r
}

// resourcesOfType returns the logical ids of a type, sorted.
func resourcesOfType(tmpl map[string]any, typ string) []string {
	var ids []string
	for id, r := range resources(tmpl) {
		if get(r, "Type") == typ {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids
}

func functionIDs(t *testing.T, tmpl map[string]any) []string {
	t.Helper()
	ids := resourcesOfType(tmpl, "AWS::Serverless::Function")
	if len(ids) == 0 {
		t.Fatal("got no AWS::Serverless::Function in template.yaml")
	}
	return ids
}

// getAttTarget returns the resource of {"Fn::GetAtt": [resource, attr]} when attr matches.
func getAttTarget(v any, attr string) (string, bool) {
	ga, ok := get(v, "Fn::GetAtt").([]any)
	if !ok || len(ga) != 2 || ga[1] != attr {
		return "", false
	}
	id, ok := ga[0].(string)
	return id, ok
}

func number(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case uint64:
		return int64(n), true
	case int:
		return int64(n), true
	}
	return 0, false
}

// runMake runs make on infra/sam.mk from the repository root.
func runMake(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	trackFiles(t, repoRoot(t), "infra/sam.mk")
	cmd := exec.Command("make", append([]string{"--no-print-directory", "-f", "infra/sam.mk"}, args...)...)
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "MAKEFLAGS=", "ARTIFACTS_DIR=")
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	return out.String(), err
}

var functionDir = regexp.MustCompile(`\./functions/([A-Za-z0-9_-]+)\s*$`)

func TestFunctionsBuildWithMakefile(t *testing.T) {
	tmpl := loadTemplate(t)
	root := repoRoot(t)
	for _, id := range functionIDs(t, tmpl) {
		t.Run(id, func(t *testing.T) {
			fn := resources(tmpl)[id]
			if got := get(fn, "Properties", "CodeUri"); got != "." {
				t.Errorf("got CodeUri %v, want \".\"", got)
			}
			if got := get(fn, "Metadata", "BuildMethod"); got != "makefile" {
				t.Errorf("got Metadata.BuildMethod %v, want makefile", got)
			}

			artifacts := t.TempDir()
			out, err := runMake(t, "-n", "build-"+id, "ARTIFACTS_DIR="+artifacts)
			if err != nil {
				t.Fatalf("infra/sam.mk has no usable build-%s target: %v\n%s", id, err, out)
			}
			cmdLine := strings.TrimSpace(out)
			for _, want := range []string{
				"CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", " build ",
				"-tags lambda.norpc", "-trimpath", `-ldflags "-s -w"`,
				"-o " + filepath.Join(artifacts, "bootstrap") + " ",
			} {
				if !strings.Contains(cmdLine, want) {
					t.Errorf("got build command %q, want it to contain %q", cmdLine, want)
				}
			}
			m := functionDir.FindStringSubmatch(cmdLine)
			if m == nil {
				t.Fatalf("got build command %q, want it to end with ./functions/<dir>", cmdLine)
			}
			dir := filepath.Join("functions", m[1])
			if _, err := os.Stat(filepath.Join(root, dir)); err != nil {
				t.Skipf("%s does not exist yet, so %s cannot be built", dir, id)
			}
			if testing.Short() {
				t.Skip("-short: not compiling the function")
			}

			trackPackages(t, root, "./"+filepath.ToSlash(dir))
			if out, err := runMake(t, "build-"+id, "ARTIFACTS_DIR="+artifacts); err != nil {
				t.Fatalf("make build-%s: %v\n%s", id, err, out)
			}
			checkBootstrap(t, filepath.Join(artifacts, "bootstrap"))
		})
	}
}

// trackFiles reads files so that go test's result cache depends on them: make
// and go build read them in subprocesses, which the cache does not see.
func trackFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := os.ReadFile(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// trackPackages reads the sources of the module's packages that pkg builds from,
// as compiled for Lambda, plus go.mod and go.sum.
func trackPackages(t *testing.T, root, pkg string) {
	t.Helper()
	trackFiles(t, root, "go.mod", "go.sum")
	cmd := exec.Command("go", "list", "-deps", "-tags", "lambda.norpc",
		"-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	for _, dir := range strings.Fields(string(out)) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				trackFiles(t, dir, e.Name())
			}
		}
	}
}

// checkBootstrap asserts a static linux/arm64 executable, as provided.al2023 on arm64 runs.
func checkBootstrap(t *testing.T, path string) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("got no bootstrap: %v", err)
	}
	if info.Mode().Perm()&0o111 == 0 {
		t.Errorf("got bootstrap mode %v, want it executable", info.Mode())
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("bootstrap is not an ELF file: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("got ELF machine %v, want %v", f.Machine, elf.EM_AARCH64)
	}
	if f.Type != elf.ET_EXEC {
		t.Errorf("got ELF type %v, want %v", f.Type, elf.ET_EXEC)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("got a dynamically linked bootstrap, want a static one (CGO_ENABLED=0)")
		}
	}
}

func TestMakefileBuildsOnlyTemplateFunctions(t *testing.T) {
	tmpl := loadTemplate(t)
	out, err := runMake(t, "-s", "sam-functions")
	if err != nil {
		t.Fatalf("make sam-functions: %v\n%s", err, out)
	}
	got := strings.Fields(out)
	sort.Strings(got)
	want := functionIDs(t, tmpl)
	if !slices.Equal(got, want) {
		t.Errorf("got SAM_FUNCTIONS %v in infra/sam.mk, want the template's functions %v", got, want)
	}
}

// TestFunctionsAreTheCode: template.yaml declares exactly app.Functions(), each API
// function with the routes its handler serves (template.Check, which the local runner
// also applies at start-up), and infra/sam.mk builds each from its directory.
func TestFunctionsAreTheCode(t *testing.T) {
	tmpl := loadTemplate(t)
	declared := map[string][]string{}
	for _, id := range functionIDs(t, tmpl) {
		declared[id] = nil
		events, _ := get(resources(tmpl)[id], "Properties", "Events").(map[string]any)
		for _, ev := range events {
			if get(ev, "Type") != "HttpApi" {
				continue
			}
			method, _ := get(ev, "Properties", "Method").(string)
			path, _ := get(ev, "Properties", "Path").(string)
			declared[id] = append(declared[id], strings.ToUpper(method)+" "+path)
		}
	}
	code := map[string][]string{}
	for _, fn := range app.Functions() {
		code[fn.ID] = fn.Routes
	}
	if err := template.Check(declared, code, "app.Functions()"); err != nil {
		t.Error(err)
	}

	for _, fn := range app.Functions() {
		out, err := runMake(t, "-n", "build-"+fn.ID, "ARTIFACTS_DIR="+t.TempDir())
		if err != nil {
			t.Errorf("infra/sam.mk has no build-%s target: %v\n%s", fn.ID, err, out)
			continue
		}
		if m := functionDir.FindStringSubmatch(strings.TrimSpace(out)); m == nil || m[1] != fn.Dir {
			t.Errorf("infra/sam.mk builds %s from %q, app.Functions() says ./functions/%s", fn.ID, strings.TrimSpace(out), fn.Dir)
		}
	}
}

func TestFunctionsInheritGlobals(t *testing.T) {
	tmpl := loadTemplate(t)
	globals := get(tmpl, "Globals", "Function")
	wantGlobals := map[string]any{
		"Runtime":       "provided.al2023",
		"Architectures": []any{"arm64"},
		"Handler":       "bootstrap",
	}
	for key, want := range wantGlobals {
		if got := get(globals, key); !reflect.DeepEqual(got, want) {
			t.Errorf("got Globals.Function.%s %v, want %v", key, got, want)
		}
	}
	for _, id := range functionIDs(t, tmpl) {
		t.Run(id, func(t *testing.T) {
			props := get(resources(tmpl)[id], "Properties")
			for key, want := range wantGlobals {
				got := get(props, key)
				if got != nil && !reflect.DeepEqual(got, want) {
					t.Errorf("got %s %v, want it unset or %v (the Globals)", key, got, want)
				}
			}
		})
	}
}

func TestGlobalEnvironment(t *testing.T) {
	tmpl := loadTemplate(t)
	vars, ok := get(tmpl, "Globals", "Function", "Environment", "Variables").(map[string]any)
	if !ok {
		t.Fatal("got no Globals.Function.Environment.Variables")
	}
	want := map[string]any{
		"MAIN_TABLE":             map[string]any{"Ref": "MainTable"},
		"DOCUMENTS_TABLE":        map[string]any{"Ref": "DocumentsTable"},
		"OUTBOX_TABLE":           map[string]any{"Ref": "OutboxTable"},
		"INBOX_BUCKET":           map[string]any{"Ref": "InboxBucket"},
		"ARCHIVE_BUCKET":         map[string]any{"Ref": "ArchiveBucket"},
		"PORTAL_BASE_URL":        map[string]any{"Ref": "PortalBaseUrl"},
		"MAIL_FROM":              map[string]any{"Fn::Sub": "no-reply@${SenderDomain}"},
		"SES_CONFIGURATION_SET":  map[string]any{"Ref": "MailConfigurationSet"},
		"SIGNING_SECRET_ARN":     map[string]any{"Ref": "SigningSecret"},
		"MAIL_TOKEN_SECRET_ARN":  map[string]any{"Ref": "MailTokenSecret"},
		"METRICS_NAMESPACE":      map[string]any{"Fn::Sub": "efacture/${AWS::StackName}"},
		"AWS_ENDPOINT_URL":       "",
		"AWS_ENDPOINT_URL_SESV2": "",
		"SES_MAX_SEND_RATE":      map[string]any{"Ref": "SesMaxSendRate"},
	}
	if !reflect.DeepEqual(vars, want) {
		t.Errorf("got environment %v, want %v", vars, want)
	}
}

// TestMailTokenSecretReaders pins who may derive mailed tokens: the functions that write
// token-bearing mails and those that send them, and no other (docs/SECURITY.md).
func TestMailTokenSecretReaders(t *testing.T) {
	tmpl := loadTemplate(t)
	var got []string
	for _, id := range functionIDs(t, tmpl) {
		policies, _ := get(resources(tmpl)[id], "Properties", "Policies").([]any)
		for _, p := range policies {
			if reflect.DeepEqual(get(p, "AWSSecretsManagerGetSecretValuePolicy", "SecretArn"), map[string]any{"Ref": "MailTokenSecret"}) {
				got = append(got, id)
			}
		}
	}
	slices.Sort(got)
	want := []string{"AuthFunction", "DigestFunction", "IngestFunction", "MailRedriveFunction", "MailerFunction", "StaffFunction"}
	if !slices.Equal(got, want) {
		t.Errorf("functions reading MailTokenSecret: got %v, want %v", got, want)
	}
}

// TestQueueVisibilityCoversConsumers holds each SQS source to Lambda's advice: a
// visibility timeout of at least six times the consuming function's timeout.
func TestQueueVisibilityCoversConsumers(t *testing.T) {
	tmpl := loadTemplate(t)
	globalTimeout, _ := number(get(tmpl, "Globals", "Function", "Timeout"))
	found := 0
	for _, id := range functionIDs(t, tmpl) {
		props := get(resources(tmpl)[id], "Properties")
		timeout, ok := number(get(props, "Timeout"))
		if !ok {
			timeout = globalTimeout
		}
		events, _ := get(props, "Events").(map[string]any)
		for name, ev := range events {
			if get(ev, "Type") != "SQS" {
				continue
			}
			found++
			t.Run(id+"/"+name, func(t *testing.T) {
				queue, ok := getAttTarget(get(ev, "Properties", "Queue"), "Arn")
				if !ok {
					t.Fatalf("got Queue %v, want !GetAtt <queue>.Arn", get(ev, "Properties", "Queue"))
				}
				visibility, ok := number(get(resources(tmpl)[queue], "Properties", "VisibilityTimeout"))
				if !ok || visibility < 6*timeout {
					t.Errorf("got %s VisibilityTimeout %d, want at least %d (6 × %d s)", queue, visibility, 6*timeout, timeout)
				}
				types, _ := get(ev, "Properties", "FunctionResponseTypes").([]any)
				if !slices.Contains(types, any("ReportBatchItemFailures")) {
					t.Errorf("got FunctionResponseTypes %v, want ReportBatchItemFailures", types)
				}
			})
		}
	}
	if found == 0 {
		t.Fatal("got no SQS event source, want at least the ingest queue")
	}
}

// deadLetterQueues lists the queues that receive failures: SQS redrive targets and
// event sources' on-failure destinations.
func deadLetterQueues(t *testing.T, tmpl map[string]any) []string {
	t.Helper()
	set := map[string]bool{}
	for _, id := range resourcesOfType(tmpl, "AWS::SQS::Queue") {
		target := get(resources(tmpl)[id], "Properties", "RedrivePolicy", "deadLetterTargetArn")
		if target == nil {
			continue
		}
		dlq, ok := getAttTarget(target, "Arn")
		if !ok {
			t.Fatalf("got %s deadLetterTargetArn %v, want !GetAtt <queue>.Arn", id, target)
		}
		set[dlq] = true
	}
	for _, id := range functionIDs(t, tmpl) {
		events, _ := get(resources(tmpl)[id], "Properties", "Events").(map[string]any)
		for _, ev := range events {
			onFailure := get(ev, "Properties", "DestinationConfig", "OnFailure")
			if onFailure == nil || get(onFailure, "Type") != "SQS" {
				continue
			}
			dlq, ok := getAttTarget(get(onFailure, "Destination"), "Arn")
			if !ok {
				t.Fatalf("got %s OnFailure destination %v, want !GetAtt <queue>.Arn", id, get(onFailure, "Destination"))
			}
			set[dlq] = true
		}
	}
	var ids []string
	for id := range set {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func TestDeadLetterQueuesHaveAlarms(t *testing.T) {
	tmpl := loadTemplate(t)
	dlqs := deadLetterQueues(t, tmpl)
	for _, want := range []string{"IngestDeadLetterQueue", "MailerDeadLetterQueue"} {
		if !slices.Contains(dlqs, want) {
			t.Errorf("got dead-letter queues %v, want %s among them", dlqs, want)
		}
	}
	alarms := resourcesOfType(tmpl, "AWS::CloudWatch::Alarm")
	for _, dlq := range dlqs {
		t.Run(dlq, func(t *testing.T) {
			for _, id := range alarms {
				props := get(resources(tmpl)[id], "Properties")
				dims, _ := get(props, "Dimensions").([]any)
				if len(dims) != 1 || get(dims[0], "Name") != "QueueName" {
					continue
				}
				if q, ok := getAttTarget(get(dims[0], "Value"), "QueueName"); !ok || q != dlq {
					continue
				}
				threshold, _ := number(get(props, "Threshold"))
				actions, _ := get(props, "AlarmActions").([]any)
				switch {
				case get(props, "MetricName") != "ApproximateNumberOfMessagesVisible":
					t.Errorf("%s: got metric %v, want ApproximateNumberOfMessagesVisible", id, get(props, "MetricName"))
				case get(props, "ComparisonOperator") != "GreaterThanThreshold" || threshold != 0:
					t.Errorf("%s: got %v %d, want GreaterThanThreshold 0", id, get(props, "ComparisonOperator"), threshold)
				case !slices.ContainsFunc(actions, func(a any) bool { return reflect.DeepEqual(a, map[string]any{"Ref": "OpsAlarmTopic"}) }):
					t.Errorf("%s: got AlarmActions %v, want !Ref OpsAlarmTopic", id, actions)
				}
				return
			}
			t.Errorf("got no alarm on %s, want one on ApproximateNumberOfMessagesVisible > 0", dlq)
		})
	}
}

// pathVariable matches access-log variables that would print the request path.
var pathVariable = regexp.MustCompile(`(?i)\$context\.[a-z.]*path`)

func TestAccessLogsRecordRouteKeyNotPath(t *testing.T) {
	tmpl := loadTemplate(t)
	apis := resourcesOfType(tmpl, "AWS::Serverless::HttpApi")
	if len(apis) == 0 {
		t.Fatal("got no AWS::Serverless::HttpApi")
	}
	for _, id := range apis {
		t.Run(id, func(t *testing.T) {
			format, _ := get(resources(tmpl)[id], "Properties", "AccessLogSettings", "Format").(string)
			for _, want := range []string{"$context.routeKey", "$context.requestId", "$context.status", "$context.identity.sourceIp", "$context.responseLatency"} {
				if !strings.Contains(format, want) {
					t.Errorf("got access log format %q, want it to record %s", format, want)
				}
			}
			if m := pathVariable.FindString(format); m != "" {
				t.Errorf("got %s in the access log format, want no path: tokens travel in paths", m)
			}
		})
	}
}

// TestInboxNotification checks the S3 → SQS wiring, including that the queue policy
// names the very bucket that the computed BucketName creates.
func TestInboxNotification(t *testing.T) {
	tmpl := loadTemplate(t)
	bucket := resources(tmpl)["InboxBucket"]
	configs, _ := get(bucket, "Properties", "NotificationConfiguration", "QueueConfigurations").([]any)
	if len(configs) != 1 {
		t.Fatalf("got %d queue configurations on InboxBucket, want 1", len(configs))
	}
	c := configs[0]
	if got := get(c, "Event"); got != "s3:ObjectCreated:*" {
		t.Errorf("got event %v, want s3:ObjectCreated:*", got)
	}
	if q, ok := getAttTarget(get(c, "Queue"), "Arn"); !ok || q != "IngestQueue" {
		t.Errorf("got queue %v, want !GetAtt IngestQueue.Arn", get(c, "Queue"))
	}
	rules, _ := get(c, "Filter", "S3Key", "Rules").([]any)
	want := []any{map[string]any{"Name": "prefix", "Value": "inbox/"}}
	if !reflect.DeepEqual(rules, want) {
		t.Errorf("got filter rules %v, want only prefix inbox/ (no suffix)", rules)
	}

	name, ok := get(bucket, "Properties", "BucketName", "Fn::Sub").(string)
	if !ok {
		t.Fatalf("got BucketName %v, want a !Sub string", get(bucket, "Properties", "BucketName"))
	}
	if dependsOn := get(bucket, "DependsOn"); dependsOn != "IngestQueuePolicy" && !slices.Contains(asSlice(dependsOn), any("IngestQueuePolicy")) {
		t.Errorf("got InboxBucket DependsOn %v, want IngestQueuePolicy", dependsOn)
	}
	statements, _ := get(resources(tmpl)["IngestQueuePolicy"], "Properties", "PolicyDocument", "Statement").([]any)
	wantArn := "arn:${AWS::Partition}:s3:::" + name
	for _, s := range statements {
		if get(s, "Principal", "Service") == "s3.amazonaws.com" {
			if got := get(s, "Condition", "ArnEquals", "aws:SourceArn", "Fn::Sub"); got != wantArn {
				t.Errorf("got queue policy aws:SourceArn %v, want %q (the bucket's computed name)", got, wantArn)
			}
			return
		}
	}
	t.Error("got no IngestQueuePolicy statement for s3.amazonaws.com")
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func TestParseCFNTags(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want map[string]any
	}{
		{"ref", "a: !Ref Bucket", map[string]any{"a": map[string]any{"Ref": "Bucket"}}},
		{"getatt short", "a: !GetAtt Queue.Arn", map[string]any{"a": map[string]any{"Fn::GetAtt": []any{"Queue", "Arn"}}}},
		{"getatt list", "a: !GetAtt [Queue, Arn]", map[string]any{"a": map[string]any{"Fn::GetAtt": []any{"Queue", "Arn"}}}},
		{"sub", "a: !Sub x-${AWS::Region}", map[string]any{"a": map[string]any{"Fn::Sub": "x-${AWS::Region}"}}},
		{"sub list", "a: !Sub\n  - ${x}\n  - x: !Ref B", map[string]any{"a": map[string]any{"Fn::Sub": []any{"${x}", map[string]any{"x": map[string]any{"Ref": "B"}}}}}},
		{"nested", "a: !Join ['', [!Ref A, b]]", map[string]any{"a": map[string]any{"Fn::Join": []any{"", []any{map[string]any{"Ref": "A"}, "b"}}}}},
		{"scalars", "a: 1\nb: true\nc: x", map[string]any{"a": uint64(1), "b": true, "c": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCFN([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}
