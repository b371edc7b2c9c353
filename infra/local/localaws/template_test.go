package localaws

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const intrinsicsYAML = `
Parameters:
  Env: {Type: String, Default: dev}
  Domain: {Type: String}
  Zones: {Type: CommaDelimitedList, Default: "a, b"}
Mappings:
  Sizes:
    dev: {Memory: 128}
Conditions:
  IsDev: !Equals [!Ref Env, dev]
  IsProd: !Not [!Condition IsDev]
  Both: !And [!Condition IsDev, !Equals [x, x]]
  Either: !Or [!Condition IsProd, !Equals [!Ref Env, dev]]
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "${AWS::StackName}-${Env}"
  Literal:
    Type: AWS::S3::Bucket
    Properties:
      Text: |
        line one
        line two
`

func testResolver(t *testing.T) *resolver {
	t.Helper()
	tpl, err := parseTemplate([]byte(intrinsicsYAML))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	eff := map[string]string{}
	params, err := parameterValues(tpl, map[string]string{"Domain": "example.test"}, eff)
	if err != nil {
		t.Fatalf("parameters: %v", err)
	}
	r := newResolver(tpl, params, "eu-west-3", AccountID, "st")
	r.refs["Queue"] = "http://127.0.0.1:1/123456789012/st-Queue"
	r.setAttr("Queue", "Arn", "arn:aws:sqs:eu-west-3:123456789012:st-Queue")
	return r
}

