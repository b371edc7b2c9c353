// Package runner plays, on 127.0.0.1, the parts of AWS that no emulator
// plays here: it starts moto and aws-ses-v2-local, provisions
// template.yaml, serves every HttpApi route by invoking the function's own
// Lambda handler in process, serves the frontend on the same origin, feeds
// the functions from their queues, streams and schedules as Lambda's event
// sources do, sweeps expired items as DynamoDB TTL would, and can seed a
// demo through the real inbox path. `make run` (infra/local) and the tests
// that need the whole portal start it.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/efacture/efacture/infra/local/eventsource"
	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/pdf/facturx"
)

// Options configure Start. The zero value runs the repository's template
// on free ports, without demo data.
type Options struct {
	// Template is the SAM template; by default the repository's
	// template.yaml.
	Template string
	// Functions builds the template's functions; by default Functions.
	Functions Registry
	// PortalPort, MotoPort and SESPort choose fixed ports on 127.0.0.1;
	// 0 picks free ones.
	PortalPort, MotoPort, SESPort int
	// Reuse, with fixed emulator ports, uses an emulator already listening
	// there (and leaves it running on Close) instead of failing.
	Reuse bool
	// Prefix names the stack (and so every resource); by default a random
	// one, so runs never share resources.
	Prefix string
	// Demo seeds the demo spaces, referentials and documents before Start
	// returns.
	Demo bool
	// WebDir is the frontend to serve; by default web/dist when built,
	// else web/.
	WebDir string
	// Now is the functions' clock, also used for demo dates and TTL
	// expiry; by default time.Now. Schedules fire on the real clock.
	Now func() time.Time
	// TTLSweepEvery runs the TTL sweeper at this interval; 0 leaves it to
	// SweepTTL and POST /_local/ttl-sweep.
	TTLSweepEvery time.Duration
	// RetryDelay is the wait before the first retry of a failed stream
	// batch, doubling with each further one (at most 30 s); by default
	// 500 ms.
	RetryDelay time.Duration
	// RollbackWindow is how many records per shard each stream reader
	// re-reads at every poll to notice moto's rollbacks; 0 means 200, a
	// negative value turns the re-reading off. Re-reading costs moto about
	// 4 ms a record, so a long run on an emulator patched not to rewrite its
	// streams (infra/soak/motofix) turns it off.
	RollbackWindow int
	// Configure, when set, adjusts the options each function is built with
	// (thresholds, clock, logger) before its constructor runs.
	Configure func(functionID string, o *app.Options)
	// Wrap, when set, wraps every function's handler: tests inject faults
	// or watch invocations with it.
	Wrap func(functionID string, next Handler) Handler
	// ClientConfig, when set, adjusts a copy of the AWS configurations the
	// functions' clients are built from (not the runner's own nor the
	// Env's): a benchmark installs a call recorder with it.
	ClientConfig func(cfg *aws.Config)
	// Log receives the runner's own events (invocations, failures); nil
	// discards them.
	Log *slog.Logger
	// FunctionLogs receives the functions' JSON logs; nil discards them.
	FunctionLogs io.Writer
	// MinTimeout, when longer than a function's template timeout, replaces it: a suite
	// that fires hundreds of requests at once at one emulator process on a shared
	// machine tests what is answered, not how fast.
	MinTimeout time.Duration
}

// Runner is a running local portal.
type Runner struct {
	// DemoStaff are the spaces whose demo supervisor (DemoStaffIdentifier) exists.
	DemoStaff []string
	// PortalURL serves the frontend and /api on one origin,
	// http://127.0.0.1:port.
	PortalURL string
	// MailViewerURL is aws-ses-v2-local's mail viewer.
	MailViewerURL string
	// MotoURL is the AWS emulator's endpoint (moto, or LocalStack reused).
	MotoURL string
	// AWS holds the emulators, SDK clients and provisioned stack.
	AWS *localaws.Env
	// Env is the functions' shared configuration (table and bucket names).
	Env app.Env
	// Sample is today's document for the billing command.
	Sample BillingDrop
	// Timings holds how long start-up steps took: "emulators" (start and
	// provisioning), "demo", "total".
	Timings map[string]time.Duration

	opts       Options
	root       string
	portalPort string
	clients    app.Clients
	functions  map[string]*function
	routes     []route
	schedules  []scheduled
	ttl        []*ttlTable
	writers    sync.RWMutex // see invokeAlone
	log        *slog.Logger
	server     *http.Server
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	tmp        string
	closeOnce  sync.Once
	closeErr   error
	billing    billing
}

