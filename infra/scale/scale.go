package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/infra/bench"
	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/runner"
	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/app"
)

// config is one measurement: the sizes and where progress goes.
type config struct {
	rows, documents int
	phaseTimeout    time.Duration // the longest wait for one phase
	progress        io.Writer     // one line per step; never the table
	functionLogs    io.Writer
}

const space = "scale"

// phase is what one step measured. A unit is a referential row or a document.
type phase struct {
	name, unit string
	units      int // rows in the file, or documents dropped
	done       int // rows the report counts as applied or unchanged, or documents filed
	unchanged  int // rows the report counts as unchanged (skipped by their stored hash)
	rejected   int
	report     map[string]any // the referential's report, as written
	wall       time.Duration  // drop to report, or first drop to an empty inbox
	calls      map[string]int // "GetItem main" → calls the functions made
	sent       int            // calls that went over the network (presigns excluded)
	invoked    map[string]invocations
	base, peak uint64 // the process's resident set at the start and its peak, bytes
	mails      int
	attached   int // mails with an attachment
	incomplete string
}

// invocations are one function's invocations during a phase.
type invocations struct {
	n, timeouts   int
	busy, longest time.Duration
	timeout       time.Duration // the template's
}

// result is every phase of a run.
type result struct {
	rows, documents int
	timeouts        map[string]time.Duration
	phases          []*phase
}

// scale is one run in progress.
type scale struct {
	cfg   config
	r     *runner.Runner
	calls *bench.Calls
	t0    time.Time
	mu    sync.Mutex
	inv   map[string]invocations
	res   *result
	mails int // mails in the SES emulator before the phase
	att   int
	filed int // documents filed before the phase
	rej   int // documents rejected before the phase
}

func (s *scale) logf(format string, a ...any) {
	fmt.Fprintf(s.cfg.progress, "scale %7.1fs  %s\n", time.Since(s.t0).Seconds(), fmt.Sprintf(format, a...))
}

// run starts the portal, then measures the referential twice and the documents in two
// waves. It returns what it measured so far even with an error.
func run(ctx context.Context, cfg config) (*result, error) {
	if cfg.rows < cfg.documents/2 {
		return nil, fmt.Errorf("%d rows cannot give %d distinct customers to the first wave", cfg.rows, cfg.documents/2)
	}
	s := &scale{cfg: cfg, t0: time.Now(), inv: map[string]invocations{},
		res: &result{rows: cfg.rows, documents: cfg.documents, timeouts: map[string]time.Duration{}}}
	if err := localaws.UseMotoFix(); err != nil {
		return nil, err
	}
	// The stack's prefix is chosen here so that the recorder knows the tables' names
	// before any function runs (localaws names them {prefix}-{logical id}).
	prefix := fmt.Sprintf("scale%x", time.Now().UnixNano()&0xffffff)
	roles := map[string]string{prefix + "-MainTable": "main", prefix + "-DocumentsTable": "documents", prefix + "-OutboxTable": "outbox"}
	s.calls = bench.NewCalls(roles)
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	var err error
	s.r, err = runner.Start(startCtx, runner.Options{
		Prefix: prefix, Wrap: s.wrap, ClientConfig: s.calls.Install,
		// As the soak: moto's transactions and streams patched (infra/soak/motofix), so
		// the figures are the portal's, not moto copying its tables.
		RollbackWindow: -1,
		Log:            slog.New(slog.NewTextHandler(cfg.functionLogs, nil)), FunctionLogs: cfg.functionLogs,
	})
	cancel()
	if err != nil {
		return nil, err
	}
	defer s.r.Close()
	for _, name := range []string{s.r.Env.MainTable, s.r.Env.DocumentsTable, s.r.Env.OutboxTable} {
		if roles[name] == "" {
			return nil, fmt.Errorf("table %s is not named as expected: calls would not be attributed", name)
		}
	}
	for id, fn := range s.r.AWS.Stack.Functions() {
		s.res.timeouts[id] = fn.Timeout
	}
	s.logf("portal up at %s", s.r.PortalURL)
	if err := s.setUp(ctx); err != nil {
		return nil, err
	}

	// The file waits on disk, not in this process's heap, where it would make the
	// handlers' peak memory (this process's) grow with its size.
	ref, err := writeTemp(referential(cfg.rows))
	if err != nil {
		return nil, err
	}
	defer os.Remove(ref)
	for i, name := range []string{"referential", "referential, unchanged"} {
		p, err := s.referential(ctx, name, fmt.Sprintf("inbox/%s/customers/referential-%d.csv", space, i+1), ref)
		s.res.phases = append(s.res.phases, p)
		if err != nil {
			return s.res, err
		}
		if p.incomplete != "" {
			return s.res, fmt.Errorf("%s: %s", name, p.incomplete)
		}
	}
	half := cfg.documents / 2
	for wave, name := range []string{"documents, first per customer", "documents, second per customer"} {
		n := half
		if wave == 1 {
			n = cfg.documents - half
		}
		p, err := s.documents(ctx, name, wave, n)
		s.res.phases = append(s.res.phases, p)
		if err != nil {
			return s.res, err
		}
		if p.incomplete != "" {
			return s.res, fmt.Errorf("%s: %s", name, p.incomplete)
		}
	}
	return s.res, nil
}

