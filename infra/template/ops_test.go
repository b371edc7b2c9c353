package template_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/metrics"
)

var transformedCache struct {
	once sync.Once
	tmpl map[string]any
	err  error
}

// transformedTemplate is template.yaml after the SAM transform (infra/template/transform.py),
// as CloudFormation deploys it: functions, event source mappings and roles are plain
// resources there.
func transformedTemplate(t *testing.T) map[string]any {
	t.Helper()
	root := repoRoot(t)
	transformedCache.once.Do(func() {
		dir, err := os.MkdirTemp("", "efacture-transform-")
		if err != nil {
			transformedCache.err = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "transformed.json")
		cmd := exec.Command("python3", filepath.Join(root, "infra", "template", "transform.py"), filepath.Join(root, "template.yaml"), "--output", out)
		cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=eu-west-3")
		if b, err := cmd.CombinedOutput(); err != nil {
			transformedCache.err = fmt.Errorf("transform.py: %v\n%s", err, b)
			return
		}
		b, err := os.ReadFile(out)
		if err == nil {
			err = json.Unmarshal(b, &transformedCache.tmpl)
		}
		transformedCache.err = err
	})
	if transformedCache.err != nil {
		t.Fatal(transformedCache.err)
	}
	return transformedCache.tmpl
}

// TestFunctionsLogJSONWithRetention: every function writes JSON at the level parameters
// to a log group of its own whose retention is LogRetentionDays, and no function reads a
// level of its own.
func TestFunctionsLogJSONWithRetention(t *testing.T) {
	tmpl := transformedTemplate(t)
	fns := resourcesOfType(tmpl, "AWS::Lambda::Function")
	if len(fns) != len(app.Functions()) {
		t.Fatalf("got %d functions after the transform, want %d (app.Functions())", len(fns), len(app.Functions()))
	}
	groups := map[string]string{}
	for _, id := range fns {
		t.Run(id, func(t *testing.T) {
			props := get(resources(tmpl)[id], "Properties")
			lc := get(props, "LoggingConfig")
			for key, want := range map[string]any{
				"LogFormat":           "JSON",
				"ApplicationLogLevel": map[string]any{"Ref": "ApplicationLogLevel"},
				"SystemLogLevel":      map[string]any{"Ref": "SystemLogLevel"},
			} {
				if got := get(lc, key); !reflect.DeepEqual(got, want) {
					t.Errorf("got LoggingConfig.%s %v, want %v", key, got, want)
				}
			}
			if v := get(props, "Environment", "Variables", "LOG_LEVEL"); v != nil {
				t.Errorf("got LOG_LEVEL %v: the level is Lambda's ApplicationLogLevel (AWS_LAMBDA_LOG_LEVEL)", v)
			}
			group, _ := get(lc, "LogGroup", "Ref").(string)
			res := resources(tmpl)[group]
			if get(res, "Type") != "AWS::Logs::LogGroup" {
				t.Fatalf("got LoggingConfig.LogGroup %v, want a !Ref to an AWS::Logs::LogGroup", get(lc, "LogGroup"))
			}
			if other, ok := groups[group]; ok {
				t.Errorf("log group %s is %s's too", group, other)
			}
			groups[group] = id
			if got := get(res, "Properties", "RetentionInDays"); !reflect.DeepEqual(got, map[string]any{"Ref": "LogRetentionDays"}) {
				t.Errorf("%s: got RetentionInDays %v, want !Ref LogRetentionDays", group, got)
			}
			name, _ := get(res, "Properties", "LogGroupName", "Fn::Sub").(string)
			if !strings.HasPrefix(name, "/aws/lambda/") {
				t.Errorf("%s: got LogGroupName %v, want /aws/lambda/…", group, get(res, "Properties", "LogGroupName"))
			}
		})
	}
}

// alarm is what an alarm watches and whom it tells.
type alarm struct {
	id, namespace, metric string
	dims                  map[string]any
	actions               []any
}

func alarms(tmpl map[string]any) []alarm {
	var out []alarm
	for _, id := range resourcesOfType(tmpl, "AWS::CloudWatch::Alarm") {
		props := get(resources(tmpl)[id], "Properties")
		a := alarm{id: id, dims: map[string]any{}}
		a.namespace, _ = get(props, "Namespace").(string)
		if sub, ok := get(props, "Namespace", "Fn::Sub").(string); ok {
			a.namespace = sub
		}
		a.metric, _ = get(props, "MetricName").(string)
		a.actions, _ = get(props, "AlarmActions").([]any)
		dims, _ := get(props, "Dimensions").([]any)
		for _, d := range dims {
			name, _ := get(d, "Name").(string)
			a.dims[name] = get(d, "Value")
		}
		out = append(out, a)
	}
	return out
}

// wantAlarm fails unless an alarm watches metric in namespace with exactly dims and
// notifies OpsAlarmTopic.
func wantAlarm(t *testing.T, all []alarm, namespace, metric string, dims map[string]any) {
	t.Helper()
	for _, a := range all {
		if a.namespace != namespace || a.metric != metric || !reflect.DeepEqual(a.dims, dims) {
			continue
		}
		if !slices.ContainsFunc(a.actions, func(x any) bool { return reflect.DeepEqual(x, map[string]any{"Ref": "OpsAlarmTopic"}) }) {
			t.Errorf("%s: got AlarmActions %v, want !Ref OpsAlarmTopic", a.id, a.actions)
		}
		return
	}
	t.Errorf("got no alarm on %s %s %v", namespace, metric, dims)
}

