package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/runner"
	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/infra/local/sesfault"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/service/delivery"
	"github.com/efacture/efacture/shared/service/digest"
	"github.com/efacture/efacture/shared/service/ingest"
)

// config is one soak: how much to drop and which faults to inject when.
type config struct {
	documents, customers int
	// The SES fault proxy fails for sesOutage from sesAfter; moto is paused (SIGSTOP) for
	// pause from pauseAfter; both are counted from the first drop.
	sesAfter, sesOutage time.Duration
	pauseAfter, pause   time.Duration
	ingestCrashes       int // times the ingest handler crashes mid-batch, after a filing
	mailerCrashes       int // times the mailer crashes between a send and its record
	visibility          time.Duration
	copyDelay           time.Duration // the longest delay of an S3 event's second delivery
	deadline            time.Duration // the whole run, start-up included
	seed                uint64
	progress            io.Writer // one line per step; never the summary
	functionLogs        io.Writer
}

// report is what a soak found.
type report struct {
	dropped, archived, rejected, docsLost, docsDuplicated int
	due, sent, dead, mailsLost, mailsDuplicated           int
	// sendFaults are the faults injected between a send and its record: mailer crashes
	// after a send, and answers of accepted mails the proxy lost. Each may repeat a mail.
	sendFaults int
	// problems are departures from the expected outcome besides the counts.
	problems []string
}

// line is the soak's one line of output.
func (r report) line() string {
	return fmt.Sprintf("documents: %d dropped, %d archived, %d rejected, %d lost, %d duplicated; mails: %d due, %d sent, %d dead-lettered, %d lost, %d duplicated",
		r.dropped, r.archived, r.rejected, r.docsLost, r.docsDuplicated, r.due, r.sent, r.dead, r.mailsLost, r.mailsDuplicated)
}

// verdict is nil when the soak met its bars: no document lost or duplicated, no mail
// lost, no more repeated mails than faults injected between a send and its record.
func (r report) verdict() error {
	var errs []error
	if r.docsLost > 0 || r.docsDuplicated > 0 {
		errs = append(errs, fmt.Errorf("%d documents lost, %d duplicated", r.docsLost, r.docsDuplicated))
	}
	if r.mailsLost > 0 {
		errs = append(errs, fmt.Errorf("%d mails lost", r.mailsLost))
	}
	if r.mailsDuplicated > r.sendFaults {
		errs = append(errs, fmt.Errorf("%d mails repeated, more than the %d faults between a send and its record", r.mailsDuplicated, r.sendFaults))
	}
	for _, p := range r.problems {
		errs = append(errs, errors.New(p))
	}
	return errors.Join(errs...)
}

const space = "soak"

// base is the functions' clock at start: 10:00 in Paris, far from the space's digest
// hour (18:00), on a fixed day so every run files the same dates.
var base = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// clock is the functions' time: real time shifted; the soak moves it to the digest hour.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time  { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) set(t time.Time) { c.offset.Store(int64(time.Until(t))) }

// soak is one run in progress.
type soak struct {
	cfg      config
	r        *runner.Runner
	clock    *clock
	proxy    *sesfault.Proxy
	t0       time.Time
	rngMu    sync.Mutex
	rng      *rand.Rand
	filings  atomic.Int64
	sends    atomic.Int64
	crashes  struct{ ingest, mailer atomic.Int64 }
	copies   sync.Map // original message id → true once its copy is queued
	copied   atomic.Int64
	queueURL atomic.Pointer[string]
	docs     []dropDoc
	custs    []customer
}

type customer struct {
	number, email, mode, lang string
	paper                     bool
}

type dropDoc struct {
	cust         *customer
	number, date string
	key          string
	body         []byte
	meta         map[string]string
	reject       string // the rejection code it must get, "" for a good document
}

func (s *soak) logf(format string, a ...any) {
	fmt.Fprintf(s.cfg.progress, "soak %6.1fs  %s\n", time.Since(s.t0).Seconds(), fmt.Sprintf(format, a...))
}

