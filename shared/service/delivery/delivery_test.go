package delivery_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/mail"
	"github.com/efacture/efacture/shared/domain/metrics"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/tokens"
	"github.com/efacture/efacture/shared/service/delivery"
)

var now0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// fakeStore holds outbox records and settles them under the real store's conditions:
// only a pending record changes.
type fakeStore struct {
	mu      sync.Mutex
	records map[string]outbox.Record
	errors  map[string]string // last failure reason per key
	spaces  map[string]spaces.Space
	claims  int
	// failWrites makes Reschedule fail, as an unreachable table does.
	failWrites bool
}

var errStore = errors.New("dynamodb: unreachable")

var _ delivery.Store = (*fakeStore)(nil)

func (s *fakeStore) OutboxRecord(_ context.Context, key string) (outbox.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[key]
	if !ok {
		return outbox.Record{}, fault.NotFound("outbox record")
	}
	r.Data = maps.Clone(r.Data)
	return r, nil
}

func (s *fakeStore) MarkSent(_ context.Context, key string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[key]
	if !ok || r.Status != outbox.StatusPending {
		return outbox.ErrNotPending
	}
	at = at.UTC()
	r.Status, r.SentAt = outbox.StatusSent, &at
	s.records[key] = r
	return nil
}

func (s *fakeStore) Reschedule(_ context.Context, key string, due time.Time, attempts int, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[key]
	if !ok || r.Status != outbox.StatusPending {
		return outbox.ErrNotPending
	}
	if s.failWrites {
		return errStore
	}
	r.Attempts, r.Due = attempts, due
	if reason != "" {
		r.LastError = reason
		s.errors[key] = reason
	}
	s.records[key] = r
	return nil
}

func (s *fakeStore) MarkDead(_ context.Context, key string, attempts int, reason string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[key]
	if !ok || r.Status != outbox.StatusPending {
		return outbox.ErrNotPending
	}
	r.Status, r.Attempts, r.LastError, r.Due = outbox.StatusDead, attempts, reason, at
	s.errors[key] = reason
	s.records[key] = r
	return nil
}

func (s *fakeStore) DueRecords(_ context.Context, shard int, now time.Time, limit int) ([]outbox.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []outbox.Record
	for _, r := range s.records {
		if r.Status == outbox.StatusPending && !r.Due.IsZero() && !r.Due.After(now) && outbox.Shard(r.Key) == shard {
			due = append(due, outbox.Record{Key: r.Key, Due: r.Due})
		}
	}
	slices.SortFunc(due, func(a, b outbox.Record) int { return a.Due.Compare(b.Due) })
	return due[:min(limit, len(due))], nil
}

func (s *fakeStore) Claim(_ context.Context, key string, seen, until time.Time) (outbox.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[key]
	if !ok || r.Status != outbox.StatusPending || !r.Due.Equal(seen) {
		return outbox.Record{}, outbox.ErrNotPending
	}
	r.Due = until
	s.records[key] = r
	s.claims++
	r.Data = maps.Clone(r.Data)
	return r, nil
}

func (s *fakeStore) Space(_ context.Context, id string) (spaces.Space, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, ok := s.spaces[id]
	if !ok {
		return spaces.Space{}, fault.NotFound("space")
	}
	return sp, nil
}

func (s *fakeStore) record(key string) outbox.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records[key]
}

type sent struct {
	to  string
	raw []byte
}

// fakeSender keeps what it sends; it refuses the next throttles calls as SES throttling
// does, then fails the next failures calls.
type fakeSender struct {
	mu        sync.Mutex
	throttles int
	failures  int
	calls     int
	tried     [][]byte // every message handed over, failed or not
	sent      []sent
}

var errSES = errors.New("ses: internal failure")

func (s *fakeSender) Send(_ context.Context, to string, raw []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.tried = append(s.tried, bytes.Clone(raw))
	if s.throttles > 0 {
		s.throttles--
		return &fault.Error{Code: fault.CodeTooMany, Op: "ses send", Cause: errors.New("TooManyRequestsException")}
	}
	if s.failures > 0 {
		s.failures--
		return errSES
	}
	s.sent = append(s.sent, sent{to: to, raw: bytes.Clone(raw)})
	return nil
}

type fakeArchive struct {
	objects map[string][]byte
	reads   []string
}

func (a *fakeArchive) ReadArchived(_ context.Context, key string) ([]byte, error) {
	a.reads = append(a.reads, key)
	b, ok := a.objects[key]
	if !ok {
		return nil, errors.New("archive: no such key " + key)
	}
	return bytes.Clone(b), nil
}

