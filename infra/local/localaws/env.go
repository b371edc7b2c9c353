package localaws

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Options configure Start. The zero value starts both emulators on free
// ports and provisions the repository's template under a random prefix.
type Options struct {
	// Template is the template to provision; by default the repository's
	// template.yaml.
	Template string
	// Prefix names the resources; by default "t" and 8 random hex digits.
	Prefix string
	// Params override the template's parameter defaults. A parameter that
	// has neither gets a local value (see LocalParams).
	Params map[string]string
	// MotoPort and SESPort choose fixed ports; 0 picks free ones.
	MotoPort int
	SESPort  int
	// Reuse, with a fixed port already taken by the same kind of emulator,
	// uses that emulator instead of starting one; Close then leaves it
	// running. On the moto port, LocalStack is accepted too. Only the
	// template's resources are created in it; nothing is ever reset.
	Reuse bool
	// EmulatorsDir holds node_modules/aws-ses-v2-local; by default
	// infra/emulators of the repository.
	EmulatorsDir string
}

// Env is a running local AWS: both emulators, their configurations and
// clients, and the provisioned stack.
type Env struct {
	Root     string // repository root
	Template string // template provisioned
	// MotoServer and SESServer are the emulators; the embedded Clients
	// talk to them (SES is the sesv2 client).
	MotoServer *Process
	SESServer  *Process
	Config     aws.Config // for moto
	SESConfig  aws.Config // for the SES emulator
	Clients
	Stack *Stack
	// Timings holds how long each start-up step took, by step name
	// ("moto", "ses", "provision"); provisioning overlaps the SES start.
	Timings map[string]time.Duration
}

// MustStart starts moto and the SES emulator on free ports, provisions the
// repository's template under a fresh prefix and stops everything when the
// test ends. It fails the test on any error.
func MustStart(t testing.TB) *Env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	env, err := Start(ctx, Options{})
	if err != nil {
		t.Fatalf("start local AWS: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("stop local AWS: %v", err)
		}
	})
	return env
}

// Start starts both emulators in parallel and provisions the template as
// soon as moto answers. Close stops them.
func Start(ctx context.Context, opts Options) (*Env, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	env := &Env{Root: root, Template: opts.Template, Timings: map[string]time.Duration{}}
	if env.Template == "" {
		env.Template = filepath.Join(root, "template.yaml")
	}
	emulators := opts.EmulatorsDir
	if emulators == "" {
		emulators = filepath.Join(root, "infra", "emulators")
	}
	prefix := opts.Prefix
	if prefix == "" {
		b := make([]byte, 4)
		rand.Read(b)
		prefix = "t" + hex.EncodeToString(b)
	}

	type started struct {
		p   *Process
		err error
		d   time.Duration
	}
	motoCh, sesCh := make(chan started, 1), make(chan started, 1)
	go func() {
		t0 := time.Now()
		p, err := startOrReuse(ctx, opts.Reuse, opts.MotoPort, motoPortIdentities, func() (*Process, error) {
			return StartMoto(ctx, opts.MotoPort)
		})
		motoCh <- started{p, err, time.Since(t0)}
	}()
	go func() {
		t0 := time.Now()
		p, err := startOrReuse(ctx, opts.Reuse, opts.SESPort, sesPortIdentities, func() (*Process, error) {
			return StartSES(ctx, opts.SESPort, emulators)
		})
		sesCh <- started{p, err, time.Since(t0)}
	}()
	// Provisioning needs moto only, so it overlaps the SES emulator's start.
	m := <-motoCh
	env.MotoServer, env.Timings["moto"] = m.p, m.d
	err = m.err
	if err == nil {
		err = env.provision(ctx, opts.Params, prefix)
	}
	s := <-sesCh
	env.SESServer, env.Timings["ses"] = s.p, s.d
	if err == nil && s.err == nil {
		env.SESConfig, err = SESConfig(ctx, env.SESServer.URL)
	}
	if err := errors.Join(err, s.err); err != nil {
		env.Close()
		return nil, err
	}
	env.Clients = NewClients(env.Config, env.SESConfig)
	return env, nil
}

func (e *Env) provision(ctx context.Context, overrides map[string]string, prefix string) error {
	var err error
	if e.Config, err = Config(ctx, e.MotoServer.URL); err != nil {
		return err
	}
	params, err := LocalParams(e.Template, overrides)
	if err != nil {
		return err
	}
	t0 := time.Now()
	e.Stack, err = Provision(ctx, e.Config, e.Template, prefix, params)
	e.Timings["provision"] = time.Since(t0)
	return err
}