func (s *soak) intn(n int) int {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.IntN(n)
}

// run performs one soak and counts what came out.
func run(ctx context.Context, cfg config) (report, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.deadline)
	defer cancel()
	s := &soak{cfg: cfg, clock: &clock{}, t0: time.Now(), rng: rand.New(rand.NewPCG(cfg.seed, 7))}
	s.clock.set(base)
	if err := localaws.UseMotoFix(); err != nil {
		return report{}, err
	}
	var err error
	if s.proxy, err = sesfault.Start(cfg.seed); err != nil {
		return report{}, err
	}
	defer s.proxy.Close()

	reg := maps.Clone(runner.Functions)
	reg["IngestFunction"] = runner.Function{New: s.newIngest}
	reg["MailerFunction"] = runner.Function{New: s.viaProxy(app.MailerFunction)}
	reg["MailRedriveFunction"] = runner.Function{New: s.viaProxy(app.MailRedriveFunction)}
	startCtx, cancelStart := context.WithTimeout(ctx, 2*time.Minute)
	s.r, err = runner.Start(startCtx, runner.Options{
		Now: s.clock.now, Functions: reg, Wrap: s.wrap,
		// motofix keeps moto from rewriting its streams, so the readers need not re-read
		// them, which would cost moto more than the whole run's work.
		RollbackWindow: -1,
		Log:            slog.New(slog.NewTextHandler(cfg.functionLogs, nil)), FunctionLogs: cfg.functionLogs,
	})
	cancelStart()
	if err != nil {
		return report{}, err
	}
	defer s.r.Close()
	s.logf("portal up at %s (emulators %v)", s.r.PortalURL, s.r.Timings["emulators"].Round(time.Millisecond))
	if err := s.setUp(ctx); err != nil {
		return report{}, err
	}
	if err := s.ingestAll(ctx); err != nil {
		return report{}, err
	}
	s.settle(ctx, "documents")
	// The digest: the clock jumps to the space's digest hour and the schedule fires.
	s.clock.set(time.Date(2026, 11, 26, 17, 0, 30, 0, time.UTC))
	if ctx.Err() == nil {
		if _, err := s.r.FireSchedules(ctx); err != nil {
			s.logf("digest: %v", err)
		}
	}
	s.settle(ctx, "digest")
	// Counting gets its own time: past the deadline, what is undone counts as lost.
	countCtx, cancelCount := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancelCount()
	return s.count(countCtx)
}

// setUp applies the space, shortens the ingest queue's visibility timeout so failed
// batches come back within the run (360 s in the template: the behaviour is the same,
// the wait shorter), and applies the referential.
func (s *soak) setUp(ctx context.Context) error {
	if err := s.proxy.SetUpstream(s.r.AWS.SESServer.URL); err != nil {
		return err
	}
	st := app.Store(s.r.Env, app.NewClients(s.r.AWS.Config, s.r.AWS.SESConfig), app.Options{Now: s.clock.now})
	if _, err := app.ApplySpaces(ctx, st, filepath.Join(localawsRoot(), "infra", "soak", "spaces.json")); err != nil {
		return err
	}
	url := s.r.AWS.Stack.QueueURL("IngestQueue")
	if _, err := s.r.AWS.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: &url, Attributes: map[string]string{
		string(sqstypes.QueueAttributeNameVisibilityTimeout): strconv.Itoa(int(s.cfg.visibility.Seconds())),
	}}); err != nil {
		return err
	}
	s.queueURL.Store(&url)

	modes := []string{"none", "attachment", "link", "digest"}
	var ref strings.Builder
	ref.WriteString("customer_number;company_name;email;notification;delivery;language\n")
	for i := 1; i <= s.cfg.customers; i++ {
		c := customer{number: fmt.Sprintf("C%03d", i), mode: modes[i%len(modes)], paper: i%5 == 0, lang: "fr"}
		c.email = strings.ToLower(c.number) + "@soak.example"
		if i%3 == 0 {
			c.lang = "en"
		}
		delivery := "electronic"
		if c.paper {
			delivery = "paper"
		}
		fmt.Fprintf(&ref, "%s;Client %s;%s;%s;%s;%s\n", c.number, c.number, c.email, c.mode, delivery, c.lang)
		s.custs = append(s.custs, c)
	}
	key := "inbox/" + space + "/customers/referential.csv"
	if err := s.put(ctx, key, []byte(ref.String()), nil); err != nil {
		return err
	}
	if err := s.waitGone(ctx, []string{key}, time.Minute); err != nil {
		return fmt.Errorf("referential: %w", err)
	}
	s.logf("space and %d customers applied", s.cfg.customers)
	return s.render()
}