type env struct {
	store   *fakeStore
	sender  *fakeSender
	archive *fakeArchive
	now     time.Time
	svc     *delivery.Service
}

// advance moves the clock of due times on.
func (e *env) advance(d time.Duration) { e.now = e.now.Add(d) }

func (e *env) redrive(t *testing.T) {
	t.Helper()
	if err := e.svc.Redrive(context.Background()); err != nil {
		t.Fatalf("Redrive: %v", err)
	}
}

// mailKey is the mail-token key of the tests; records carry nonce, never a token.
var mailKey, _ = tokens.NewMailKey([]byte(strings.Repeat("m", 32)))

// tokenOf is the token the mailer must put in rec's mail.
func tokenOf(rec outbox.Record, purpose string, i int) string {
	return mailKey.Token(purpose, rec.Key, rec.Nonce, i)
}

const (
	nonce      = "q8b2Lr0cXk4sWm9TzY1vNa"
	email      = "pierre.durand@example.fr"
	archiveKey = "documents/acme/C001/0f1e2d.pdf"
)

var pdfBytes = []byte("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n")

func newEnv(t *testing.T, records ...outbox.Record) *env {
	t.Helper()
	acme := spaces.Space{ID: "acme", Name: "Acme Finance", Since: "2022-12-02"}
	if err := acme.Normalize(); err != nil {
		t.Fatal(err)
	}
	e := &env{
		store:   &fakeStore{records: map[string]outbox.Record{}, errors: map[string]string{}, spaces: map[string]spaces.Space{"acme": acme}},
		sender:  &fakeSender{},
		archive: &fakeArchive{objects: map[string][]byte{archiveKey: pdfBytes}},
		now:     now0,
	}
	for _, r := range records {
		e.store.records[r.Key] = r
	}
	e.svc = &delivery.Service{
		Store: e.store, Sender: e.sender, Archive: e.archive,
		From: "noreply@mail.example", PortalBaseURL: "https://portal.example/", MailKey: mailKey,
		Now:     func() time.Time { return e.now },
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Workers: 4,
	}
	return e
}

func activation(lang string) outbox.Record {
	return outbox.Record{
		Key: "activation#" + email, Kind: outbox.KindActivation, Space: "acme", To: email, Language: lang,
		Nonce: nonce, Status: outbox.StatusPending, CreatedAt: now0.Add(-time.Minute),
		Data: map[string]string{"identifier": email, "companyName": "Durand SARL", "customerNumber": "C001"},
	}
}

func notice(mode string) outbox.Record {
	return outbox.Record{
		Key: "notify#acme#C001#F/2026/001", Kind: outbox.KindNotify, Space: "acme", To: email, Language: "fr",
		Status: outbox.StatusPending, CreatedAt: now0.Add(-time.Minute),
		Data: map[string]string{
			"mode": mode, "companyName": "Durand SARL", "number": "F/2026/001", "type": "invoice",
			"issueDate": "2026-11-20", "amount": "1234.56", "currency": "EUR", "archiveKey": archiveKey,
			"duplicate": "false", "copy": "false",
		},
	}
}

// part is one leaf of a MIME tree, its body decoded from its transfer encoding.
type part struct {
	mediaType   string
	disposition string
	filename    string
	body        []byte
}

type header interface{ Get(string) string }

func leaves(t *testing.T, h header, body io.Reader) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		t.Fatalf("content type %q: %v", h.Get("Content-Type"), err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		var out []part
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatalf("multipart: %v", err)
			}
			out = append(out, leaves(t, p.Header, p)...)
		}
	}
	switch enc := strings.ToLower(h.Get("Content-Transfer-Encoding")); enc {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	case "", "7bit", "8bit":
	default:
		t.Fatalf("unexpected transfer encoding %q", enc)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("decode %s part: %v", mt, err)
	}
	p := part{mediaType: mt, body: b}
	if d := h.Get("Content-Disposition"); d != "" {
		disp, dp, err := mime.ParseMediaType(d)
		if err != nil {
			t.Fatalf("content disposition %q: %v", d, err)
		}
		p.disposition, p.filename = disp, dp["filename"]
	}
	return []part{p}
}

type parsed struct {
	header netmail.Header
	parts  []part
}

func parse(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("not a mail: %v", err)
	}
	return parsed{header: msg.Header, parts: leaves(t, msg.Header, msg.Body)}
}

func (p parsed) subject(t *testing.T) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(p.header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q: %v", p.header.Get("Subject"), err)
	}
	return s
}

