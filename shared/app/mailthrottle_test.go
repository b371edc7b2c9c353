package app_test

import (
	"context"
	"flag"
	"fmt"
	"math"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/sesfault"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// The throttling run's size. PRODUCT.md §10's case is 1,000 mails during 10 minutes of
// throttling at 50 mails/s: go test ./shared/app -run SESThrottling -args
// -throttle.mails=1000 -throttle.minutes=10 -throttle.rate=50.
var (
	throttleMails   = flag.Int("throttle.mails", 200, "mails due in TestSESThrottlingLosesNothing")
	throttleMinutes = flag.Int("throttle.minutes", 2, "minutes of the injected clock during which SES throttles every send")
	throttleRate    = flag.Int("throttle.rate", 25, "SesMaxSendRate of the run, mails per second")
)

// TestSESThrottlingLosesNothing: SES answers every send with 429 TooManyRequestsException
// for a period while many mails are due; the stream moves on, the re-drive runs every
// minute of the injected clock, two at a time as overlapping schedules would, and at
// the end every mail was sent exactly once, none is dead, none used an attempt, and no
// second of the wall clock saw more sends reach SES than the configured rate
// (PRODUCT.md §10).
func TestSESThrottlingLosesNothing(t *testing.T) {
	n, minutes, rate := *throttleMails, *throttleMinutes, *throttleRate
	p := newPipeline(t)
	proxy, err := sesfault.Start(1)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	if err := proxy.SetUpstream(p.aws.SESServer.URL); err != nil {
		t.Fatal(err)
	}
	sesCfg, err := localaws.SESConfig(context.Background(), proxy.URL())
	if err != nil {
		t.Fatal(err)
	}
	// Due times follow the injected clock, which jumps a minute per re-drive; pacing
	// follows the wall clock, as SES counts, and so does the proxy.
	var offset atomic.Int64
	start := time.Now()
	opts := app.Options{Now: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }}
	env := p.env
	env.SESMaxSendRate = rate
	clients := app.NewClients(p.aws.Config, sesCfg)
	mailer := build[lambdaevents.StreamHandler](t, app.MailerFunction, env, clients, opts)
	redrive := build[lambdaevents.ScheduleHandler](t, app.MailRedriveFunction, env, clients, opts)

	st := app.Store(p.env, p.clients, opts)
	at := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	keys := make([]string, n)
	for i := range n {
		ident := fmt.Sprintf("u%04d", i)
		keys[i] = outbox.PasswordChangedKey(ident, at)
		err := st.PutOutbox(context.Background(), outbox.Record{
			Key: keys[i], Kind: outbox.KindPasswordChanged, Space: "acme", To: ident + "@example.fr", Language: "fr",
			Data: map[string]string{"identifier": ident, "at": at.Format(time.RFC3339)}, CreatedAt: opts.Now(),
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	proxy.Throttling.Store(true)
	handed := 0
	for handed < n {
		recs, err := p.streams.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			t.Fatalf("stream: %d of %d records", handed, n)
		}
		for i := 0; i < len(recs); i += 10 { // the event source's BatchSize
			batch := recs[i:min(i+10, len(recs))]
			if resp, err := mailer(context.Background(), events.DynamoDBEvent{Records: batch}); err != nil || len(resp.BatchItemFailures) != 0 {
				t.Fatalf("mailer: %+v, %v: want the stream to move on", resp, err)
			}
		}
		handed += len(recs)
	}

	runs := 0
	for minute := 1; ; minute++ {
		if minute > minutes {
			proxy.Throttling.Store(false)
		}
		offset.Add(int64(time.Minute))
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := redrive(context.Background(), nil); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		runs += 2
		if minute > minutes && p.pendingMails(keys) == 0 {
			break
		}
		if minute > minutes+20 {
			t.Fatalf("%d mails still pending 20 minutes after the throttling", p.pendingMails(keys))
		}
	}
	elapsed := time.Since(start)

	dead, err := st.DeadRecords(context.Background(), "")
	if err != nil || len(dead) != 0 {
		t.Errorf("dead mails: %d, %v; want none", len(dead), err)
	}
	for _, k := range keys {
		rec := p.item(p.env.OutboxTable, pk(k, ""))
		if rec["status"] != "sent" || rec["attempts"] != float64(0) {
			t.Fatalf("%s: got %v, want sent without an attempt counted", k, rec)
		}
	}
	received := map[string]int{}
	addr := regexp.MustCompile(`u\d{4}@example\.fr`)
	for _, m := range p.mails() {
		for _, to := range m.To {
			received[addr.FindString(to)]++
		}
	}
	lost, duplicated := 0, 0
	for i := range n {
		switch c := received[fmt.Sprintf("u%04d@example.fr", i)]; {
		case c == 0:
			lost++
		case c > 1:
			duplicated += c - 1
		}
	}
	peak, total := 0, 0
	for _, c := range proxy.SendsPerSecond() {
		peak = max(peak, c)
		total += c
	}
	t.Logf("%d mails, SES throttling for %d minutes (%d refusals), %d re-drive runs over %d minutes, %v wall clock: %d lost, %d duplicated, %d dead; peak %d sends/s at SES (rate %d/s), %d sends in %d seconds with sends",
		n, minutes, proxy.Throttled.Load(), runs, runs/2, elapsed.Round(time.Second), lost, duplicated, len(dead), peak, rate, total, len(proxy.SendsPerSecond()))
	if lost != 0 || duplicated != 0 || total != n {
		t.Errorf("got %d lost, %d duplicated, %d sends; want 0, 0, %d", lost, duplicated, total, n)
	}
	// The mailer takes a slot of second N (at most rate per second, atomically), then
	// sends; a send reaches SES within a second of its slot, so a window of k seconds at
	// SES holds sends of k+1 seconds' slots at most: (k+1) × rate. An unpaced burst
	// breaks it at k = 1, and over long windows the bound tends to the rate itself.
	perSecond := proxy.SendsPerSecond()
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	for sec := range perSecond {
		first, last = min(first, sec), max(last, sec)
	}
	for from := first; from <= last; from++ {
		sum := 0
		for k := int64(1); from+k-1 <= last; k++ {
			sum += perSecond[from+k-1]
			if sum > int(k+1)*rate {
				t.Errorf("%d sends in the %d seconds from %d, over (k+1) × rate = %d", sum, k, from, int(k+1)*rate)
			}
		}
	}
	if proxy.Throttled.Load() < int64(n) {
		t.Errorf("SES refused %d sends, want at least one per mail: the throttling did not happen", proxy.Throttled.Load())
	}
}

// pendingMails counts the keys whose record is still pending.
func (p *pipeline) pendingMails(keys []string) int {
	pending := 0
	for _, k := range keys {
		if rec := p.item(p.env.OutboxTable, pk(k, "")); rec["status"] == "pending" {
			pending++
		}
	}
	return pending
}