// render draws every document before the drops start: 1 in 25 is bad on purpose (a
// future date, or not a PDF), 1 in 10 carries Factur-X XML.
func (s *soak) render() error {
	for i := 0; i < s.cfg.documents; i++ {
		c := &s.custs[i%len(s.custs)]
		d := dropDoc{cust: c, number: fmt.Sprintf("S-%s-%04d", c.number, i)}
		d.date = base.AddDate(0, 0, -(i*7)%60).Format(time.DateOnly)
		if i%50 == 7 {
			d.date, d.reject = base.AddDate(0, 0, 2).Format(time.DateOnly), "future_date"
		}
		inv := samplepdf.Invoice{
			Number: d.number, Type: samplepdf.TypeInvoice, IssueDate: d.date, SellerName: "Soak Location SAS", SellerSIREN: "732829320",
			BuyerName: "Client " + c.number, Currency: "EUR",
			Lines: []samplepdf.Line{{Description: "Location", Quantity: int64(1 + i%4), UnitPriceCents: int64(5000 + i)}},
		}
		if i%10 == 3 {
			inv.FacturX = samplepdf.ProfileEN16931
		}
		var err error
		if d.body, err = samplepdf.Generate(inv); err != nil {
			return err
		}
		if i%50 == 23 {
			d.body, d.reject = []byte("this is not a PDF\n"), "not_pdf"
		}
		d.meta = map[string]string{
			"customer-number": c.number, "document-number": d.number, "document-type": inv.Type,
			"issue-date": d.date, "amount": inv.GrandTotal(), "currency": "EUR",
		}
		d.key = "inbox/" + space + "/documents/" + d.date[:7] + "/" + d.number + ".pdf"
		s.docs = append(s.docs, d)
	}
	return nil
}

// ingestAll drops the documents in random order from four writers while the faults run.
func (s *soak) ingestAll(ctx context.Context) error {
	s.t0 = time.Now()
	order := make([]int, len(s.docs))
	for i := range order {
		order[i] = i
	}
	s.rngMu.Lock()
	s.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	s.rngMu.Unlock()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.sesFault(ctx) }()
	go func() { defer wg.Done(); s.motoFault(ctx) }()

	next := atomic.Int64{}
	errs := make(chan error, 4)
	var writers sync.WaitGroup
	for range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := next.Add(1) - 1; int(i) < len(order); i = next.Add(1) - 1 {
				d := s.docs[order[i]]
				if err := s.put(ctx, d.key, d.body, d.meta); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	writers.Wait()
	close(errs)
	s.logf("%d documents dropped", len(s.docs))
	wg.Wait()
	return <-errs
}

func (s *soak) sesFault(ctx context.Context) {
	if s.cfg.sesOutage <= 0 {
		return
	}
	sleepCtx(ctx, s.cfg.sesAfter-time.Since(s.t0))
	s.proxy.Failing.Store(true)
	s.logf("SES fails (fault proxy) for %v", s.cfg.sesOutage)
	sleepCtx(ctx, s.cfg.sesOutage)
	s.proxy.Failing.Store(false)
	s.logf("SES answers again: %d × 503, %d resets, %d accepted mails whose answer was lost",
		s.proxy.Unavailable.Load(), s.proxy.Resets.Load(), s.proxy.LostAnswers.Load())
}

