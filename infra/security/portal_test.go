package security

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/runner"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/service/exports"
	"github.com/efacture/efacture/shared/transport/httpapi"
)

// limits are the suite's thresholds (PRODUCT.md §6 lets tests set their own): 5 failures per
// account and 20 per client, the recovery and link limits as specified.
var limits = ratelimit.Limits{
	LoginFailuresPerClient: ratelimit.Limit{Max: 20, Window: 10 * time.Minute},
	RecoveryPerAddress:     ratelimit.Limit{Max: 5, Window: time.Hour},
	RecoveryPerClient:      ratelimit.Limit{Max: 20, Window: time.Hour},
	LinkUsesPerToken:       ratelimit.Limit{Max: 20, Window: time.Hour},
	LockAfter:              5,
	LockFirst:              time.Minute,
	LockMax:                15 * time.Minute,
}

// exportLimits lift the cap on pending exports (PRODUCT.md §10): the matrix has every
// actor ask for exports faster than the runner builds them, and the cap has its own tests
// in shared/app.
var exportLimits = func() exports.Limits {
	l := exports.DefaultLimits()
	l.MaxPending = 1000
	return l
}()

// suite is the portal every test of the package shares; TestMain starts it on first use
// and stops it at the end.
var (
	suite     *portal
	suiteErr  error
	suiteOnce sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if suite != nil {
		if code != 0 {
			fmt.Fprintf(os.Stderr, "portal logs (last 200 lines):\n%s\n", tail(suite.logs, 200))
		}
		if err := suite.r.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "close the portal:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// thePortal returns the shared portal, starting it on first use.
func thePortal(t testing.TB) *portal {
	t.Helper()
	suiteOnce.Do(func() { suite, suiteErr = startPortal() })
	if suiteErr != nil {
		t.Fatalf("start the portal: %v", suiteErr)
	}
	return suite
}

// portal is the local runner with what the tests watch: a clock they can move, a count
// of password-hash work, and the logs.
type portal struct {
	r      *runner.Runner
	clock  *clock
	hashes *hashCounts
	logs   *localaws.SyncBuffer
	ip     atomic.Uint32
}

// base is the functions' time at start: 18:00 in Paris, the suite's digest hour, on a
// fixed day so issue dates and windows are the same on every run.
var base = time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)

func startPortal() (*portal, error) {
	p := &portal{clock: &clock{start: time.Now()}, hashes: &hashCounts{}, logs: &localaws.SyncBuffer{}}
	if err := localaws.UseMotoFix(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := runner.Start(ctx, runner.Options{
		Now: p.clock.now,
		Configure: func(_ string, o *app.Options) {
			l := limits
			o.Limits = &l
			o.Hasher = p.hashes.wrap
			o.ExportLimits = &exportLimits
		},
		Log:          slog.New(slog.NewTextHandler(p.logs, nil)),
		FunctionLogs: p.logs,
		// The patched moto rewrites no stream, so the readers need not re-read theirs;
		// re-reading would load moto during the bursts the suite fires.
		RollbackWindow: -1,
		// The bursts of 200 logins queue in that one moto process; on a loaded machine
		// their last answers come after the template's 10 s.
		MinTimeout: 90 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, tail(p.logs, 100))
	}
	p.r = r
	st := app.Store(r.Env, app.NewClients(r.AWS.Config, r.AWS.SESConfig), app.Options{Now: p.clock.now})
	if _, err := app.ApplySpaces(ctx, st, filepath.Join("testdata", "spaces.json")); err != nil {
		r.Close()
		return nil, err
	}
	return p, nil
}

// clock is the functions' time: base plus the time elapsed since start, plus whatever a
// test added to jump ahead (a lock running out). A test may hold it still, so that a
// burst of requests falls inside one lock window however slowly the machine serves it.
type clock struct {
	start  time.Time
	extra  atomic.Int64
	frozen atomic.Int64 // the held time in Unix nanoseconds, 0 when running
}

func (c *clock) now() time.Time {
	if f := c.frozen.Load(); f != 0 {
		return time.Unix(0, f).UTC()
	}
	return base.Add(time.Since(c.start) + time.Duration(c.extra.Load()))
}

// hold stops the clock until the returned function restarts it where it was.
func (c *clock) hold() (release func()) {
	at := c.now()
	c.frozen.Store(at.UnixNano())
	return func() {
		c.frozen.Store(0)
		c.extra.Store(int64(at.Sub(c.now())) + c.extra.Load())
	}
}

func (c *clock) advance(d time.Duration) { c.extra.Add(int64(d)) }

// hashCounts counts argon2id work: verifications (of a stored or the dummy hash) and new
// hashes, across every function.
type hashCounts struct {
	verify, hash atomic.Int64
}

func (h *hashCounts) wrap(inner accounts.Hasher) accounts.Hasher {
	return countingHasher{inner: inner, counts: h}
}

type countingHasher struct {
	inner  accounts.Hasher
	counts *hashCounts
}

func (c countingHasher) Hash(pw string) (string, error) {
	c.counts.hash.Add(1)
	return c.inner.Hash(pw)
}

func (c countingHasher) Verify(phc, pw string) (bool, bool, error) {
	c.counts.verify.Add(1)
	return c.inner.Verify(phc, pw)
}

func (c countingHasher) VerifyDummy(pw string) {
	c.counts.verify.Add(1)
	c.inner.VerifyDummy(pw)
}

// newIP returns a loopback address no client used yet. Linux routes all of 127/8 to the
// loopback interface, so each client is a distinct source address for the rate limits,
// as distinct hosts are behind API Gateway.
func (p *portal) newIP() string {
	n := p.ip.Add(1) + 256 // skips 127.0.0.x, where the servers listen
	return fmt.Sprintf("127.%d.%d.%d", (n>>16)&255, (n>>8)&255, n&255)
}

// client is one browser: a source address and at most one session cookie.
type client struct {
	p       *portal
	ip      string
	hc      *http.Client
	mu      sync.Mutex
	session string
	// forwardedFor, when set, is sent as X-Forwarded-For: what a client may claim.
	forwardedFor string
	// fetchSite is the Sec-Fetch-Site it sends; "" is same-origin, as the portal's pages.
	fetchSite string
}

func (c *client) cookie() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

func (c *client) setCookie(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.session = id
}

func (p *portal) client() *client {
	ip := p.newIP()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &client{p: p, ip: ip, hc: &http.Client{
		Transport: &http.Transport{DialContext: dialer.DialContext, MaxIdleConnsPerHost: 4},
		// Redirects are answers to check, not to follow: they point at the archive.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       2 * time.Minute,
	}}
}

// response is an answer as the browser gets it.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body)) }

// json decodes the body; nil when it is not a JSON object.
func (r response) json() map[string]any {
	var m map[string]any
	if json.Unmarshal(r.body, &m) != nil {
		return nil
	}
	return m
}

// errorCode is PRODUCT.md §7's error code of the answer, "" when there is none.
func (r response) errorCode() string {
	e, _ := r.json()["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// send sends a request as the portal's own pages do: JSON, same origin, the session
// cookie. body is a JSON text when it is a string, else it is encoded. It reports a
// missing no-store header or any CORS header on every answer.
func (c *client) send(t testing.TB, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, ok := body.(string)
		if !ok {
			b, err := json.Marshal(body)
			if err != nil {
				t.Fatal(err)
			}
			raw = string(b)
		}
		rd = strings.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.p.r.PortalURL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	site := c.fetchSite
	if site == "" {
		site = "same-origin"
	}
	req.Header.Set("Sec-Fetch-Site", site)
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", c.p.r.PortalURL)
	}
	if id := c.cookie(); id != "" {
		req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: id})
	}
	if c.forwardedFor != "" {
		req.Header.Set("X-Forwarded-For", c.forwardedFor)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	for _, ck := range res.Cookies() {
		if ck.Name != httpapi.SessionCookie {
			continue
		}
		if ck.MaxAge < 0 || ck.Value == "" {
			c.setCookie("")
		} else {
			c.setCookie(ck.Value)
		}
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("%s %s: got Cache-Control %q, want no-store", method, path, got)
	}
	for k := range res.Header {
		if strings.HasPrefix(strings.ToLower(k), "access-control-") {
			t.Errorf("%s %s: got CORS header %s, want none", method, path, k)
		}
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// want fails the test unless the answer has status.
func (r response) want(t testing.TB, status int, what string) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: got %s, want %d", what, r, status)
	}
	return r
}

// login signs c in and fails the test unless it works.
func (c *client) login(t testing.TB, identifier, password string) {
	t.Helper()
	c.send(t, http.MethodPost, "/api/auth/login", map[string]string{"identifier": identifier, "password": password}).
		want(t, http.StatusOK, "login "+identifier)
	if c.cookie() == "" {
		t.Fatalf("login %s set no session cookie", identifier)
	}
}

// drop writes a file into the inbox as billing does.
func (p *portal) drop(t testing.TB, key string, body []byte, meta map[string]string) {
	t.Helper()
	_, err := p.r.AWS.S3.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String(p.r.Env.InboxBucket), Key: aws.String(key), Body: bytes.NewReader(body), Metadata: meta,
	})
	if err != nil {
		t.Fatalf("drop %s: %v", key, err)
	}
}