// setUp applies the space.
func (s *scale) setUp(ctx context.Context) error {
	root, err := localaws.RepoRoot()
	if err != nil {
		return err
	}
	st := app.Store(s.r.Env, app.NewClients(s.r.AWS.Config, s.r.AWS.SESConfig), app.Options{})
	_, err = app.ApplySpaces(ctx, st, filepath.Join(root, "infra", "scale", "spaces.json"))
	return err
}

// wrap times every invocation, by function.
func (s *scale) wrap(id string, next runner.Handler) runner.Handler {
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		t := time.Now()
		out, err := next(ctx, payload)
		d := time.Since(t)
		s.mu.Lock()
		v := s.inv[id]
		v.n++
		v.busy += d
		v.longest = max(v.longest, d)
		if err != nil && strings.Contains(err.Error(), "timed out") {
			v.timeouts++
		}
		s.inv[id] = v
		s.mu.Unlock()
		return out, err
	}
}

func (s *scale) timeouts(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inv[id].timeouts
}

// customer is row i of the referential: 3 in 10 are mailed each document with the PDF
// attached (PRODUCT.md §10), the others not mailed per document.
func customer(i int) (number, siren, mode string) {
	mode = "none"
	if i%10 < 3 {
		mode = "attachment"
	}
	return fmt.Sprintf("C%07d", i), fmt.Sprintf("%09d", (int64(i)*7919+300000007)%1000000000), mode
}

// referential is an n-row CSV as billing exports it: `;`-separated, about 100 bytes a
// row, as PRODUCT.md §10 sizes it.
func referential(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 110)
	b.WriteString("customer_number;company_name;siren;email;notification;delivery;language\n")
	forms := []string{"SARL", "SAS", "SA", "EURL"}
	for i := range n {
		number, siren, mode := customer(i)
		lang := "fr"
		if i%7 == 0 {
			lang = "en"
		}
		fmt.Fprintf(&b, "%s;Établissements Martin-Durand %d %s;%s;compta.%s@client-%d.example;%s;electronic;%s\n",
			number, i, forms[i%len(forms)], siren, strings.ToLower(number), i%1000, mode, lang)
	}
	return b.Bytes()
}

// start resets the counters a phase reads: calls, invocations, peak memory.
func (s *scale) start(name, unit string, units int) *phase {
	s.calls.Take()
	s.mu.Lock()
	s.inv = map[string]invocations{}
	s.mu.Unlock()
	p := &phase{name: name, unit: unit, units: units}
	p.base = resetPeak()
	s.logf("%s: %d %ss", name, units, unit)
	return p
}

// finish waits for the portal to settle, then reads the phase's counters.
func (s *scale) finish(ctx context.Context, p *phase) {
	s.settle(ctx)
	s.finishNow(p)
	if mails, err := s.r.AWS.Mails(ctx); err == nil {
		att := 0
		for _, m := range mails {
			if len(m.Attachments) > 0 {
				att++
			}
		}
		p.mails, p.attached = len(mails)-s.mails, att-s.att
		s.mails, s.att = len(mails), att
	}
}