func (s *soak) motoFault(ctx context.Context) {
	if s.cfg.pause <= 0 {
		return
	}
	sleepCtx(ctx, s.cfg.pauseAfter-time.Since(s.t0))
	if err := s.r.AWS.MotoServer.Pause(); err != nil {
		s.logf("pause moto: %v", err)
		return
	}
	s.logf("moto paused (SIGSTOP) for %v", s.cfg.pause)
	sleepCtx(ctx, s.cfg.pause)
	if err := s.r.AWS.MotoServer.Resume(); err != nil {
		s.logf("resume moto: %v", err)
	}
	s.logf("moto resumed")
}

// crashDue spreads n crashes over about total events: the k-th falls on event
// (2k+1)·total/(2n), so a run with fewer events still sees them.
func crashDue(event int64, n, total int) bool {
	if n <= 0 {
		return false
	}
	for k := 0; k < n; k++ {
		if event == int64((2*k+1)*total/(2*n)) {
			return true
		}
	}
	return false
}

// crashingStore crashes the ingest handler right after a document's transaction, before
// the inbox object is deleted and before the rest of the batch: the redelivered batch
// must file nothing twice.
type crashingStore struct {
	ingest.Store
	s *soak
}

func (c crashingStore) File(ctx context.Context, req ingest.FileRequest) (bool, error) {
	created, err := c.Store.File(ctx, req)
	if err == nil && created {
		n := c.s.filings.Add(1)
		if int(c.s.crashes.ingest.Load()) < c.s.cfg.ingestCrashes && crashDue(n, c.s.cfg.ingestCrashes, c.s.cfg.documents) {
			c.s.crashes.ingest.Add(1)
			c.s.logf("ingest handler crashes after filing %s (crash %d)", req.Document.Number, c.s.crashes.ingest.Load())
			panic("soak: ingest crash mid-batch")
		}
	}
	return created, err
}

func (s *soak) newIngest(e app.Env, c app.Clients, o app.Options) (any, error) {
	o.Ingest = func(svc *ingest.Service) { svc.Store = crashingStore{Store: svc.Store, s: s} }
	return app.IngestFunction(e, c, o)
}

// crashingSender crashes the mailer after SES accepted a mail and before the record
// says so.
type crashingSender struct {
	delivery.Sender
	s *soak
}

func (c crashingSender) Send(ctx context.Context, to string, raw []byte) error {
	if err := c.Sender.Send(ctx, to, raw); err != nil {
		return err
	}
	n := c.s.sends.Add(1)
	if int(c.s.crashes.mailer.Load()) < c.s.cfg.mailerCrashes && crashDue(n, c.s.cfg.mailerCrashes, c.s.cfg.documents/2) {
		c.s.crashes.mailer.Add(1)
		c.s.logf("mailer crashes between a send and its record (crash %d)", c.s.crashes.mailer.Load())
		panic("soak: mailer crash after send")
	}
	return nil
}

// viaProxy builds a sending function (the mailer, the mail re-drive) with its SES
// client pointed at the fault proxy.
func (s *soak) viaProxy(build app.Constructor) app.Constructor {
	return func(e app.Env, c app.Clients, o app.Options) (any, error) {
		cfg, err := localaws.SESConfig(context.Background(), s.proxy.URL())
		if err != nil {
			return nil, err
		}
		c.SES = sesv2.NewFromConfig(cfg)
		o.Delivery = func(svc *delivery.Service) { svc.Sender = crashingSender{Sender: svc.Sender, s: s} }
		return build(e, c, o)
	}
}