// Start brings the portal up and returns once it serves (and, with Demo,
// once the demo's mails are sent). ctx bounds start-up only; Close stops
// everything Start started.
func Start(ctx context.Context, opts Options) (*Runner, error) {
	t0 := time.Now()
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Functions == nil {
		opts.Functions = Functions
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 500 * time.Millisecond
	}
	if opts.FunctionLogs == nil {
		opts.FunctionLogs = io.Discard
	}
	if opts.Prefix == "" {
		opts.Prefix = "r" + strings.ReplaceAll(requestID()[:8], "-", "")
	}
	r := &Runner{opts: opts, log: opts.Log, Timings: map[string]time.Duration{}}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if r.root, err = localaws.RepoRoot(); err != nil {
		return nil, err
	}
	// The portal's port comes first: mail links need its URL.
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.PortalPort)))
	if err != nil {
		return nil, fmt.Errorf("portal port %d: %w", opts.PortalPort, err)
	}
	r.portalPort = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	r.PortalURL = "http://127.0.0.1:" + r.portalPort
	r.AWS, err = localaws.Start(ctx, localaws.Options{
		Template: opts.Template, Prefix: opts.Prefix, Reuse: opts.Reuse,
		MotoPort: opts.MotoPort, SESPort: opts.SESPort,
		Params: map[string]string{"PortalBaseUrl": r.PortalURL},
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	r.Timings["emulators"] = time.Since(t0)
	r.MotoURL, r.MailViewerURL = r.AWS.MotoServer.URL, r.AWS.SESServer.URL
	if err := r.setUp(ctx, ln); err != nil {
		r.Close()
		return nil, err
	}
	if opts.Demo {
		t1 := time.Now()
		if err := r.seedDemo(ctx); err != nil {
			r.Close()
			return nil, err
		}
		r.Timings["demo"] = time.Since(t1)
	}
	r.Timings["total"] = time.Since(t0)
	return r, nil
}

// setUp builds the functions and starts serving and polling.
func (r *Runner) setUp(ctx context.Context, ln net.Listener) error {
	serve := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	stack := r.AWS.Stack
	defs := stack.Functions()
	if err := checkRegistry(defs, r.opts.Functions); err != nil {
		ln.Close()
		return err
	}
	r.clients = app.NewClients(r.AWS.Config, r.AWS.SESConfig)
	fnClients := r.clients
	if r.opts.ClientConfig != nil {
		cfg, sesCfg := r.AWS.Config.Copy(), r.AWS.SESConfig.Copy()
		// Cloned so that appending middleware never writes into the Env's array.
		cfg.APIOptions, sesCfg.APIOptions = slices.Clone(cfg.APIOptions), slices.Clone(sesCfg.APIOptions)
		r.opts.ClientConfig(&cfg)
		r.opts.ClientConfig(&sesCfg)
		fnClients = app.NewClients(cfg, sesCfg)
	}
	r.functions = map[string]*function{}
	for _, id := range slices.Sorted(maps.Keys(defs)) {
		def := defs[id]
		env, err := app.EnvFrom(func(k string) string { return def.Env[k] })
		if err != nil {
			ln.Close()
			return fmt.Errorf("%s: %w", id, err)
		}
		if r.Env.MainTable == "" {
			r.Env = env
		}
		o := app.Options{Now: r.opts.Now, Log: r.functionLogger(id), Sleep: time.Sleep, ReadFacturX: facturx.ReadForIngest}
		if r.opts.Configure != nil {
			r.opts.Configure(id, &o)
		}
		h, err := r.opts.Functions[id].New(env, fnClients, o)
		if err == nil {
			err = checkHandler(h)
		}
		if err != nil {
			ln.Close()
			return fmt.Errorf("%s: %w", id, err)
		}
		fn := &function{id: id, def: def, handler: h, timeout: max(def.Timeout, r.opts.MinTimeout),
			arn: fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s-%s", stack.Region, stack.AccountID, stack.Prefix, id)}
		fn.invoke = fn.call
		if r.opts.Wrap != nil {
			fn.invoke = r.opts.Wrap(id, fn.call)
		}
		r.functions[id] = fn
		for _, rt := range def.HTTP {
			r.routes = append(r.routes, newRoute(fn, rt))
		}
		for _, s := range def.Schedules {
			if s.Disabled {
				continue
			}
			tt, err := parseSchedule(s.Expression, s.Timezone)
			if err != nil {
				ln.Close()
				return fmt.Errorf("%s %s: %w", id, s.Event, err)
			}
			r.schedules = append(r.schedules, scheduled{fn: fn, event: s, when: tt})
		}
	}
	var err error
	if r.ttl, err = r.ttlTables(ctx); err != nil {
		ln.Close()
		return err
	}
	if r.tmp, err = os.MkdirTemp("", "efacture-run-"); err != nil {
		ln.Close()
		return err
	}
	if r.Sample, err = r.writeBillingSample(r.tmp); err != nil {
		ln.Close()
		return err
	}

	// Event sources are built before anything runs, so a bad one fails
	// start-up rather than a goroutine.
	var pollers []func(context.Context)
	for _, id := range slices.Sorted(maps.Keys(r.functions)) {
		fn := r.functions[id]
		for _, src := range fn.def.SQS {
			p := &sqsPoller{r: r, fn: fn, src: src, queueURL: stack.QueueURL(src.QueueID), queueARN: stack.QueueARN(src.QueueID)}
			if p.queueURL == "" {
				ln.Close()
				return fmt.Errorf("%s: queue %s was not provisioned", id, src.QueueID)
			}
			pollers = append(pollers, p.run)
		}
		for _, src := range fn.def.Streams {
			arn := stack.StreamARN(src.TableID)
			reader, err := eventsource.NewStreamReaderAt(r.AWS.Streams, arn, src.StartingPosition)
			if arn == "" || err != nil {
				ln.Close()
				return fmt.Errorf("%s: stream of %s: %v", id, src.TableID, err)
			}
			switch {
			case r.opts.RollbackWindow == 0:
				reader.DetectRollbacks(rollbackWindow)
			case r.opts.RollbackWindow > 0:
				reader.DetectRollbacks(r.opts.RollbackWindow)
			}
			p := &streamPoller{r: r, fn: fn, src: src, streamARN: arn, reader: reader,
				pending: map[string][]events.DynamoDBEventRecord{}, swept: &sweptKeys{}}
			if src.OnFailureQueueID != "" {
				p.failQueue = stack.QueueURL(src.OnFailureQueueID)
			}
			for _, t := range r.ttl {
				if t.id == src.TableID {
					t.swept = append(t.swept, p.swept)
				}
			}
			pollers = append(pollers, p.run)
		}
	}
	for _, s := range r.schedules {
		pollers = append(pollers, func(ctx context.Context) { r.runSchedule(ctx, s) })
	}
	if r.opts.TTLSweepEvery > 0 {
		pollers = append(pollers, func(ctx context.Context) { r.sweepEvery(ctx, r.opts.TTLSweepEvery) })
	}

	bg, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.server = serve
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := serve.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			r.log.Error("portal server", "error", err.Error())
		}
	}()
	for _, run := range pollers {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			run(bg)
		}()
	}
	return nil
}