// keys lists a bucket's keys under prefix.
func (p *portal) keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	var out []string
	pager := s3.NewListObjectsV2Paginator(p.r.AWS.S3, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			out = append(out, aws.ToString(o.Key))
		}
	}
	return out
}

// waitFor polls cond until it holds, failing the test after timeout.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after %v: %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// settle waits until ingestion has emptied the inbox and the mailer has sent every
// pending mail.
func (p *portal) settle(t testing.TB) {
	t.Helper()
	waitFor(t, "inbox emptied by ingestion", time.Minute, func() bool {
		return len(p.keys(t, p.r.Env.InboxBucket, "inbox/")) == 0
	})
	waitFor(t, "outbox mails sent", time.Minute, func() bool { return p.pendingMails(t) == 0 })
}

// pendingMails counts the outbox records not yet sent.
func (p *portal) pendingMails(t testing.TB) int32 {
	t.Helper()
	out, err := p.r.AWS.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{
		TableName:                 aws.String(p.r.Env.OutboxTable),
		FilterExpression:          aws.String("#s = :pending"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":pending": &ddbtypes.AttributeValueMemberS{Value: "pending"}},
		Select:                    ddbtypes.SelectCount,
		ConsistentRead:            aws.Bool(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Count
}

// mails returns what the SES emulator captured.
func (p *portal) mails(t testing.TB) []localaws.Mail {
	t.Helper()
	m, err := p.r.AWS.Mails(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// clearMails forgets the captured mails; the suite started this emulator.
func (p *portal) clearMails(t testing.TB) {
	t.Helper()
	if err := localaws.ClearSESStore(context.Background(), p.r.AWS.SESServer.URL); err != nil {
		t.Fatal(err)
	}
}

// tail returns the last n lines written.
func tail(b *localaws.SyncBuffer, n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