// wrap delivers every S3 event twice: the first time the ingest function sees a
// message, a copy goes back to the queue with a random delay (up to copyDelay), and every
// batch is shuffled, so copies and originals arrive in random order.
func (s *soak) wrap(id string, next runner.Handler) runner.Handler {
	if id != "IngestFunction" {
		return next
	}
	return func(ctx context.Context, payload []byte) ([]byte, error) {
		var ev events.SQSEvent
		url := s.queueURL.Load()
		if url == nil || json.Unmarshal(payload, &ev) != nil {
			return next(ctx, payload)
		}
		var copies []sqstypes.SendMessageBatchRequestEntry
		for _, m := range ev.Records {
			if _, isCopy := m.MessageAttributes["soak-copy"]; isCopy {
				continue
			}
			if _, done := s.copies.LoadOrStore(m.MessageId, true); done {
				continue
			}
			copies = append(copies, sqstypes.SendMessageBatchRequestEntry{
				Id: aws.String(strconv.Itoa(len(copies))), MessageBody: aws.String(m.Body),
				DelaySeconds:      int32(s.intn(int(s.cfg.copyDelay.Seconds()) + 1)),
				MessageAttributes: map[string]sqstypes.MessageAttributeValue{"soak-copy": {DataType: aws.String("String"), StringValue: aws.String(m.MessageId)}},
			})
		}
		if len(copies) > 0 {
			out, err := s.r.AWS.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: url, Entries: copies})
			failed := map[string]bool{}
			if err == nil {
				for _, f := range out.Failed {
					failed[aws.ToString(f.Id)] = true
				}
			}
			for _, c := range copies {
				if err != nil || failed[aws.ToString(c.Id)] {
					s.copies.Delete(*c.MessageAttributes["soak-copy"].StringValue) // copied when it comes back
					continue
				}
				s.copied.Add(1)
			}
		}
		s.rngMu.Lock()
		s.rng.Shuffle(len(ev.Records), func(i, j int) { ev.Records[i], ev.Records[j] = ev.Records[j], ev.Records[i] })
		s.rngMu.Unlock()
		shuffled, err := json.Marshal(ev)
		if err != nil {
			return nil, err
		}
		return next(ctx, shuffled)
	}
}

// settle waits until ingestion and the mailer have nothing left: the queue empty (no
// copy still delayed), no mail pending, the faults over; or until the run's deadline,
// leaving what is undone to be counted as lost. The outbox is counted only once the
// queue is empty: a scan costs the emulator more than a queue's attributes.
func (s *soak) settle(ctx context.Context, what string) {
	quiet := 0
	for ctx.Err() == nil {
		busy := s.proxy.Failing.Load() || s.r.AWS.QueueDepth(ctx, *s.queueURL.Load()) > 0 || s.r.AWS.PendingMails(ctx, s.r.Env.OutboxTable) > 0
		if busy {
			quiet = 0
		} else {
			quiet++
		}
		if quiet >= 3 {
			s.logf("%s settled", what)
			return
		}
		sleepCtx(ctx, 2*time.Second)
	}
	s.logf("%s: deadline reached before everything settled", what)
}

func (s *soak) put(ctx context.Context, key string, body []byte, meta map[string]string) error {
	_, err := s.r.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.r.Env.InboxBucket), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: meta})
	return err
}

// waitGone waits until ingestion took keys out of the inbox.
func (s *soak) waitGone(ctx context.Context, keys []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		left := 0
		for _, k := range keys {
			if _, err := s.r.AWS.S3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.r.Env.InboxBucket), Key: aws.String(k)}); err == nil {
				left++
			}
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d files still in the inbox after %v", left, timeout)
		}
		sleepCtx(ctx, 200*time.Millisecond)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// count compares what came out with what went in.