// TestOperationalAlarms: every function's errors and throttles, every stream consumer's
// iterator age, every SQS source's oldest message, the API's 5xx and SES reputation are
// alarmed, read from the transformed template so event sources are the real mappings.
func TestOperationalAlarms(t *testing.T) {
	tmpl := transformedTemplate(t)
	all := alarms(tmpl)
	for _, fn := range resourcesOfType(tmpl, "AWS::Lambda::Function") {
		for _, metric := range []string{"Errors", "Throttles"} {
			wantAlarm(t, all, "AWS/Lambda", metric, map[string]any{"FunctionName": map[string]any{"Ref": fn}})
		}
	}
	streams, queues := 0, 0
	for _, id := range resourcesOfType(tmpl, "AWS::Lambda::EventSourceMapping") {
		props := get(resources(tmpl)[id], "Properties")
		fn, _ := get(props, "FunctionName", "Ref").(string)
		src := get(props, "EventSourceArn")
		if _, ok := getAttTarget(src, "StreamArn"); ok {
			streams++
			wantAlarm(t, all, "AWS/Lambda", "IteratorAge", map[string]any{"FunctionName": map[string]any{"Ref": fn}})
		}
		if q, ok := getAttTarget(src, "Arn"); ok && get(resources(tmpl)[q], "Type") == "AWS::SQS::Queue" {
			queues++
			wantAlarm(t, all, "AWS/SQS", "ApproximateAgeOfOldestMessage", map[string]any{"QueueName": map[string]any{"Fn::GetAtt": []any{q, "QueueName"}}})
		}
	}
	if streams < 2 || queues < 2 {
		t.Errorf("got %d stream and %d queue sources, want the mailer's and purge's streams, the ingest and exports queues", streams, queues)
	}
	for _, api := range resourcesOfType(tmpl, "AWS::ApiGatewayV2::Api") {
		wantAlarm(t, all, "AWS/ApiGateway", "5xx", map[string]any{"ApiId": map[string]any{"Ref": api}, "Stage": "$default"})
	}
	for _, metric := range []string{"Reputation.BounceRate", "Reputation.ComplaintRate"} {
		wantAlarm(t, all, "AWS/SES", metric, map[string]any{"ses:configuration-set": map[string]any{"Ref": "MailConfigurationSet"}})
	}
	wantAlarm(t, all, "efacture/${AWS::StackName}", string(metrics.DeadMails), map[string]any{})

	var subscribed bool
	for _, id := range resourcesOfType(tmpl, "AWS::SNS::Subscription") {
		r := resources(tmpl)[id]
		if reflect.DeepEqual(get(r, "Properties", "TopicArn"), map[string]any{"Ref": "OpsAlarmTopic"}) &&
			get(r, "Properties", "Protocol") == "email" && get(r, "Condition") == "HasAlarmEmail" {
			subscribed = true
		}
	}
	if !subscribed {
		t.Error("got no e-mail subscription to OpsAlarmTopic under the condition HasAlarmEmail")
	}
}

// subVariable matches ${…} in a !Sub string.
var subVariable = regexp.MustCompile(`\$\{[^}]+\}`)

// TestDashboardShowsEmittedMetrics: the dashboard charts every metric the code emits
// (metrics.Names) in the functions' METRICS_NAMESPACE, and no other metric of it.
func TestDashboardShowsEmittedMetrics(t *testing.T) {
	tmpl := transformedTemplate(t)
	boards := resourcesOfType(tmpl, "AWS::CloudWatch::Dashboard")
	if len(boards) != 1 {
		t.Fatalf("got dashboards %v, want one", boards)
	}
	ns, _ := get(tmpl, "Globals", "Function", "Environment", "Variables", "METRICS_NAMESPACE", "Fn::Sub").(string)
	if ns == "" {
		// The transform moves Globals into each function.
		fn := resourcesOfType(tmpl, "AWS::Lambda::Function")[0]
		ns, _ = get(resources(tmpl)[fn], "Properties", "Environment", "Variables", "METRICS_NAMESPACE", "Fn::Sub").(string)
	}
	if ns != "efacture/${AWS::StackName}" {
		t.Fatalf("got METRICS_NAMESPACE %q, want efacture/${AWS::StackName}", ns)
	}
	body, _ := get(resources(tmpl)[boards[0]], "Properties", "DashboardBody", "Fn::Sub").(string)
	// Every ${…} sits inside a JSON string; the namespace's stays recognisable.
	body = strings.ReplaceAll(body, ns, "NAMESPACE")
	body = subVariable.ReplaceAllString(body, "x")
	var dash struct {
		Widgets []struct {
			Properties struct {
				Metrics [][]any `json:"metrics"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &dash); err != nil {
		t.Fatalf("dashboard body is not JSON: %v\n%s", err, body)
	}
	shown := map[metrics.Name]bool{}
	for _, w := range dash.Widgets {
		for _, m := range w.Properties.Metrics {
			if len(m) >= 2 && m[0] == "NAMESPACE" {
				name, _ := m[1].(string)
				shown[metrics.Name(name)] = true
			}
		}
	}
	for _, name := range metrics.Names {
		if !shown[name] {
			t.Errorf("metric %s is emitted by the code but not on the dashboard", name)
		}
		delete(shown, name)
	}
	for name := range shown {
		t.Errorf("dashboard charts %s, which the code never emits (metrics.Names)", name)
	}
}