func (p parsed) find(mediaType string) (part, bool) {
	for _, x := range p.parts {
		if x.mediaType == mediaType && x.disposition != "attachment" {
			return x, true
		}
	}
	return part{}, false
}

func (p parsed) attachments() []part {
	var out []part
	for _, x := range p.parts {
		if x.disposition == "attachment" {
			out = append(out, x)
		}
	}
	return out
}

func (e *env) only(t *testing.T) parsed {
	t.Helper()
	if len(e.sender.sent) != 1 {
		t.Fatalf("sent %d mails, want 1", len(e.sender.sent))
	}
	if e.sender.sent[0].to != email {
		t.Errorf("sent to %q, want %q", e.sender.sent[0].to, email)
	}
	return parse(t, e.sender.sent[0].raw)
}

func TestActivation(t *testing.T) {
	cases := []struct {
		lang, subject string
	}{
		{"fr", "Activation de votre accès au portail E-Facture — Acme Finance"},
		{"en", "Activation of your E-Facture portal access — Acme Finance"},
		{"", "Activation de votre accès au portail E-Facture — Acme Finance"},
	}
	for _, c := range cases {
		t.Run("lang "+c.lang, func(t *testing.T) {
			rec := activation(c.lang)
			e := newEnv(t, rec)
			if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			m := e.only(t)
			if got := m.subject(t); got != c.subject {
				t.Errorf("subject: got %q, want %q", got, c.subject)
			}
			to, err := netmail.ParseAddress(m.header.Get("To"))
			if err != nil || to.Address != email {
				t.Errorf("To: got %q, want %s", m.header.Get("To"), email)
			}
			from, err := netmail.ParseAddress(m.header.Get("From"))
			if err != nil || from.Address != "noreply@mail.example" || from.Name != "Acme Finance" {
				t.Errorf("From: got %q, want Acme Finance <noreply@mail.example>", m.header.Get("From"))
			}
			if got, want := m.header.Get("Message-Id"), "<"+mail.MessageIDFor(rec.Key, "mail.example")+">"; got != want {
				t.Errorf("Message-Id: got %q, want %q", got, want)
			}
			link := "https://portal.example/acme/password#token=" + tokenOf(rec, tokens.KindActivation, 0)
			text, ok := m.find("text/plain")
			if !ok {
				t.Fatalf("no text/plain part in %v", m.parts)
			}
			for _, want := range []string{link, email, "https://portal.example/acme/", "https://portal.example/acme/help"} {
				if !strings.Contains(string(text.body), want) {
					t.Errorf("text part does not contain %q:\n%s", want, text.body)
				}
			}
			if html, ok := m.find("text/html"); !ok || !strings.Contains(string(html.body), link) {
				t.Errorf("html part (present %v) does not contain %q", ok, link)
			}
			if n := len(m.attachments()); n != 0 {
				t.Errorf("got %d attachments, want 0", n)
			}

			got := e.store.record(rec.Key)
			if got.Status != outbox.StatusSent || got.SentAt == nil || !got.SentAt.Equal(now0) {
				t.Errorf("record after send: got status %q sentAt %v, want sent at %v", got.Status, got.SentAt, now0)
			}
			if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
				t.Fatalf("second Deliver: %v", err)
			}
			if e.sender.calls != 1 {
				t.Errorf("after a second Deliver: %d sends, want 1", e.sender.calls)
			}
		})
	}
}