func (s *soak) count(ctx context.Context) (report, error) {
	var rep report
	rep.dropped = len(s.docs)
	records, err := s.scan(ctx, s.r.Env.DocumentsTable)
	if err != nil {
		return rep, err
	}
	archiveKeys, err := s.list(ctx, s.r.Env.ArchiveBucket, "documents/"+space+"/")
	if err != nil {
		return rep, err
	}
	rejectedKeys, err := s.list(ctx, s.r.Env.InboxBucket, "rejected/"+space+"/")
	if err != nil {
		return rep, err
	}
	inArchive := map[string]bool{}
	for _, k := range archiveKeys {
		inArchive[k] = true
	}
	filed := map[string]int{} // number → records whose archived PDF exists
	for _, it := range records {
		if inArchive[str(it, "archiveKey")] {
			filed[str(it, "number")]++
		}
	}
	rejected := map[string]int{}
	for _, k := range rejectedKeys {
		if strings.HasSuffix(k, ".pdf") {
			rejected[strings.TrimSuffix(k[strings.LastIndexByte(k, '/')+1:], ".pdf")]++
		}
	}
	archivedBy := map[string]int{} // customer → filed documents
	for _, d := range s.docs {
		f, r := filed[d.number], rejected[d.number]
		switch {
		case f+r == 0:
			rep.docsLost++
		case f+r > 1:
			rep.docsDuplicated += f + r - 1
		}
		if f > 0 {
			rep.archived++
			archivedBy[d.cust.number]++
		}
		if r > 0 {
			rep.rejected++
		}
		if d.reject != "" && r == 0 {
			rep.problems = append(rep.problems, fmt.Sprintf("%s was not rejected (%s expected)", d.number, d.reject))
		}
		if d.reject != "" && r > 0 {
			if code := s.rejectionCode(ctx, d); code != d.reject {
				rep.problems = append(rep.problems, fmt.Sprintf("%s was rejected as %q, want %q", d.number, code, d.reject))
			}
		}
		if d.reject == "" && f == 0 && r > 0 {
			rep.problems = append(rep.problems, fmt.Sprintf("%s was rejected", d.number))
		}
	}
	if len(records) != rep.archived {
		rep.problems = append(rep.problems, fmt.Sprintf("%d document records for %d archived documents", len(records), rep.archived))
	}

	outbox, err := s.scan(ctx, s.r.Env.OutboxTable)
	if err != nil {
		return rep, err
	}
	status := map[string]string{}
	for _, it := range outbox {
		status[str(it, "pk")] = str(it, "status")
	}
	mails, err := s.r.AWS.Mails(ctx)
	if err != nil {
		return rep, err
	}
	due := s.dueMails(archivedBy)
	seen := map[string]int{}
	digests := map[string][]string{} // customer address → the documents each digest mail lists
	for _, m := range mails {
		to := strings.ToLower(strings.Join(m.To, ","))
		switch {
		case strings.Contains(m.Subject, "Activation"):
			seen["activation "+to]++
		case linkPattern.MatchString(m.Text):
			numbers := numberPattern.FindAllString(m.Text, -1)
			sort.Strings(numbers)
			digests[to] = append(digests[to], strings.Join(numbers, " "))
		case numberPattern.MatchString(m.Subject):
			seen["notify "+numberPattern.FindString(m.Subject)]++
		default:
			rep.problems = append(rep.problems, fmt.Sprintf("unexpected mail %q to %v", m.Subject, m.To))
		}
	}
	for key, outboxKey := range due {
		rep.due++
		switch n := seen[key]; {
		case n > 0:
			rep.sent++
			rep.mailsDuplicated += n - 1
		case status[outboxKey] == "dead":
			rep.dead++
		default:
			rep.mailsLost++
		}
	}
	for key := range seen {
		if _, ok := due[key]; !ok {
			rep.problems = append(rep.problems, "mail sent that was not due: "+key)
		}
	}
	s.countDigests(&rep, archivedBy, digests, status)
	rep.sendFaults = int(s.crashes.mailer.Load() + s.proxy.LostAnswers.Load())
	s.logf("S3 events copied: %d; ingest crashes %d, mailer crashes %d, SES answers lost %d",
		s.copied.Load(), s.crashes.ingest.Load(), s.crashes.mailer.Load(), s.proxy.LostAnswers.Load())
	return rep, nil
}