// Close stops the emulators Start started; reused ones keep running.
func (e *Env) Close() error {
	var errs []error
	for _, p := range []*Process{e.MotoServer, e.SESServer} {
		if p != nil {
			errs = append(errs, p.Stop())
		}
	}
	return errors.Join(errs...)
}

// Mails returns what the SES emulator captured so far.
func (e *Env) Mails(ctx context.Context) ([]Mail, error) { return SESStore(ctx, e.SESServer.URL) }

// localParamValues are local values for the project's parameters that have
// no default because they only have a meaning once deployed.
var localParamValues = map[string]string{
	"PortalBaseUrl": "http://127.0.0.1:8080",
	"SenderDomain":  "efacture.test",
}

// LocalParams returns overrides completed with a local value for every
// parameter of the template that has no default: a value of
// localParamValues, else the first AllowedValues entry, else MinValue for a
// Number (or 1), else "local-" and the lower-cased name when AllowedPattern
// accepts it. It fails for a parameter it cannot fill.
func LocalParams(templatePath string, overrides map[string]string) (map[string]string, error) {
	tpl, err := loadTemplate(templatePath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", templatePath, err)
	}
	out := map[string]string{}
	for k, v := range overrides {
		out[k] = v
	}
	names := make([]string, 0, len(tpl.Parameters))
	for name := range tpl.Parameters {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		def := asMap(tpl.Parameters[name])
		if _, ok := out[name]; ok {
			continue
		}
		if _, ok := def["Default"]; ok {
			continue
		}
		if v, ok := localParamValues[name]; ok {
			out[name] = v
			continue
		}
		switch {
		case len(asList(def["AllowedValues"])) > 0:
			out[name] = str(asList(def["AllowedValues"])[0])
		case str(def["Type"]) == "Number":
			out[name] = "1"
			if v := str(def["MinValue"]); v != "" {
				out[name] = v
			}
		default:
			v := "local-" + strings.ToLower(name)
			if pattern := str(def["AllowedPattern"]); pattern != "" {
				re, err := regexp.Compile("^(?:" + pattern + ")$")
				if err != nil || !re.MatchString(v) {
					return nil, fmt.Errorf("%s: parameter %s has no default and needs a local value matching %s", templatePath, name, pattern)
				}
			}
			out[name] = v
		}
	}
	return out, nil
}

// RepoRoot walks up from the working directory to the directory holding
// go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// UseMotoFix puts infra/soak/motofix on the PYTHONPATH of the moto_server started next:
// a patch that keeps moto's transactions cheap at any table size, for the long runs
// (soak, load, scale, the security suite; docs/SECURITY.md). It changes this process's
// environment.
func UseMotoFix() error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	dir := filepath.Join(root, "infra", "soak", "motofix")
	if _, err := os.Stat(filepath.Join(dir, "sitecustomize.py")); err != nil {
		return err
	}
	if old := os.Getenv("PYTHONPATH"); old != "" {
		dir += string(os.PathListSeparator) + old
	}
	return os.Setenv("PYTHONPATH", dir)
}

// QueueDepth counts a queue's messages, visible, in flight or delayed: 0 once the queue
// has drained. An error counts as 1, so a caller waiting for 0 keeps waiting.
func (e *Env) QueueDepth(ctx context.Context, url string) int {
	out, err := e.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &url, AttributeNames: []sqstypes.QueueAttributeName{
		sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
	}})
	if err != nil {
		return 1
	}
	n := 0
	for _, v := range out.Attributes {
		k, _ := strconv.Atoi(v)
		n += k
	}
	return n
}

// PendingMails counts the outbox records still pending. A Scan: for the long local runs
// only, whose outbox stays small. An error counts as 1, as in QueueDepth.
func (e *Env) PendingMails(ctx context.Context, outboxTable string) int {
	out, err := e.DynamoDB.Scan(ctx, &dynamodb.ScanInput{
		TableName: &outboxTable, FilterExpression: aws.String("#s = :pending"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":pending": &ddbtypes.AttributeValueMemberS{Value: "pending"}},
		Select:                    ddbtypes.SelectCount, ConsistentRead: aws.Bool(true),
	})
	if err != nil || out.LastEvaluatedKey != nil {
		return 1
	}
	return int(out.Count)
}
