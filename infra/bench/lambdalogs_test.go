package bench_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/infra/bench"
	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/domain/metrics"
)

// runFunction starts the binary bin as Lambda would, with env, against a fake Runtime
// API, invokes it with each payload in turn and returns what it printed on stdout.
func runFunction(t *testing.T, bin string, env []string, payloads ...[]byte) string {
	t.Helper()
	api, err := bench.NewRuntimeAPI()
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(env, "AWS_LAMBDA_RUNTIME_API="+api.Addr())
	var stdout, stderr localaws.SyncBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := func() {
		cmd.Process.Kill()
		cmd.Wait() // also waits until stdout is copied
	}
	defer stop()
	for _, p := range payloads {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		out, err := api.Invoke(ctx, p)
		cancel()
		if err != nil {
			t.Fatalf("invoke: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
		if !bytes.Contains(out, []byte("batchItemFailures")) && len(out) > 0 && string(out) != "null" {
			t.Logf("response: %s", out)
		}
	}
	// The function wrote its lines before it responded; they are all copied once it is gone.
	stop()
	return stdout.String()
}

// TestLambdaLogsCarryRequestID starts the mail-events function's binary as Lambda does
// (LoggingConfig JSON: AWS_LAMBDA_LOG_FORMAT, ApplicationLogLevel: AWS_LAMBDA_LOG_LEVEL)
// against a fake Runtime API and moto, invokes it twice, and reads its stdout: every
// line is JSON and carries the request id of the invocation it belongs to, the bounce
// and the complaint are counted as CloudWatch would extract them from the embedded
// metric format, and a level of ERROR drops those WARN lines.
func TestLambdaLogsCarryRequestID(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a function and starts moto")
	}
	root, err := localaws.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	proc, err := moto()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// A plain build shares the test's build cache; the release flags change no logging.
	bin := filepath.Join(t.TempDir(), "mailevents")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./functions/mailevents")
	build.Dir = root
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	cfg, err := localaws.Config(ctx, proc.URL)
	if err != nil {
		t.Fatal(err)
	}
	tpl := filepath.Join(root, "template.yaml")
	params, err := localaws.LocalParams(tpl, nil)
	if err != nil {
		t.Fatal(err)
	}
	stack, err := localaws.Provision(ctx, cfg, tpl, fmt.Sprintf("logs%d", os.Getpid()%100000), params)
	if err != nil {
		t.Fatal(err)
	}
	fnEnv := stack.FunctionEnv("MailEventsFunction")
	namespace := fnEnv["METRICS_NAMESPACE"]
	if !strings.HasPrefix(namespace, "efacture/") {
		t.Fatalf("got METRICS_NAMESPACE %q, want efacture/<stack>", namespace)
	}

	raw, err := os.ReadFile(filepath.Join(root, "events", "sns-ses-bounce.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bounce events.SNSEvent
	if err := json.Unmarshal(raw, &bounce); err != nil {
		t.Fatal(err)
	}
	// A complaint about the same mail, as SES would publish it.
	var msg map[string]any
	if err := json.Unmarshal([]byte(bounce.Records[0].SNS.Message), &msg); err != nil {
		t.Fatal(err)
	}
	delete(msg, "bounce")
	msg["eventType"] = "Complaint"
	msg["complaint"] = map[string]any{"complainedRecipients": []any{map[string]any{"emailAddress": "pierre.durand@example.fr"}}, "timestamp": "2026-11-26T10:00:00.000Z"}
	complaint := bounce.Records[0]
	b, _ := json.Marshal(msg)
	complaint.SNS.Message = string(b)
	both := bounce
	both.Records = append(append([]events.SNSEventRecord(nil), bounce.Records...), complaint)
	first, _ := json.Marshal(both)

	env := lambdaEnv(fnEnv, proc.URL)
	// The process takes the last of duplicate variables: it must be moto's loopback URL.
	var endpoint string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "AWS_ENDPOINT_URL="); ok {
			endpoint = v
		}
	}
	if err := localaws.CheckEndpoint(endpoint); err != nil {
		t.Fatalf("the function would reach %q: %v", endpoint, err)
	}
	out := runFunction(t, bin, append(env, "AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL=INFO"), first, raw)

	lines := map[string]int{}
	counts := map[string]map[metrics.Name]float64{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var line struct {
			RequestID string `json:"requestId"`
			Message   string `json:"message"`
			Level     string `json:"level"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("not a JSON line: %q", sc.Text())
			continue
		}
		if line.RequestID == "" || line.Message == "" {
			t.Errorf("got a line without requestId or message: %s", sc.Text())
		}
		lines[line.RequestID]++
		got, err := metrics.Extract(sc.Bytes())
		if err != nil {
			t.Errorf("embedded metric format: %v in %s", err, sc.Text())
		}
		for name, v := range got[namespace] {
			if counts[line.RequestID] == nil {
				counts[line.RequestID] = map[metrics.Name]float64{}
			}
			counts[line.RequestID][name] += v
		}
	}
	// The fake Runtime API numbers invocations req-1, req-2…
	// Each event: a line for its unknown customer, then the one that counts it.
	if lines["req-1"] != 4 || lines["req-2"] != 2 || len(lines) != 2 {
		t.Errorf("got lines per request id %v, want req-1: 4 (bounce, complaint), req-2: 2\n%s", lines, out)
	}
	want := map[string]map[metrics.Name]float64{
		"req-1": {metrics.MailsBounced: 1, metrics.MailsComplained: 1},
		"req-2": {metrics.MailsBounced: 1},
	}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("got metrics per request %v, want %v\n%s", counts, want, out)
	}

	// The level is Lambda's ApplicationLogLevel: at ERROR the WARN lines go.
	if out := runFunction(t, bin, append(env, "AWS_LAMBDA_LOG_FORMAT=JSON", "AWS_LAMBDA_LOG_LEVEL=ERROR"), raw); strings.TrimSpace(out) != "" {
		t.Errorf("got lines at ApplicationLogLevel ERROR:\n%s", out)
	}
}

// lambdaEnv is a function's environment on moto: static credentials, no shared config,
// the endpoint on loopback, and the template's variables.
func lambdaEnv(fn map[string]string, motoURL string) []string {
	env := []string{
		"AWS_REGION=" + localaws.Region, "AWS_DEFAULT_REGION=" + localaws.Region,
		"AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
		"AWS_CONFIG_FILE=/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent/credentials",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=" + motoURL, "TZ=UTC",
	}
	// The template's variables first: the loopback settings above must win over the
	// empty AWS_ENDPOINT_URL it declares for sam local (exec keeps the last duplicate).
	vars := make([]string, 0, len(fn)+len(env))
	for k, v := range fn {
		vars = append(vars, k+"="+v)
	}
	return append(vars, env...)
}