// dueMails are the activation and notification mails the run must send, by a key of
// their content, with the outbox key each is recorded under: one activation per
// customer with a filed document, a notification per filed document of the attachment
// and link customers.
func (s *soak) dueMails(archivedBy map[string]int) map[string]string {
	due := map[string]string{}
	for i := range s.custs {
		if c := &s.custs[i]; archivedBy[c.number] > 0 {
			due["activation "+c.email] = "activation#" + c.email
		}
	}
	for _, d := range s.docs {
		if d.reject == "" && (d.cust.mode == "attachment" || d.cust.mode == "link") {
			due["notify "+d.number] = "notify#" + space + "#" + d.cust.number + "#" + d.number
		}
	}
	return due
}

// countDigests adds the digest mails: a digest customer is due one mail per MaxPerMail
// filed documents, each document listed once. A digest mail is told apart by the
// documents it lists, so the same list twice is a repeated mail.
func (s *soak) countDigests(rep *report, archivedBy map[string]int, got map[string][]string, status map[string]string) {
	for i := range s.custs {
		c := &s.custs[i]
		n := archivedBy[c.number]
		if c.mode != "digest" || n == 0 {
			continue
		}
		parts := (n + digest.MaxPerMail - 1) / digest.MaxPerMail
		distinct := map[string]bool{}
		listed := map[string]int{}
		for _, numbers := range got[c.email] {
			if !distinct[numbers] {
				for _, num := range strings.Fields(numbers) {
					listed[num]++
				}
			}
			distinct[numbers] = true
		}
		sent := min(len(distinct), parts)
		dead := 0
		for k, st := range status {
			if strings.HasPrefix(k, "digest#"+space+"#"+c.number+"#") && st == "dead" {
				dead++
			}
		}
		dead = min(dead, parts-sent)
		rep.due += parts
		rep.sent += sent
		rep.dead += dead
		rep.mailsLost += parts - sent - dead
		rep.mailsDuplicated += len(got[c.email]) - len(distinct)
		if sent == parts {
			for _, d := range s.docs {
				if d.cust == c && d.reject == "" && listed[d.number] != 1 {
					rep.problems = append(rep.problems, fmt.Sprintf("%s is listed %d times in %s's digests", d.number, listed[d.number], c.number))
				}
			}
		}
	}
}

var (
	numberPattern = regexp.MustCompile(`S-C\d{3}-\d{4}`)
	linkPattern   = regexp.MustCompile(`/[a-z0-9-]+/link#token=[A-Za-z0-9_-]{22}`)
)

// rejectionCode reads the code of a rejected document's .error.json.
func (s *soak) rejectionCode(ctx context.Context, d dropDoc) string {
	key := "rejected/" + strings.TrimPrefix(d.key, "inbox/") + ".error.json"
	out, err := s.r.AWS.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.r.Env.InboxBucket), Key: aws.String(key)})
	if err != nil {
		return "no " + key
	}
	defer out.Body.Close()
	var e struct {
		Code string `json:"code"`
	}
	if err := json.NewDecoder(out.Body).Decode(&e); err != nil {
		return "unreadable " + key
	}
	return e.Code
}

func (s *soak) scan(ctx context.Context, table string) ([]map[string]ddbtypes.AttributeValue, error) {
	var out []map[string]ddbtypes.AttributeValue
	p := dynamodb.NewScanPaginator(s.r.AWS.DynamoDB, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
	}
	return out, nil
}

func (s *soak) list(ctx context.Context, bucket, prefix string) ([]string, error) {
	var out []string
	p := s3.NewListObjectsV2Paginator(s.r.AWS.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Contents {
			out = append(out, aws.ToString(o.Key))
		}
	}
	return out, nil
}

func str(item map[string]ddbtypes.AttributeValue, k string) string {
	if v, ok := item[k].(*ddbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func localawsRoot() string {
	root, err := localaws.RepoRoot()
	if err != nil {
		return "."
	}
	return root
}
