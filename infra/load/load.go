package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/runner"
	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/app"
)

// config is one load run.
type config struct {
	companies, documents int // documents per company
	sessions             int // concurrent browsers
	duration             time.Duration
	progress             io.Writer
	functionLogs         io.Writer
}

// account is a login the load uses.
type account struct{ identifier, password string }

// load is a run in progress: the portal, the accounts, the figures.
type load struct {
	cfg      config
	r        *runner.Runner
	accounts []account
	ip       atomic.Uint32
	t0       time.Time
	elapsed  time.Duration // of the sessions

	mu    sync.Mutex
	stats map[string]*routeStats
}

// routeStats are one route's answers.
type routeStats struct {
	times          []time.Duration
	errors, server int
	statuses       map[int]int
}

func (l *load) logf(format string, a ...any) {
	fmt.Fprintf(l.cfg.progress, "load %6.1fs  %s\n", time.Since(l.t0).Seconds(), fmt.Sprintf(format, a...))
}

// run starts the portal, seeds it through the real paths, then runs the sessions.
func run(ctx context.Context, cfg config) (*load, error) {
	l := &load{cfg: cfg, t0: time.Now(), stats: map[string]*routeStats{}}
	if err := localaws.UseMotoFix(); err != nil {
		return nil, err
	}
	startCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var err error
	l.r, err = runner.Start(startCtx, runner.Options{
		Log: slog.New(slog.NewTextHandler(cfg.functionLogs, nil)), FunctionLogs: cfg.functionLogs,
		// As the soak: moto's transactions and streams patched (infra/soak/motofix), so
		// the figures are the portal's, not the cost of moto copying its tables.
		RollbackWindow: -1,
	})
	if err != nil {
		return nil, err
	}
	defer l.r.Close()
	l.logf("portal up at %s", l.r.PortalURL)
	if err := l.seed(ctx); err != nil {
		return nil, err
	}
	l.logf("%d companies, %d documents, %d accounts; %d sessions for %v", cfg.companies, cfg.companies*cfg.documents, len(l.accounts), cfg.sessions, cfg.duration)
	l.t0 = time.Now()
	stop := time.Now().Add(cfg.duration)
	var wg sync.WaitGroup
	for i := range cfg.sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			b := l.browser()
			for time.Now().Before(stop) && ctx.Err() == nil {
				b.visit(l.accounts[rng.IntN(len(l.accounts))], rng)
			}
		}()
	}
	wg.Wait()
	l.elapsed = time.Since(l.t0)
	return l, nil
}

const loadSpace = "acme"