// TestRetryScheduleThenDead: a failing mail leaves the stream at once, is retried by the
// re-drive after each of outbox.RetryDelays, and is dead at its eighth failure, more
// than 24 h after the first, with its last error and its nonce kept for a re-drive.
func TestRetryScheduleThenDead(t *testing.T) {
	rec := activation("fr")
	e := newEnv(t, rec)
	e.sender.failures = 100
	ctx := context.Background()

	if err := e.svc.Deliver(ctx, rec.Key); err != nil {
		t.Fatalf("Deliver: got %v, want nil once the retry is written", err)
	}
	for i, wait := range outbox.RetryDelays {
		got := e.store.record(rec.Key)
		if got.Attempts != i+1 || got.Status != outbox.StatusPending || got.Nonce != nonce || !got.Due.Equal(e.now.Add(wait)) {
			t.Fatalf("after attempt %d: got attempts %d status %q due %v, want %d pending due %v with its nonce", i+1, got.Attempts, got.Status, got.Due, i+1, e.now.Add(wait))
		}
		if !strings.Contains(e.store.errors[rec.Key], errSES.Error()) {
			t.Errorf("attempt %d: stored reason %q, want the send error", i+1, e.store.errors[rec.Key])
		}
		e.advance(wait - time.Second)
		e.redrive(t)
		if e.sender.calls != i+1 {
			t.Fatalf("re-drive before due: %d sends, want %d", e.sender.calls, i+1)
		}
		e.advance(time.Second)
		e.redrive(t)
	}
	got := e.store.record(rec.Key)
	if got.Attempts != outbox.MaxAttempts || got.Status != outbox.StatusDead || got.Nonce != nonce || !strings.Contains(got.LastError, errSES.Error()) {
		t.Errorf("dead record: got attempts %d status %q error %q, want %d dead with the error and its nonce", got.Attempts, got.Status, got.LastError, outbox.MaxAttempts)
	}
	if span := e.now.Sub(now0); span < 24*time.Hour {
		t.Errorf("first to last attempt: %v, want at least 24 h", span)
	}
	e.advance(48 * time.Hour)
	e.redrive(t)
	if err := e.svc.Deliver(ctx, rec.Key); err != nil {
		t.Errorf("Deliver of a dead record: got %v, want nil", err)
	}
	if e.sender.calls != outbox.MaxAttempts || len(e.sender.sent) != 0 {
		t.Errorf("sends: got %d calls, %d sent; want %d, 0", e.sender.calls, len(e.sender.sent), outbox.MaxAttempts)
	}
}

// TestThrottlingIsNotAnAttempt: SES refusing more mail now leaves the mail pending with
// its attempts, due a minute later, however long the refusals last (PRODUCT.md §10).
func TestThrottlingIsNotAnAttempt(t *testing.T) {
	rec := notice("link")
	rec.Attempts = 2
	e := newEnv(t, rec)
	e.sender.throttles = 50
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	for i := 0; i < 50; i++ {
		got := e.store.record(rec.Key)
		if got.Status != outbox.StatusPending || got.Attempts != 2 || !got.Due.Equal(e.now.Add(outbox.ThrottleDelay)) {
			t.Fatalf("after refusal %d: got status %q attempts %d due %v, want pending, 2, due in a minute", i+1, got.Status, got.Attempts, got.Due)
		}
		e.advance(outbox.ThrottleDelay)
		e.redrive(t)
	}
	if got := e.store.record(rec.Key); got.Status != outbox.StatusSent || got.Attempts != 2 || len(e.sender.sent) != 1 {
		t.Errorf("after the refusals: got status %q attempts %d, %d sent; want sent, 2, 1", got.Status, got.Attempts, len(e.sender.sent))
	}
}

func TestAttemptsCountAcrossDeliveries(t *testing.T) {
	last := outbox.MaxAttempts - 1
	cases := []struct {
		name      string
		prior     int
		failures  int
		status    string
		attempts  int
		sentCount int
	}{
		{"recovers after one failure", 0, 1, outbox.StatusSent, 1, 1},
		{"last attempt left succeeds", last, 0, outbox.StatusSent, last, 1},
		{"last attempt left fails", last, 1, outbox.StatusDead, outbox.MaxAttempts, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := activation("fr")
			rec.Attempts, rec.Due = c.prior, now0
			if c.prior == 0 {
				rec.Due = time.Time{}
			}
			e := newEnv(t, rec)
			e.sender.failures = c.failures
			if c.prior == 0 {
				if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
					t.Fatal(err)
				}
			}
			e.advance(12 * time.Hour)
			e.redrive(t)
			got := e.store.record(rec.Key)
			if got.Status != c.status || got.Attempts != c.attempts || len(e.sender.sent) != c.sentCount {
				t.Errorf("got status %q attempts %d sent %d, want %q %d %d", got.Status, got.Attempts, len(e.sender.sent), c.status, c.attempts, c.sentCount)
			}
		})
	}
}

// TestStreamLeavesWaitingMailToRedrive: a stream redelivery of a record already waiting
// for its retry sends nothing, so the mail goes once, from the re-drive.
func TestStreamLeavesWaitingMailToRedrive(t *testing.T) {
	rec := notice("link")
	rec.Attempts, rec.Due = 1, now0.Add(time.Minute)
	e := newEnv(t, rec)
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil || e.sender.calls != 0 {
		t.Fatalf("Deliver: got %v and %d sends, want nil and none", err, e.sender.calls)
	}
}