func TestParseTemplateShortForms(t *testing.T) {
	tpl, err := parseTemplate([]byte(intrinsicsYAML))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	got := tpl.Resources["Bucket"].Properties["BucketName"]
	want := map[string]any{"Fn::Sub": "${AWS::StackName}-${Env}"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
	cond := tpl.Conditions["IsProd"]
	wantCond := map[string]any{"Fn::Not": []any{map[string]any{"Condition": "IsDev"}}}
	if !reflect.DeepEqual(cond, wantCond) {
		t.Errorf("got %#v, want %#v", cond, wantCond)
	}
	if got, want := tpl.Resources["Literal"].Properties["Text"], "line one\nline two\n"; got != want {
		t.Errorf("literal: got %q, want %q", got, want)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name string
		in   string // YAML of one value
		want any
	}{
		{"ref parameter", `!Ref Env`, "dev"},
		{"ref overridden parameter", `!Ref Domain`, "example.test"},
		{"ref list parameter", `!Ref Zones`, []any{"a", "b"}},
		{"ref resource", `!Ref Queue`, "http://127.0.0.1:1/123456789012/st-Queue"},
		{"ref pseudo", `!Sub "${AWS::Region}/${AWS::AccountId}/${AWS::StackName}/${AWS::Partition}"`, "eu-west-3/123456789012/st/aws"},
		{"sub parameter and attribute", `!Sub "${Env}:${Queue.Arn}"`, "dev:arn:aws:sqs:eu-west-3:123456789012:st-Queue"},
		{"sub escape", `!Sub "${!Literal}-${Env}"`, "${Literal}-dev"},
		{"sub with variables", `!Sub ["${A}.${Env}", {A: !Ref Domain}]`, "example.test.dev"},
		{"long forms", `{"Fn::Join": ["-", [{"Ref": Env}, {"Fn::GetAtt": [Queue, Arn]}]]}`, "dev-arn:aws:sqs:eu-west-3:123456789012:st-Queue"},
		{"getatt dotted", `!GetAtt Queue.Arn`, "arn:aws:sqs:eu-west-3:123456789012:st-Queue"},
		{"join", `!Join [",", [a, !Ref Env, 3]]`, "a,dev,3"},
		{"select", `!Select [1, !Split ["/", "x/y/z"]]`, "y"},
		{"select azs", `!Select [0, !GetAZs ""]`, "eu-west-3a"},
		{"if true", `!If [IsDev, yes, no]`, "yes"},
		{"if false", `!If [IsProd, yes, no]`, "no"},
		{"and", `!If [Both, yes, no]`, "yes"},
		{"or", `!If [Either, yes, no]`, "yes"},
		{"find in map", `!FindInMap [Sizes, !Ref Env, Memory]`, int64(128)},
		{"base64", `!Base64 "hi"`, "aGk="},
		{"no value dropped", `{A: 1, B: !If [IsProd, x, !Ref "AWS::NoValue"]}`, map[string]any{"A": int64(1)}},
		{"no value in list", `[a, !If [IsProd, x, !Ref AWS::NoValue]]`, []any{"a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := testResolver(t)
			v := parseValue(t, tc.in)
			got, err := r.resolve(v)
			if err != nil {
				t.Fatalf("resolve: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"unknown ref", `!Ref Nothing`, "no such parameter or resource"},
		{"not yet provisioned", `!Ref Bucket`, "not provisioned yet"},
		{"unknown attribute", `!GetAtt Queue.Nothing`, "not available locally"},
		{"unknown condition", `!If [Nope, a, b]`, "unknown condition"},
		{"unsupported function", `!ImportValue shared`, "not supported locally"},
		{"select out of range", `!Select [5, [a]]`, "out of range"},
		{"sub list value", `!Sub "${Zones}"`, "want a scalar"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := testResolver(t).resolve(parseValue(t, tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// parseValue parses one YAML value through the template converter.
func parseValue(t *testing.T, y string) any {
	t.Helper()
	tpl, err := parseTemplate([]byte("Resources:\n  X:\n    Type: T\n    Properties:\n      V: " + y + "\n"))
	if err != nil {
		t.Fatalf("parse %q: %v", y, err)
	}
	return tpl.Resources["X"].Properties["V"]
}

func TestParameterValues(t *testing.T) {
	tpl, err := parseTemplate([]byte(`
Parameters:
  Level: {Type: String, Default: INFO, AllowedValues: [INFO, DEBUG]}
  Needed: {Type: String}
  Origin: {Type: String, Default: "https://x.test", AllowedPattern: "https?://[a-z.]+"}
Resources:
  Q: {Type: AWS::SQS::Queue}
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		overrides map[string]string
		want      map[string]string
		wantErr   string
	}{
		{"defaults and override", map[string]string{"Needed": "x"}, map[string]string{"Level": "INFO", "Needed": "x", "Origin": "https://x.test"}, ""},
		{"allowed override", map[string]string{"Needed": "x", "Level": "DEBUG"}, map[string]string{"Level": "DEBUG", "Needed": "x", "Origin": "https://x.test"}, ""},
		{"pattern override", map[string]string{"Needed": "x", "Origin": "http://y"}, map[string]string{"Level": "INFO", "Needed": "x", "Origin": "http://y"}, ""},
		{"pattern matches the whole value", map[string]string{"Needed": "x", "Origin": "http://y/path"}, nil, "does not match"},
		{"missing", nil, nil, "need a value: Needed"},
		{"not allowed", map[string]string{"Needed": "x", "Level": "LOUD"}, nil, "is not one of"},
		{"undeclared", map[string]string{"Needed": "x", "Typo": "y"}, nil, "not declared"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			eff := map[string]string{}
			_, err := parameterValues(tpl, tc.overrides, eff)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(eff, tc.want) {
				t.Errorf("got %v, want %v", eff, tc.want)
			}
		})
	}
}

func TestDependencyOrder(t *testing.T) {
	tpl, err := parseTemplate([]byte(`
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        QueueConfigurations: [{Event: "s3:ObjectCreated:*", Queue: !GetAtt Work.Arn}]
  Work:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dead.Arn, maxReceiveCount: 5}
  Dead: {Type: AWS::SQS::Queue}
  Table: {Type: AWS::DynamoDB::Table}
  Named:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${Table}-named"
`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := dependencyOrder(tpl, []string{"Bucket", "Dead", "Named", "Table", "Work"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Dead", "Table", "Named", "Work", "Bucket"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}

	cyclic, err := parseTemplate([]byte(`
Resources:
  A: {Type: AWS::SQS::Queue, Properties: {QueueName: !Ref B}}
  B: {Type: AWS::SQS::Queue, Properties: {QueueName: !Ref A}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dependencyOrder(cyclic, []string{"A", "B"}); err == nil || !strings.Contains(err.Error(), "circular") {
		t.Errorf("got error %v, want a circular dependency", err)
	}
}

func TestSecretValue(t *testing.T) {
	tests := []struct {
		name  string
		props string
		check func(string) string // returns a complaint or ""
	}{
		{"literal", `{SecretString: fixed}`, func(s string) string {
			if s != "fixed" {
				return "want fixed"
			}
			return ""
		}},
		{"length and no punctuation", `{GenerateSecretString: {PasswordLength: 64, ExcludePunctuation: true}}`, func(s string) string {
			if len(s) != 64 {
				return "want 64 characters"
			}
			if strings.IndexFunc(s, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
			}) >= 0 {
				return "want letters and digits only"
			}
			return ""
		}},
		{"excluded characters", `{GenerateSecretString: {PasswordLength: 200, ExcludeCharacters: "aA0!"}}`, func(s string) string {
			if strings.ContainsAny(s, "aA0!") {
				return "contains an excluded character"
			}
			return ""
		}},
		{"template", `{GenerateSecretString: {SecretStringTemplate: '{"user":"x"}', GenerateStringKey: key, PasswordLength: 8}}`, func(s string) string {
			if !strings.HasPrefix(s, `{"key":"`) || !strings.HasSuffix(s, `","user":"x"}`) {
				return "want a JSON object with key and user"
			}
			return ""
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			props := parseValue(t, tc.props).(map[string]any)
			got, err := secretValue(props)
			if err != nil {
				t.Fatal(err)
			}
			if complaint := tc.check(got); complaint != "" {
				t.Errorf("got %q: %s", got, complaint)
			}
		})
	}
}

func TestFixtureFunctions(t *testing.T) {
	// Resolving needs provisioned names; here only the shape of the events
	// is checked, with every resource given a local placeholder.
	tpl, err := loadTemplate("testdata/template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	stack := &Stack{Prefix: "p", Region: Region, AccountID: AccountID, Physical: map[string]string{}, Types: map[string]string{},
		refs: map[string]string{}, attrs: map[string]map[string]string{}}
	params, err := parameterValues(tpl, map[string]string{"CertificateArn": "c"}, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	p := &provisioner{res: newResolver(tpl, params, Region, AccountID, "p"), stack: stack}
	p.res.refs, p.res.attrs = stack.refs, stack.attrs
	for _, id := range tpl.resourceIDs() {
		stack.Types[id] = tpl.Resources[id].Type
		p.placeholder(tpl.Resources[id])
	}
	p.res.setAttr("WebBucket", "RegionalDomainName", "web")
	f, err := p.function(tpl.Resources["AuthFunction"])
	if err != nil {
		t.Fatal(err)
	}
	wantRoutes := []Route{
		{Event: "Health", Method: "GET", Path: "/api/health"},
		{Event: "Login", Method: "POST", Path: "/api/auth/login"},
		{Event: "Space", Method: "GET", Path: "/api/spaces/{space}"},
	}
	if !reflect.DeepEqual(f.HTTP, wantRoutes) {
		t.Errorf("routes: got %+v, want %+v", f.HTTP, wantRoutes)
	}
	f, err = p.function(tpl.Resources["DigestFunction"])
	if err != nil {
		t.Fatal(err)
	}
	if want := []Schedule{{Event: "Hourly", Type: "ScheduleV2", Expression: "rate(1 hour)"}}; !reflect.DeepEqual(f.Schedules, want) {
		t.Errorf("schedules: got %+v, want %+v", f.Schedules, want)
	}
}

func TestLocalParams(t *testing.T) {
	tests := []struct {
		name      string
		params    string
		overrides map[string]string
		want      map[string]string
		wantErr   string
	}{
		{
			name: "fills what has no default",
			params: `
  PortalBaseUrl: {Type: String, AllowedPattern: "https?://[0-9a-z.:]+"}
  Choice: {Type: String, AllowedValues: [b, a]}
  Count: {Type: Number, MinValue: 3}
  Free: {Type: String}
  Given: {Type: String}
  Defaulted: {Type: String, Default: d}`,
			overrides: map[string]string{"Given": "g"},
			want: map[string]string{"PortalBaseUrl": "http://127.0.0.1:8080", "Choice": "b", "Count": "3",
				"Free": "local-free", "Given": "g"},
		},
		{
			name:    "pattern a local value cannot meet",
			params:  `{Digits: {Type: String, AllowedPattern: "[0-9]+"}}`,
			wantErr: "needs a local value",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "template.yaml")
			y := "Parameters:" + tc.params + "\nResources:\n  Q: {Type: AWS::SQS::Queue}\n"
			if strings.HasPrefix(tc.params, "{") {
				y = "Parameters: " + tc.params + "\nResources:\n  Q: {Type: AWS::SQS::Queue}\n"
			}
			if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := LocalParams(path, tc.overrides)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, %v; want an error containing %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