// ServeHTTP is the portal origin: /api/* through API Gateway's rules to the
// functions, /_local/* the runner's own commands, the rest the frontend.
func (r *Runner) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	p := req.URL.Path
	switch {
	case p == "/api" || strings.HasPrefix(p, "/api/"):
		r.serveAPI(w, req)
	case strings.HasPrefix(p, "/_local/"):
		r.serveLocal(w, req)
	default:
		r.serveWeb(w, req)
	}
}

// rollbackWindow is how many records per shard a stream reader re-reads to
// notice moto's rollbacks (see eventsource.StreamReader.DetectRollbacks).
const rollbackWindow = 200

// closeWait bounds how long Close waits for invocations in flight.
const closeWait = 15 * time.Second

// Close stops serving and polling, lets invocations in flight finish
// (within 15 s), stops the emulators Start started and removes its
// temporary files. Reused emulators keep running, untouched.
func (r *Runner) Close() error {
	r.closeOnce.Do(func() {
		var errs []error
		if r.cancel != nil {
			r.cancel()
		}
		if r.server != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			errs = append(errs, r.server.Shutdown(ctx))
			cancel()
		}
		done := make(chan struct{})
		go func() {
			r.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(closeWait):
			errs = append(errs, errors.New("invocations still running after 15 s"))
		}
		if r.AWS != nil {
			errs = append(errs, r.AWS.Close())
		}
		if r.tmp != "" {
			errs = append(errs, os.RemoveAll(r.tmp))
		}
		r.closeErr = errors.Join(errs...)
	})
	return r.closeErr
}