// TestUnwrittenRetryAsksStreamRetry: when the retry cannot be written the stream must
// not move on, or the mail would be lost.
func TestUnwrittenRetryAsksStreamRetry(t *testing.T) {
	rec := notice("link")
	e := newEnv(t, rec)
	e.sender.throttles, e.store.failWrites = 1, true
	if err := e.svc.Deliver(context.Background(), rec.Key); !errors.Is(err, errStore) {
		t.Fatalf("Deliver: got %v, want the store's error", err)
	}
	if got := e.store.record(rec.Key); got.Status != outbox.StatusPending || !got.Due.IsZero() {
		t.Errorf("record: got %+v", got)
	}
}

// TestConcurrentRedrivesSendOnce: overlapping re-drives claim each due mail once.
func TestConcurrentRedrivesSendOnce(t *testing.T) {
	var recs []outbox.Record
	for i := range 60 {
		r := notice("link")
		r.Key, r.To, r.Due = fmt.Sprintf("notify#acme#C%03d#F-%d", i, i), fmt.Sprintf("c%d@example.fr", i), now0.Add(-time.Duration(i)*time.Second)
		recs = append(recs, r)
	}
	e := newEnv(t, recs...)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.svc.Redrive(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	seen := map[string]int{}
	for _, m := range e.sender.sent {
		seen[m.to]++
	}
	if len(e.sender.sent) != 60 || len(seen) != 60 {
		t.Errorf("got %d sends to %d recipients, want 60 and 60", len(e.sender.sent), len(seen))
	}
	for _, r := range recs {
		if got := e.store.record(r.Key); got.Status != outbox.StatusSent {
			t.Errorf("%s: status %q", r.Key, got.Status)
		}
	}
}

// fakePacer counts sends per second as the store's conditional counter does.
type fakePacer struct {
	mu     sync.Mutex
	counts map[int64]int
}

func (p *fakePacer) TakeSend(_ context.Context, second time.Time, limit int) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.counts[second.Unix()] >= limit {
		return false, nil
	}
	p.counts[second.Unix()]++
	return true, nil
}

// wallClock is a fake wall clock that only sleeping moves.
type wallClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *wallClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *wallClock) Sleep(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestPacing: sends stay within the rate in every second of the wall clock, waiting for
// the next second rather than sending more; a stream delivery that finds no slot within
// its short wait leaves the mail to the re-drive without counting an attempt.
func TestPacing(t *testing.T) {
	var recs []outbox.Record
	for i := range 20 {
		r := notice("link")
		r.Key, r.To, r.Due = fmt.Sprintf("notify#acme#C%03d#F-%d", i, i), fmt.Sprintf("c%d@example.fr", i), now0
		recs = append(recs, r)
	}
	e := newEnv(t, recs...)
	pacer, clock := &fakePacer{counts: map[int64]int{}}, &wallClock{now: now0}
	e.svc.Pacer, e.svc.Rate, e.svc.Clock, e.svc.Sleep = pacer, 3, clock.Now, clock.Sleep
	e.redrive(t)
	if len(e.sender.sent) != 20 {
		t.Fatalf("sent %d, want 20", len(e.sender.sent))
	}
	for sec, n := range pacer.counts {
		if n > 3 {
			t.Errorf("second %d: %d sends, want at most 3", sec, n)
		}
	}
	if took := clock.Now().Sub(now0); took < 6*time.Second {
		t.Errorf("20 sends at 3/s took %v of the wall clock, want at least 6 s", took)
	}

	// The current second used up for long: the stream gives up after its short wait.
	rec := notice("link")
	e = newEnv(t, rec)
	e.svc.Pacer, e.svc.Rate, e.svc.Clock, e.svc.Sleep = refusingPacer{}, 3, clock.Now, clock.Sleep
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
		t.Fatal(err)
	}
	if got := e.store.record(rec.Key); e.sender.calls != 0 || got.Attempts != 0 || got.Status != outbox.StatusPending || !got.Due.Equal(now0.Add(outbox.ThrottleDelay)) {
		t.Errorf("no slot: got %d sends, record %+v; want none, pending, 0 attempts, due in a minute", e.sender.calls, got)
	}
}

type refusingPacer struct{}

func (refusingPacer) TakeSend(context.Context, time.Time, int) (bool, error) { return false, nil }