// seed applies a space and a referential, files the documents through the inbox, sets
// each registered admin's password from its activation mail and has it create a user.
func (l *load) seed(ctx context.Context) error {
	root, err := localaws.RepoRoot()
	if err != nil {
		return err
	}
	st := app.Store(l.r.Env, app.NewClients(l.r.AWS.Config, l.r.AWS.SESConfig), app.Options{})
	if _, err := app.ApplySpaces(ctx, st, filepath.Join(root, "infra", "load", "spaces.json")); err != nil {
		return err
	}
	var ref strings.Builder
	ref.WriteString("customer_number,company_name,email,notification\n")
	for c := 1; c <= l.cfg.companies; c++ {
		fmt.Fprintf(&ref, "L%03d,Charge %03d SARL,admin%03d@load.example,none\n", c, c, c)
	}
	if err := l.put(ctx, "inbox/"+loadSpace+"/customers/load.csv", []byte(ref.String()), nil); err != nil {
		return err
	}
	if err := l.waitInbox(ctx); err != nil {
		return err
	}
	today := time.Now().UTC()
	for c := 1; c <= l.cfg.companies; c++ {
		for d := 0; d < l.cfg.documents; d++ {
			number := fmt.Sprintf("L%03d-%04d", c, d)
			inv := samplepdf.Invoice{
				Number: number, Type: samplepdf.TypeInvoice, IssueDate: today.AddDate(0, 0, -3*d-1).Format(time.DateOnly),
				SellerName: "Acme Location SAS", SellerSIREN: "732829320", BuyerName: fmt.Sprintf("Charge %03d SARL", c), Currency: "EUR",
				Lines: []samplepdf.Line{{Description: "Location", Quantity: 1, UnitPriceCents: int64(10000 + d)}},
			}
			pdf, err := samplepdf.Generate(inv)
			if err != nil {
				return err
			}
			meta := map[string]string{"customer-number": fmt.Sprintf("L%03d", c), "document-number": number, "document-type": inv.Type,
				"issue-date": inv.IssueDate, "amount": inv.GrandTotal(), "currency": "EUR"}
			if err := l.put(ctx, "inbox/"+loadSpace+"/documents/"+number+".pdf", pdf, meta); err != nil {
				return err
			}
		}
	}
	if err := l.waitInbox(ctx); err != nil {
		return err
	}
	if err := l.waitMails(ctx); err != nil {
		return err
	}
	mails, err := l.r.AWS.Mails(ctx)
	if err != nil {
		return err
	}
	token := regexp.MustCompile(`/password#token=([A-Za-z0-9_-]{22})`)
	b := l.browser()
	for i, m := range mails {
		t := token.FindStringSubmatch(m.Text)
		if t == nil || !strings.Contains(m.Subject, "Activation") {
			continue
		}
		admin := account{identifier: strings.ToLower(strings.Join(m.To, "")), password: fmt.Sprintf("Charge-Admin-%03d!", i)}
		if _, status, err := b.call(http.MethodPost, "/api/auth/recovery/complete", map[string]string{
			"token": t[1], "identifier": admin.identifier, "password": admin.password, "confirmation": admin.password}); err != nil || status != http.StatusNoContent {
			return fmt.Errorf("set %s's password: %d %v", admin.identifier, status, err)
		}
		if _, status, err := b.call(http.MethodPost, "/api/auth/login", map[string]string{"identifier": admin.identifier, "password": admin.password}); err != nil || status != http.StatusOK {
			return fmt.Errorf("login %s: %d %v", admin.identifier, status, err)
		}
		user := account{identifier: fmt.Sprintf("charge.user%03d", i), password: fmt.Sprintf("Charge-User-%03d!", i)}
		if _, status, err := b.call(http.MethodPost, "/api/admin/users", map[string]any{
			"identifier": user.identifier, "password": user.password, "confirmation": user.password}); err != nil || status != http.StatusCreated {
			return fmt.Errorf("create %s: %d %v", user.identifier, status, err)
		}
		b.call(http.MethodPost, "/api/auth/logout", nil)
		l.accounts = append(l.accounts, admin, user)
	}
	if len(l.accounts) != 2*l.cfg.companies {
		return fmt.Errorf("got %d accounts, want %d", len(l.accounts), 2*l.cfg.companies)
	}
	return nil
}

func (l *load) put(ctx context.Context, key string, body []byte, meta map[string]string) error {
	_, err := l.r.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(l.r.Env.InboxBucket), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: meta})
	return err
}

func (l *load) waitInbox(ctx context.Context) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		out, err := l.r.AWS.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(l.r.Env.InboxBucket), Prefix: aws.String("inbox/"), MaxKeys: aws.Int32(1)})
		if err != nil {
			return err
		}
		if len(out.Contents) == 0 {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("inbox not emptied by ingestion")
}

func (l *load) waitMails(ctx context.Context) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		out, err := l.r.AWS.DynamoDB.Scan(ctx, &dynamodb.ScanInput{
			TableName: aws.String(l.r.Env.OutboxTable), FilterExpression: aws.String("#s = :p"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":p": &ddbtypes.AttributeValueMemberS{Value: "pending"}},
			Select:                    ddbtypes.SelectCount, ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			return err
		}
		if out.Count == 0 {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("activation mails not sent")
}

// browser is one client with its own loopback address and session cookie.
type browser struct {
	l       *load
	hc      *http.Client
	session string
}

func (l *load) browser() *browser {
	n := l.ip.Add(1) + 256
	ip := fmt.Sprintf("127.0.%d.%d", (n>>8)&255, n&255)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &browser{l: l, hc: &http.Client{
		Transport:     &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 2},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       time.Minute,
	}}
}

// call sends one API request as the portal's pages do.
func (b *browser) call(method, path string, body any) (*http.Response, int, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.l.r.PortalURL+path, rd)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", b.l.r.PortalURL)
	}
	if b.session != "" {
		req.AddCookie(&http.Cookie{Name: "__Host-efacture_session", Value: b.session})
	}
	res, err := b.hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	for _, c := range res.Cookies() {
		if c.Name == "__Host-efacture_session" {
			b.session = c.Value
			if c.MaxAge < 0 {
				b.session = ""
			}
		}
	}
	return res, res.StatusCode, nil
}

