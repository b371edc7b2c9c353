package delivery_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"maps"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/mail"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/service/delivery"
)

var now0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// fakeStore holds outbox records and settles them under the real store's conditions:
// only a pending record changes, and settling erases its secret.
type fakeStore struct {
	mu      sync.Mutex
	records map[string]outbox.Record
	errors  map[string]string // last failure reason per key
	spaces  map[string]spaces.Space
}

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
	r.Status, r.SentAt, r.Secret = outbox.StatusSent, &at, ""
	s.records[key] = r
	return nil
}

func (s *fakeStore) MarkFailed(_ context.Context, key string, attempts int, reason string, dead bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.records[key]
	if !ok || r.Status != outbox.StatusPending {
		return outbox.ErrNotPending
	}
	r.Attempts = attempts
	s.errors[key] = reason
	if dead {
		r.Status, r.Secret = outbox.StatusDead, ""
	}
	s.records[key] = r
	return nil
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

// fakeSender keeps what it sends; it fails the next failures calls first.
type fakeSender struct {
	mu       sync.Mutex
	failures int
	calls    int
	tried    [][]byte // every message handed over, failed or not
	sent     []sent
}

var errSES = errors.New("ses: throttled")

func (s *fakeSender) Send(_ context.Context, to string, raw []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.tried = append(s.tried, bytes.Clone(raw))
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
	sleeps  []time.Duration
	svc     *delivery.Service
}

const (
	secret     = "q8b2Lr0cXk4sWm9TzY1vNa"
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
	}
	for _, r := range records {
		e.store.records[r.Key] = r
	}
	e.svc = &delivery.Service{
		Store: e.store, Sender: e.sender, Archive: e.archive,
		From: "noreply@mail.example", PortalBaseURL: "https://portal.example/", MaxAttempts: 3,
		Now:   func() time.Time { return now0 },
		Sleep: func(d time.Duration) { e.sleeps = append(e.sleeps, d) },
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return e
}

func activation(lang string) outbox.Record {
	return outbox.Record{
		Key: "activation#" + email, Kind: outbox.KindActivation, Space: "acme", To: email, Language: lang,
		Secret: secret, Status: outbox.StatusPending, CreatedAt: now0.Add(-time.Minute),
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
			link := "https://portal.example/acme/password#token=" + secret
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
			if got.Status != outbox.StatusSent || got.SentAt == nil || !got.SentAt.Equal(now0) || got.Secret != "" {
				t.Errorf("record after send: got status %q sentAt %v secret %q, want sent at %v, secret erased", got.Status, got.SentAt, got.Secret, now0)
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

func TestFailuresThenDeadLetter(t *testing.T) {
	rec := activation("fr")
	e := newEnv(t, rec)
	e.sender.failures = 10
	ctx := context.Background()

	for attempt := 1; attempt <= 2; attempt++ {
		err := e.svc.Deliver(ctx, rec.Key)
		if err == nil || !errors.Is(err, errSES) || errors.Is(err, delivery.ErrDeadLettered) {
			t.Fatalf("attempt %d: got %v, want the send error, not dead-lettered", attempt, err)
		}
		got := e.store.record(rec.Key)
		if got.Attempts != attempt || got.Status != outbox.StatusPending || got.Secret != secret {
			t.Errorf("attempt %d: got attempts %d status %q secret %q, want %d pending with its secret", attempt, got.Attempts, got.Status, got.Secret, attempt)
		}
		if !strings.Contains(e.store.errors[rec.Key], errSES.Error()) {
			t.Errorf("attempt %d: stored reason %q, want the send error", attempt, e.store.errors[rec.Key])
		}
	}
	if want := []time.Duration{200 * time.Millisecond, 800 * time.Millisecond}; !equalDurations(e.sleeps, want) {
		t.Errorf("backoff: got %v, want %v", e.sleeps, want)
	}

	err := e.svc.Deliver(ctx, rec.Key)
	if !errors.Is(err, delivery.ErrDeadLettered) || !strings.Contains(err.Error(), errSES.Error()) {
		t.Fatalf("last attempt: got %v, want ErrDeadLettered naming the cause", err)
	}
	got := e.store.record(rec.Key)
	if got.Attempts != 3 || got.Status != outbox.StatusDead || got.Secret != "" {
		t.Errorf("dead record: got attempts %d status %q secret %q, want 3 dead erased", got.Attempts, got.Status, got.Secret)
	}
	if len(e.sleeps) != 2 {
		t.Errorf("sleeps: got %v, want none after the last attempt", e.sleeps)
	}
	if err := e.svc.Deliver(ctx, rec.Key); err != nil {
		t.Errorf("Deliver of a dead record: got %v, want nil", err)
	}
	if e.sender.calls != 3 || len(e.sender.sent) != 0 {
		t.Errorf("sends: got %d calls, %d sent; want 3, 0", e.sender.calls, len(e.sender.sent))
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAttemptsCountAcrossDeliveries(t *testing.T) {
	cases := []struct {
		name      string
		prior     int
		failures  int
		wantErr   error
		status    string
		attempts  int
		sentCount int
	}{
		{"recovers after one failure", 0, 1, nil, outbox.StatusSent, 1, 1},
		{"last attempt left succeeds", 2, 0, nil, outbox.StatusSent, 2, 1},
		{"last attempt left fails", 2, 1, delivery.ErrDeadLettered, outbox.StatusDead, 3, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := activation("fr")
			rec.Attempts = c.prior
			e := newEnv(t, rec)
			e.sender.failures = c.failures
			var err error
			for range c.failures + 1 {
				err = e.svc.Deliver(context.Background(), rec.Key)
				if errors.Is(err, delivery.ErrDeadLettered) {
					break
				}
			}
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
				t.Errorf("last Deliver: got %v, want %v", err, c.wantErr)
			}
			got := e.store.record(rec.Key)
			if got.Status != c.status || got.Attempts != c.attempts || len(e.sender.sent) != c.sentCount {
				t.Errorf("got status %q attempts %d sent %d, want %q %d %d", got.Status, got.Attempts, len(e.sender.sent), c.status, c.attempts, c.sentCount)
			}
		})
	}
}

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
	err := e.svc.Deliver(context.Background(), rec.Key)
	if err == nil {
		t.Fatal("Deliver: got nil, want the archive error")
	}
	if got := e.store.record(rec.Key); got.Attempts != 1 || got.Status != outbox.StatusPending {
		t.Errorf("record: got attempts %d status %q, want 1 pending", got.Attempts, got.Status)
	}
	if e.sender.calls != 0 {
		t.Errorf("sends: got %d, want 0", e.sender.calls)
	}
}

func TestSettledOrMissingRecords(t *testing.T) {
	at := now0.Add(-time.Hour)
	sentRec := activation("fr")
	sentRec.Status, sentRec.SentAt, sentRec.Secret = outbox.StatusSent, &at, ""
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
	if err := e.svc.Deliver(context.Background(), rec.Key); err == nil {
		t.Fatal("first Deliver: got nil, want the send error")
	}
	if err := e.svc.Deliver(context.Background(), rec.Key); err != nil {
		t.Fatalf("second Deliver: %v", err)
	}
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

func recoveryRecord(lang string) outbox.Record {
	return outbox.Record{
		Key: outbox.RecoveryKey("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"), Kind: outbox.KindRecovery,
		Space: "acme", To: email, Language: lang, Secret: secret, Status: outbox.StatusPending,
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
			link := "https://portal.example/acme/password#token=" + secret
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
			if got.Status != outbox.StatusSent || got.Secret != "" {
				t.Errorf("record after send: got status %q secret %q, want sent and erased", got.Status, got.Secret)
			}
		})
	}
}

// TestRecoveryWithoutToken refuses to mail a link it cannot build.
func TestRecoveryWithoutToken(t *testing.T) {
	rec := recoveryRecord("fr")
	rec.Secret = ""
	e := newEnv(t, rec)
	if err := e.svc.Deliver(context.Background(), rec.Key); err == nil {
		t.Fatal("Deliver: got nil, want an error")
	}
	if e.sender.calls != 0 {
		t.Errorf("sends: got %d, want 0", e.sender.calls)
	}
	if got := e.store.record(rec.Key); got.Attempts != 1 {
		t.Errorf("attempts: got %d, want 1", got.Attempts)
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
	if err := e.svc.Deliver(context.Background(), rec.Key); err == nil {
		t.Fatal("Deliver: got nil, want an error")
	}
	if e.sender.calls != 0 {
		t.Errorf("sends: got %d, want 0", e.sender.calls)
	}
}