func TestNoticeAttachment(t *testing.T) {
	rec := notice("attachment")
	e := newEnv(t, rec)
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	m := e.only(t)
	if got, want := m.subject(t), "Nouvelle facture n° F/2026/001 — Acme Finance"; got != want {
		t.Errorf("subject: got %q, want %q", got, want)
	}
	att := m.attachments()
	if len(att) != 1 {
		t.Fatalf("got %d attachments, want 1", len(att))
	}
	if att[0].mediaType != "application/pdf" || att[0].filename != "F_2026_001.pdf" || !bytes.Equal(att[0].body, pdfBytes) {
		t.Errorf("attachment: got %s %q (%d bytes), want application/pdf F_2026_001.pdf with the archived bytes",
			att[0].mediaType, att[0].filename, len(att[0].body))
	}
	if len(e.archive.reads) != 1 || e.archive.reads[0] != archiveKey {
		t.Errorf("archive reads: got %q, want [%s]", e.archive.reads, archiveKey)
	}
	text, ok := m.find("text/plain")
	if !ok || !strings.Contains(string(text.body), "F/2026/001") || !strings.Contains(string(text.body), "https://portal.example/acme/documents") {
		t.Errorf("text part (present %v) lacks the number or the portal link:\n%s", ok, text.body)
	}
	if got := e.store.record(rec.Key); got.Status != outbox.StatusSent {
		t.Errorf("status: got %q, want sent", got.Status)
	}
}

func TestNoticeLink(t *testing.T) {
	rec := notice("link")
	e := newEnv(t, rec)
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	m := e.only(t)
	if n := len(m.attachments()); n != 0 {
		t.Errorf("got %d attachments, want 0", n)
	}
	if len(e.archive.reads) != 0 {
		t.Errorf("archive reads: got %q, want none", e.archive.reads)
	}
	text, ok := m.find("text/plain")
	if !ok || !strings.Contains(string(text.body), "https://portal.example/acme/documents") {
		t.Errorf("text part (present %v) lacks the portal link:\n%s", ok, text.body)
	}
}

func TestNoticeWithoutArchivedPDF(t *testing.T) {
	rec := notice("attachment")
	rec.Data["archiveKey"] = "documents/acme/C001/missing.pdf"
	e := newEnv(t, rec)
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
		t.Fatalf("Deliver: got %v, want the failure recorded", err)
	}
	if got := e.store.record(rec.Key); got.Attempts != 1 || got.Status != outbox.StatusPending || !strings.Contains(got.LastError, "missing.pdf") {
		t.Errorf("record: got attempts %d status %q error %q, want 1 pending with the archive error", got.Attempts, got.Status, got.LastError)
	}
	if e.sender.calls != 0 {
		t.Errorf("sends: got %d, want 0", e.sender.calls)
	}
}

func TestSettledOrMissingRecords(t *testing.T) {
	at := now0.Add(-time.Hour)
	sentRec := activation("fr")
	sentRec.Status, sentRec.SentAt = outbox.StatusSent, &at
	deadRec := notice("link")
	deadRec.Status = outbox.StatusDead
	for _, c := range []struct {
		name string
		recs []outbox.Record
		key  string
	}{
		{"sent", []outbox.Record{sentRec}, sentRec.Key},
		{"dead", []outbox.Record{deadRec}, deadRec.Key},
		{"missing", nil, "activation#nobody@example.fr"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.recs...)
			if err := e.svc.Deliver(context.Background(), c.key); err != nil {
				t.Errorf("Deliver: got %v, want nil", err)
			}
			if e.sender.calls != 0 {
				t.Errorf("sends: got %d, want 0", e.sender.calls)
			}
		})
	}
}

// TestRetryKeepsMessageID checks a resent mail is recognisable as the same one.
func TestRetryKeepsMessageID(t *testing.T) {
	rec := notice("link")
	e := newEnv(t, rec)
	e.sender.failures = 1
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	e.advance(outbox.RetryDelays[0])
	e.redrive(t)
	if len(e.sender.tried) != 2 {
		t.Fatalf("got %d messages handed to the sender, want 2", len(e.sender.tried))
	}
	first, second := parse(t, e.sender.tried[0]), parse(t, e.sender.tried[1])
	want := "<" + mail.MessageIDFor(rec.Key, "mail.example") + ">"
	if a, b := first.header.Get("Message-Id"), second.header.Get("Message-Id"); a != want || b != want {
		t.Errorf("Message-Id: got %q then %q, want %q both times", a, b, want)
	}
}

// TestCompanyHeader: customer mails carry the company so SES bounce events find it again.
func TestCompanyHeader(t *testing.T) {
	rec := notice("link")
	rec.Data["customerNumber"] = "C001"
	e := newEnv(t, rec)
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
		t.Fatal(err)
	}
	if got := e.only(t).header.Get("X-Efacture-Company"); got != "acme#C001" {
		t.Errorf("X-Efacture-Company: got %q, want acme#C001", got)
	}
}