// timed sends a request, records it under route and returns the decoded JSON answer.
func (b *browser) timed(route string, want int, method, path string, body any) (map[string]any, http.Header) {
	t0 := time.Now()
	res, status, err := b.call(method, path, body)
	var out map[string]any
	var header http.Header
	if err == nil {
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		json.Unmarshal(raw, &out)
		header = res.Header
	}
	b.l.record(route, time.Since(t0), status, want, err)
	return out, header
}

func (l *load) record(route string, d time.Duration, status, want int, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats[route]
	if s == nil {
		s = &routeStats{statuses: map[int]int{}}
		l.stats[route] = s
	}
	s.times = append(s.times, d)
	s.statuses[status]++
	if err != nil || status != want {
		s.errors++
	}
	if status >= 500 {
		s.server++
	}
}

// visit is one user's visit: sign in, look at the profile, list and page, search by
// number, download two documents and fetch one from the archive, sign out.
func (b *browser) visit(a account, rng *rand.Rand) {
	if _, _ = b.timed("POST /api/auth/login", http.StatusOK, http.MethodPost, "/api/auth/login", map[string]string{"identifier": a.identifier, "password": a.password}); b.session == "" {
		return
	}
	b.timed("GET /api/me", http.StatusOK, http.MethodGet, "/api/me", nil)
	page, _ := b.timed("GET /api/documents", http.StatusOK, http.MethodGet, "/api/documents?limit=20", nil)
	var ids []string
	var numbers []string
	collect := func(page map[string]any) {
		items, _ := page["items"].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			if id, ok := m["id"].(string); ok {
				ids = append(ids, id)
				numbers = append(numbers, fmt.Sprint(m["number"]))
			}
		}
	}
	collect(page)
	if next, ok := page["nextCursor"].(string); ok && next != "" {
		p2, _ := b.timed("GET /api/documents", http.StatusOK, http.MethodGet, "/api/documents?limit=20&cursor="+url.QueryEscape(next), nil)
		collect(p2)
	}
	if len(numbers) > 0 {
		n := numbers[rng.IntN(len(numbers))]
		b.timed("GET /api/documents", http.StatusOK, http.MethodGet, "/api/documents?number="+url.QueryEscape(n[:len(n)-2]), nil)
	}
	for i := 0; i < 2 && len(ids) > 0; i++ {
		_, h := b.timed("GET /api/documents/{id}/download", http.StatusFound, http.MethodGet, "/api/documents/"+ids[rng.IntN(len(ids))]+"/download", nil)
		if loc := h.Get("Location"); i == 0 && loc != "" {
			b.fetch(loc)
		}
	}
	b.timed("POST /api/auth/logout", http.StatusNoContent, http.MethodPost, "/api/auth/logout", nil)
}

// fetch downloads a presigned URL from the archive (the emulator), as the browser does
// after the redirect.
func (b *browser) fetch(loc string) {
	t0 := time.Now()
	if localaws.CheckEndpoint(loc) != nil {
		b.l.record("GET presigned archive URL", time.Since(t0), 0, http.StatusOK, fmt.Errorf("not loopback: %s", loc))
		return
	}
	res, err := b.hc.Get(loc)
	status := 0
	if err == nil {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		status = res.StatusCode
	}
	b.l.record("GET presigned archive URL", time.Since(t0), status, http.StatusOK, err)
}

// table renders the figures as a Markdown table, one row per route and a total, and
// returns the count of 5xx answers and of unexpected ones.
func (l *load) table(w io.Writer, elapsed time.Duration) (server, errors int) {
	fmt.Fprintln(w, "| route | requests | req/s | error rate | 5xx | p50 | p95 | p99 |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	routes := make([]string, 0, len(l.stats))
	for r := range l.stats {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	total := 0
	for _, r := range routes {
		s := l.stats[r]
		t := slices.Clone(s.times)
		slices.Sort(t)
		total += len(t)
		server += s.server
		errors += s.errors
		fmt.Fprintf(w, "| `%s` | %d | %.1f | %.2f %% | %d | %v | %v | %v |\n", r, len(t), float64(len(t))/elapsed.Seconds(),
			100*float64(s.errors)/float64(len(t)), s.server, pct(t, 50), pct(t, 95), pct(t, 99))
	}
	fmt.Fprintf(w, "| all | %d | %.1f | %.2f %% | %d | | | |\n", total, float64(total)/elapsed.Seconds(), 100*float64(errors)/float64(max(total, 1)), server)
	return server, errors
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)].Round(time.Millisecond)
}