// referential drops the file under key and waits for its report.
func (s *scale) referential(ctx context.Context, name, key, file string) (*phase, error) {
	p := s.start(name, "row", s.cfg.rows)
	t := time.Now()
	f, err := os.Open(file)
	if err != nil {
		return p, err
	}
	_, err = s.r.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.r.Env.InboxBucket), Key: aws.String(key), Body: f})
	f.Close()
	if err != nil {
		return p, err
	}
	// The peak is taken again once the driver's upload is done, so it measures what the
	// handlers hold, not the SDK's buffers for the driver's 10 MB PUT.
	p.base = resetPeak()
	// The report is reports/{space}/{rest}.{timestamp}.report.json (PRODUCT.md §3).
	prefix := "reports/" + strings.TrimPrefix(key, "inbox/") + "."
	deadline := time.Now().Add(s.cfg.phaseTimeout)
	for {
		keys, err := s.list(ctx, s.r.Env.InboxBucket, prefix, 10)
		if err != nil {
			return p, err
		}
		if len(keys) > 0 {
			p.wall = time.Since(t)
			if err := s.readReport(ctx, keys[0], p); err != nil {
				return p, err
			}
			break
		}
		if n := s.timeouts("IngestFunction"); n > 0 {
			// The whole file is retried after the queue's visibility timeout, and times
			// out again: waiting longer shows nothing more.
			p.wall = time.Since(t)
			p.incomplete = fmt.Sprintf("the ingest function timed out (%v) before the report was written", s.res.timeouts["IngestFunction"])
			break
		}
		if time.Now().After(deadline) {
			p.wall = time.Since(t)
			p.incomplete = fmt.Sprintf("no report after %v", s.cfg.phaseTimeout)
			break
		}
		sleep(ctx, 250*time.Millisecond)
		if ctx.Err() != nil {
			return p, ctx.Err()
		}
	}
	if p.incomplete == "" {
		s.finish(ctx, p)
	} else {
		s.finishNow(p)
	}
	s.logf("%s: %d of %d done (%d unchanged) in %v, %d calls", p.name, p.done, p.units, p.unchanged, p.wall.Round(time.Millisecond), p.sent)
	return p, nil
}

// finishNow reads the counters of a phase that did not complete, without waiting.
func (s *scale) finishNow(p *phase) {
	p.peak = status("VmHWM")
	calls, _ := s.calls.Take()
	p.calls = map[string]int{}
	for _, c := range calls {
		p.calls[c.String()]++
	}
	p.sent = bench.CountSent(calls)
	s.mu.Lock()
	p.invoked = s.inv
	s.inv = map[string]invocations{}
	s.mu.Unlock()
	for id, v := range p.invoked {
		v.timeout = s.res.timeouts[id]
		p.invoked[id] = v
	}
}

// readReport reads the counts of a referential's report; fields beyond applied and
// rejected are kept as written, whatever the referential code adds.
func (s *scale) readReport(ctx context.Context, key string, p *phase) error {
	out, err := s.r.AWS.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.r.Env.InboxBucket), Key: aws.String(key)})
	if err != nil {
		return err
	}
	defer out.Body.Close()
	if err := json.NewDecoder(out.Body).Decode(&p.report); err != nil {
		return fmt.Errorf("report %s: %w", key, err)
	}
	num := func(k string) int {
		f, _ := p.report[k].(float64)
		return int(f)
	}
	p.unchanged, p.rejected = num("unchanged"), num("rejected")
	p.done = num("applied") + p.unchanged
	return nil
}