// TestSpaceHeader: a mail of no single company (recovery) carries its space alone, so
// that its delivery is traced back to the customers of its address.
func TestSpaceHeader(t *testing.T) {
	rec := recoveryRecord("fr")
	e := newEnv(t, rec)
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
		t.Fatal(err)
	}
	h := e.only(t).header
	if got := h.Get("X-Efacture-Space"); got != "acme" {
		t.Errorf("X-Efacture-Space: got %q, want acme", got)
	}
	if got := h.Get("X-Efacture-Company"); got != "" {
		t.Errorf("X-Efacture-Company: got %q, want none", got)
	}
}

func recoveryRecord(lang string) outbox.Record {
	return outbox.Record{
		Key: outbox.RecoveryKey("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"), Kind: outbox.KindRecovery,
		Space: "acme", To: email, Language: lang, Nonce: nonce, Status: outbox.StatusPending,
		CreatedAt: now0.Add(-time.Minute), Data: map[string]string{"email": email},
	}
}

func TestRecovery(t *testing.T) {
	for _, c := range []struct{ lang, subject, validity string }{
		{"fr", "Mot de passe ou identifiant oublié — Acme Finance", "1 heure"},
		{"en", "Forgotten password or identifier — Acme Finance", "1 hour"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			rec := recoveryRecord(c.lang)
			e := newEnv(t, rec)
			if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			m := e.only(t)
			if got := m.subject(t); got != c.subject {
				t.Errorf("subject: got %q, want %q", got, c.subject)
			}
			link := "https://portal.example/acme/password#token=" + tokenOf(rec, tokens.KindRecovery, 0)
			text, ok := m.find("text/plain")
			if !ok {
				t.Fatal("no text/plain part")
			}
			for _, want := range []string{link, email, "https://portal.example/acme/", c.validity} {
				if !strings.Contains(string(text.body), want) {
					t.Errorf("text part does not contain %q:\n%s", want, text.body)
				}
			}
			if html, ok := m.find("text/html"); !ok || !strings.Contains(string(html.body), link) {
				t.Errorf("html part (present %v) does not contain %q", ok, link)
			}
			got := e.store.record(rec.Key)
			if got.Status != outbox.StatusSent {
				t.Errorf("record after send: got status %q, want sent", got.Status)
			}
		})
	}
}

// TestRecoveryWithoutToken refuses to mail a link it cannot build.
func TestRecoveryWithoutToken(t *testing.T) {
	rec := recoveryRecord("fr")
	rec.Nonce = ""
	e := newEnv(t, rec)
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if e.sender.calls != 0 {
		t.Errorf("sends: got %d, want 0", e.sender.calls)
	}
	if got := e.store.record(rec.Key); got.Attempts != 1 || !strings.Contains(got.LastError, "no nonce") {
		t.Errorf("attempts: got %d (%q), want 1 naming the missing nonce", got.Attempts, got.LastError)
	}
}

func TestPasswordChanged(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)
	for _, c := range []struct{ lang, subject, when string }{
		{"fr", "Votre mot de passe E-Facture a été modifié — Acme Finance", "10:30 (CET)"},
		{"en", "Your E-Facture password was changed — Acme Finance", "10:30 (CET)"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			rec := outbox.Record{
				Key: outbox.PasswordChangedKey("pierre.durand_1", at), Kind: outbox.KindPasswordChanged, Space: "acme",
				To: email, Language: c.lang, Status: outbox.StatusPending, CreatedAt: at,
				Data: map[string]string{"identifier": "pierre.durand_1", "at": at.Format(time.RFC3339)},
			}
			e := newEnv(t, rec)
			if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			m := e.only(t)
			if got := m.subject(t); got != c.subject {
				t.Errorf("subject: got %q, want %q", got, c.subject)
			}
			text, ok := m.find("text/plain")
			if !ok {
				t.Fatal("no text/plain part")
			}
			for _, want := range []string{"pierre.durand_1", c.when, "https://portal.example/acme/"} {
				if !strings.Contains(string(text.body), want) {
					t.Errorf("text part does not contain %q:\n%s", want, text.body)
				}
			}
			if strings.Contains(string(text.body), "#token=") {
				t.Errorf("password-changed mail carries a set-password link:\n%s", text.body)
			}
		})
	}
}