// invokeAlone invokes fn for an event source (queue, stream, schedule,
// topic) while no other invocation runs. moto rolls a failed transaction
// back by putting back a copy of every table it touched, which erases the
// writes other invocations made meanwhile (a mail marked sent, a session):
// on AWS they would stand. Event sources are asynchronous, so making them
// take turns costs only a little latency.
func (r *Runner) invokeAlone(ctx context.Context, fn *function, payload []byte) ([]byte, error) {
	r.writers.Lock()
	defer r.writers.Unlock()
	return fn.invoke(ctx, payload)
}

// Invoke calls a function of the template synchronously with payload, as
// `aws lambda invoke` would, and returns its answer.
func (r *Runner) Invoke(ctx context.Context, functionID string, payload []byte) ([]byte, error) {
	fn, ok := r.functions[functionID]
	if !ok {
		return nil, fmt.Errorf("no function %s in the template", functionID)
	}
	out, err := r.invokeAlone(ctx, fn, payload)
	r.logInvoke(functionID, "direct invocation", 1, failedIf(err), err)
	return out, err
}

// invokeShared invokes fn for an API request: requests run side by side,
// but never during an event source's invocation (see invokeAlone).
func (r *Runner) invokeShared(ctx context.Context, fn *function, payload []byte) ([]byte, error) {
	r.writers.RLock()
	defer r.writers.RUnlock()
	return fn.invoke(ctx, payload)
}

// functionLogger is a function's JSON logger, as its CloudWatch log group would receive
// it from app.Logger in Lambda: the template's ApplicationLogLevel, Lambda's key names
// and the invocation's request id on every line.
func (r *Runner) functionLogger(id string) *slog.Logger {
	level := slog.LevelInfo
	if r.AWS != nil && r.AWS.Stack != nil {
		level.UnmarshalText([]byte(r.AWS.Stack.Params["ApplicationLogLevel"]))
	}
	h := slog.NewJSONHandler(r.opts.FunctionLogs, &slog.HandlerOptions{Level: level, ReplaceAttr: lambdacontext.ReplaceAttr})
	return slog.New(requestIDHandler{h}).With("function", id)
}

// requestIDHandler adds the request id of the invocation's context, as
// lambdacontext.NewLogHandler does in Lambda, whose output cannot be redirected.
type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, rec slog.Record) error {
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		rec.AddAttrs(slog.String("requestId", lc.AwsRequestID))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// logInvoke records one invocation in the runner's log.
func (r *Runner) logInvoke(fnID, source string, records, failed int, err error) {
	args := []any{"function", fnID, "source", source, "records", records}
	if failed > 0 {
		args = append(args, "failed", failed)
	}
	if err != nil {
		args = append(args, "error", err.Error())
	}
	if failed > 0 || err != nil {
		r.log.Warn("invoke failed", args...)
		return
	}
	r.log.Info("invoke", args...)
}

// MustStart starts a runner for a test on free ports, with its own
// emulators, and closes it when the test ends. The runner's and functions'
// logs are printed only if the test fails.
func MustStart(t testing.TB, opts Options) *Runner {
	t.Helper()
	var logs localaws.SyncBuffer
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(&logs, nil))
	}
	if opts.FunctionLogs == nil {
		opts.FunctionLogs = &logs
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("start the local runner: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("close the local runner: %v", err)
		}
		if t.Failed() {
			t.Logf("runner logs:\n%s", logs.String())
		}
	})
	return r
}