// documents files n documents, one per customer from row 0 on: wave 0 is each
// customer's first document (which activates its registered admin), wave 1 a second.
func (s *scale) documents(ctx context.Context, name string, wave, n int) (*phase, error) {
	type drop struct {
		key  string
		body []byte
		meta map[string]string
	}
	drops := make([]drop, n)
	today := time.Now().UTC()
	for i := range n {
		number, siren, _ := customer(i)
		doc := fmt.Sprintf("F%d-%07d", wave+1, i)
		date := today.AddDate(0, 0, -1-(i%20)).Format(time.DateOnly)
		inv := samplepdf.Invoice{
			Number: doc, Type: samplepdf.TypeInvoice, IssueDate: date, SellerName: "Scale Location SAS", SellerSIREN: "732829320",
			BuyerName: "Établissements Martin-Durand " + strconv.Itoa(i), BuyerSIREN: siren, Currency: "EUR",
			Lines: []samplepdf.Line{{Description: "Location mensuelle", Quantity: int64(1 + i%4), UnitPriceCents: int64(12000 + i%5000)}},
		}
		if i%10 == 5 { // some billing systems embed Factur-X
			inv.FacturX = samplepdf.ProfileEN16931
		}
		body, err := samplepdf.Generate(inv)
		if err != nil {
			return nil, err
		}
		drops[i] = drop{
			key: fmt.Sprintf("inbox/%s/documents/%s/%s.pdf", space, date[:7], doc), body: body,
			meta: map[string]string{"customer-number": number, "document-number": doc, "document-type": inv.Type,
				"issue-date": date, "amount": inv.GrandTotal(), "currency": "EUR"},
		}
	}
	p := s.start(name, "document", n)
	t := time.Now()
	var next atomic.Int64
	errs := make(chan error, 4)
	var wg sync.WaitGroup
	for range 4 { // billing's writers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				if err := s.put(ctx, drops[i].key, drops[i].body, drops[i].meta); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return p, err
	}
	drops = nil
	deadline := time.Now().Add(s.cfg.phaseTimeout)
	for {
		left, err := s.list(ctx, s.r.Env.InboxBucket, "inbox/"+space+"/documents/", 1)
		if err != nil {
			return p, err
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			p.incomplete = fmt.Sprintf("documents still in the inbox after %v", s.cfg.phaseTimeout)
			break
		}
		sleep(ctx, 250*time.Millisecond)
		if ctx.Err() != nil {
			return p, ctx.Err()
		}
	}
	p.wall = time.Since(t)
	s.finish(ctx, p)
	filed, err := s.count(ctx, s.r.Env.DocumentsTable)
	if err != nil {
		return p, err
	}
	p.done, s.filed = filed-s.filed, filed
	rejected, err := s.list(ctx, s.r.Env.InboxBucket, "rejected/"+space+"/documents/", 0)
	if err != nil {
		return p, err
	}
	rej := 0
	for _, k := range rejected {
		if strings.HasSuffix(k, ".pdf") {
			rej++
		}
	}
	p.rejected, s.rej = rej-s.rej, rej
	s.logf("%s: %d of %d filed in %v, %d mails, %d calls", p.name, p.done, p.units, p.wall.Round(time.Millisecond), p.mails, p.sent)
	return p, nil
}

// settle waits until the ingest queue is empty and no mail is pending, three polls in a
// row, so that a phase's calls include the mails it caused.
func (s *scale) settle(ctx context.Context) {
	quiet := 0
	deadline := time.Now().Add(s.cfg.phaseTimeout)
	for ctx.Err() == nil && time.Now().Before(deadline) {
		if s.r.AWS.QueueDepth(ctx, s.r.AWS.Stack.QueueURL("IngestQueue")) > 0 || s.r.AWS.PendingMails(ctx, s.r.Env.OutboxTable) > 0 {
			quiet = 0
		} else if quiet++; quiet >= 3 {
			return
		}
		sleep(ctx, 500*time.Millisecond)
	}
}

// count returns the items of table.
func (s *scale) count(ctx context.Context, table string) (int, error) {
	n := 0
	p := dynamodb.NewScanPaginator(s.r.AWS.DynamoDB, &dynamodb.ScanInput{TableName: aws.String(table), Select: ddbtypes.SelectCount, ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		n += int(page.Count)
	}
	return n, nil
}

func (s *scale) put(ctx context.Context, key string, body []byte, meta map[string]string) error {
	_, err := s.r.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.r.Env.InboxBucket), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: meta})
	return err
}

// list returns the keys below prefix, at most limit of them (0: all).
func (s *scale) list(ctx context.Context, bucket, prefix string, limit int) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(s.r.AWS.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			out = append(out, aws.ToString(o.Key))
			if limit > 0 && len(out) >= limit {
				return out, nil
			}
		}
	}
	return out, nil
}

// resetPeak returns the heap to the system and resets the process's peak resident set
// (VmHWM) to its current size, which it returns: the handlers run in this process.
func resetPeak() uint64 {
	debug.FreeOSMemory()
	// "5" resets the peak resident set size (Linux only; elsewhere both read 0).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	return status("VmRSS")
}

// status reads a size field of /proc/self/status, in bytes.
func status(field string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// writeTemp writes body to a temporary file and returns its name.
func writeTemp(body []byte) (string, error) {
	f, err := os.CreateTemp("", "efacture-scale-*.csv")
	if err != nil {
		return "", err
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), f.Close()
}