func TestPasswordChangedBadTime(t *testing.T) {
	rec := outbox.Record{
		Key: "pwchanged#x#y", Kind: outbox.KindPasswordChanged, Space: "acme", To: email, Language: "fr",
		Status: outbox.StatusPending, CreatedAt: now0, Data: map[string]string{"identifier": "x", "at": "yesterday"},
	}
	e := newEnv(t, rec)
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	if got := e.store.record(rec.Key); e.sender.calls != 0 || got.Attempts != 1 || !strings.Contains(got.LastError, "yesterday") {
		t.Errorf("got %d sends, attempts %d (%q); want none, 1 naming the time", e.sender.calls, got.Attempts, got.LastError)
	}
}

// TestDeadMailMetric: a dead mail's log line is an embedded-metric record CloudWatch
// counts as DeadMails, which the dead-mails alarm watches.
func TestDeadMailMetric(t *testing.T) {
	rec := notice("link")
	rec.Attempts, rec.Due = outbox.MaxAttempts-1, now0
	e := newEnv(t, rec)
	var logs bytes.Buffer
	e.svc.Log, e.svc.Metrics = slog.New(slog.NewJSONHandler(&logs, nil)), metrics.Recorder{Namespace: "efacture/outbox"}
	e.sender.failures = 1
	e.redrive(t)
	var line struct {
		Msg  string
		AWS  struct{ CloudWatchMetrics []struct{ Namespace string } } `json:"_aws"`
		Dead int                                                      `json:"DeadMails"`
	}
	for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		if err := json.Unmarshal(l, &line); err == nil && line.Msg == "mail dead" {
			break
		}
	}
	if line.Msg != "mail dead" || line.Dead != 1 || len(line.AWS.CloudWatchMetrics) != 1 || line.AWS.CloudWatchMetrics[0].Namespace != "efacture/outbox" {
		t.Errorf("dead mail log: got %+v in\n%s", line, logs.String())
	}
}

// TestRedriveStopsWhenSESRefuses: once SES refuses, a re-drive claims nothing more, so
// a throttled SES is not sent one refused call per due mail; the next run sends them.
func TestRedriveStopsWhenSESRefuses(t *testing.T) {
	var recs []outbox.Record
	for i := range 30 {
		r := notice("link")
		r.Key, r.To, r.Due = fmt.Sprintf("notify#acme#C%03d#F-%d", i, i), fmt.Sprintf("c%d@example.fr", i), now0
		recs = append(recs, r)
	}
	e := newEnv(t, recs...)
	e.svc.Workers = 1
	e.sender.throttles = 1
	e.redrive(t)
	if e.sender.calls != 1 || e.store.claims != 1 {
		t.Fatalf("throttled run: %d sends, %d claims; want 1 and 1", e.sender.calls, e.store.claims)
	}
	e.advance(outbox.ThrottleDelay)
	e.redrive(t)
	if len(e.sender.sent) != 30 {
		t.Errorf("next run: %d sent, want 30", len(e.sender.sent))
	}
	for _, r := range recs {
		if got := e.store.record(r.Key); got.Status != outbox.StatusSent || got.Attempts != 0 {
			t.Errorf("%s: %q after %d attempts, want sent without one", r.Key, got.Status, got.Attempts)
		}
	}
}

// TestDigestLinks: each document of a digest links to the portal's link page with the
// token its writer derived for that position; the record holds none of them.
func TestDigestLinks(t *testing.T) {
	rec := outbox.Record{
		Key: "digest#acme#C001#2026-11-26", Kind: outbox.KindDigest, Space: "acme", To: email, Language: "fr",
		Nonce: nonce, Status: outbox.StatusPending, CreatedAt: now0.Add(-time.Minute),
		Data: map[string]string{
			"companyName": "Durand SARL", "customerNumber": "C001", "linkDays": "14",
			"items": `[{"number":"F-1","type":"invoice","issueDate":"2026-11-20"},{"number":"F-2","type":"invoice","issueDate":"2026-11-21"}]`,
		},
	}
	e := newEnv(t, rec)
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
		t.Fatal(err)
	}
	text, ok := e.only(t).find("text/plain")
	if !ok {
		t.Fatal("no text/plain part")
	}
	for i, number := range []string{"F-1", "F-2"} {
		link := "https://portal.example/acme/link#token=" + tokenOf(rec, tokens.KindLink, i)
		if !strings.Contains(string(text.body), link) {
			t.Errorf("%s: no link %s in\n%s", number, link, text.body)
		}
	}
	if strings.Contains(string(text.body), "/api/links/") {
		t.Errorf("the mail links to the API, which refuses clicks from webmail:\n%s", text.body)
	}
	if a, b := tokenOf(rec, tokens.KindLink, 0), tokenOf(rec, tokens.KindLink, 1); a == b {
		t.Errorf("both documents got token %q", a)
	}
}
