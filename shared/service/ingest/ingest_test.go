package ingest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"mime"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/tokens"
	"github.com/efacture/efacture/shared/service/ingest"
)

// now0 is the fixed clock of most tests: 11:00 in Paris.
var now0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

const email = "pierre.durand@example.fr"

type env struct {
	objects *fakeObjects
	store   *fakeStore
	svc     *ingest.Service
	now     time.Time
}

func normalized(t *testing.T, s spaces.Space) spaces.Space {
	t.Helper()
	if err := s.Normalize(); err != nil {
		t.Fatalf("space %s: %v", s.ID, err)
	}
	return s
}

// newEnv has three spaces: acme with every default, small with tight size limits and
// beta with its own profiles.
func newEnv(t *testing.T) *env {
	t.Helper()
	acme := normalized(t, spaces.Space{ID: "acme", Name: "Acme Finance", Since: "2022-12-02"})
	small := normalized(t, spaces.Space{ID: "small", Name: "Small Supplies", Since: "2024-01-01", MaxDocumentBytes: 4096, AttachmentThreshold: 1024})
	beta := normalized(t, spaces.Space{ID: "beta", Name: "Beta Location", Since: "2023-05-01", Profiles: []string{"Comptable", "Acheteur"}})
	e := &env{objects: newFakeObjects(), store: newFakeStore(acme, small, beta), now: now0}
	key, err := tokens.NewMailKey([]byte(strings.Repeat("k", 32)))
	if err != nil {
		t.Fatal(err)
	}
	e.svc = &ingest.Service{
		Objects: e.objects, Store: e.store, MailKey: key,
		Now: func() time.Time { return e.now },
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	return e
}

func (e *env) handle(t *testing.T, event string) {
	t.Helper()
	e.handleAs(t, event, "")
}

// handleAs handles an event whose record names principal as the object's writer.
func (e *env) handleAs(t *testing.T, event, principal string) {
	t.Helper()
	if err := e.svc.Handle(context.Background(), event, principal); err != nil {
		t.Fatalf("Handle(%q, %q): got error %v", event, principal, err)
	}
}

// pdf is a small body that passes the %PDF- check; text makes the bytes distinct.
func pdf(text string) []byte {
	return []byte("%PDF-1.7\n1 0 obj << /Title (" + text + ") >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

// sized is a PDF body of exactly n bytes.
func sized(n int) []byte {
	b := bytes.Repeat([]byte{' '}, n)
	copy(b, "%PDF-1.4\n")
	return b
}

func meta(customer, number, issueDate string, kv ...string) map[string]string {
	m := map[string]string{"customer-number": customer, "document-number": number, "document-type": "invoice", "issue-date": issueDate}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func customer(space, number, mail string, edit ...func(*customers.Customer)) customers.Customer {
	c := customers.Customer{
		Space: space, Number: number, CompanyName: "Company " + number, Email: mail,
		Notification: customers.NotifyNone, Delivery: customers.DeliveryElectronic, Language: "fr",
	}
	for _, f := range edit {
		f(&c)
	}
	return c
}

// rejection reads the .error.json beside a rejected file and checks its JSON shape.
func (e *env) rejection(t *testing.T, rejectedKey string) documents.Rejection {
	t.Helper()
	obj, ok := e.objects.object(rejectedKey + ".error.json")
	if !ok {
		t.Fatalf("no %s.error.json; bucket holds %q", rejectedKey, e.objects.keys(""))
	}
	if ct := e.objects.contentTypes[rejectedKey+".error.json"]; ct != "application/json" {
		t.Errorf("error.json content type: got %q, want application/json", ct)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(obj.Body, &raw); err != nil {
		t.Fatalf("error.json is not JSON: %v\n%s", err, obj.Body)
	}
	if got, want := slices.Sorted(maps.Keys(raw)), []string{"code", "fields", "key", "message_en", "message_fr"}; !reflect.DeepEqual(got, want) {
		t.Errorf("error.json keys: got %q, want %q", got, want)
	}
	var r documents.Rejection
	if err := json.Unmarshal(obj.Body, &r); err != nil {
		t.Fatal(err)
	}
	if r.MessageEN == "" || r.MessageFR == "" || r.MessageEN == r.MessageFR {
		t.Errorf("messages: got en %q, fr %q; want two distinct messages", r.MessageEN, r.MessageFR)
	}
	return r
}

func TestFileDocumentForKnownCustomer(t *testing.T) {
	e := newEnv(t)
	e.store.addCustomer(customer("acme", "C001", email, func(c *customers.Customer) { c.CompanyName = "Durand SARL" }))
	body := pdf("F-2026-001")
	key := "inbox/acme/documents/2026/F 001.pdf"
	e.objects.drop(key, body, meta("C001", "F-2026-001", "2026-11-20", "amount", "1 234,56", "currency", "eur"))

	e.handle(t, "inbox/acme/documents/2026/F+001.pdf")

	docs := e.store.documents()
	if len(docs) != 1 {
		t.Fatalf("got %d documents, want 1", len(docs))
	}
	d := docs[0]
	sum := digest(body)
	if !d.ExpiresAt.Equal(time.Date(2028, 11, 20, 22, 59, 59, 0, time.UTC)) || d.ExpiresAt.Location() != time.UTC {
		t.Errorf("ExpiresAt: got %v, want 2028-11-20T22:59:59Z (end of day in Paris, in UTC)", d.ExpiresAt)
	}
	if !d.IngestedAt.Equal(now0) {
		t.Errorf("IngestedAt: got %v, want %v", d.IngestedAt, now0)
	}
	d.ExpiresAt, d.IngestedAt = time.Time{}, time.Time{}
	want := documents.Document{
		Space: "acme", CustomerNumber: "C001", Number: "F-2026-001", Type: documents.Invoice, IssueDate: "2026-11-20",
		Amount: "1234.56", Currency: "EUR", SHA256: sum, Size: int64(len(body)),
		ArchiveKey: archiveKey("2026-11-20", "F-2026-001", sum), SourceKey: key,
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("document:\ngot  %+v\nwant %+v", d, want)
	}
	if got := e.objects.archive[want.ArchiveKey]; !bytes.Equal(got, body) {
		t.Errorf("archive %s: got %d bytes, want the %d inbox bytes unchanged", want.ArchiveKey, len(got), len(body))
	}
	if left := e.objects.keys(""); len(left) != 0 {
		t.Errorf("inbox bucket: got %q, want nothing left", left)
	}

	acct, ok := e.store.account(email)
	if !ok {
		t.Fatalf("no account %q; accounts: %v", email, e.store.accounts)
	}
	acct.CreatedAt = acct.CreatedAt.UTC()
	wantAcct := accounts.Account{
		Identifier: email, Space: "acme", CustomerNumber: "C001", Email: email, Active: true, Admin: true,
		RegisteredAdmin: true, Profile: spaces.DefaultProfile, HistoryMonths: accounts.DefaultHistoryMonths,
		Language: "fr", CreatedAt: now0,
	}
	if !reflect.DeepEqual(acct, wantAcct) {
		t.Errorf("account:\ngot  %+v\nwant %+v", acct, wantAcct)
	}

	acts := e.store.outboxOf(outbox.KindActivation)
	if len(acts) != 1 {
		t.Fatalf("got %d activation records, want 1", len(acts))
	}
	a := acts[0]
	if a.Key != "activation#"+email || a.To != email || a.Space != "acme" || a.Language != "fr" || a.Status != outbox.StatusPending {
		t.Errorf("activation record: got %+v", a)
	}
	if len(a.Nonce) != 22 {
		t.Errorf("activation nonce: got %q, want 22 characters", a.Nonce)
	}
	wantData := map[string]string{"identifier": email, "companyName": "Durand SARL", "customerNumber": "C001"}
	if !reflect.DeepEqual(a.Data, wantData) {
		t.Errorf("activation data: got %v, want %v", a.Data, wantData)
	}
	// The record holds no token; the one its key and nonce derive is stored by hash.
	tok, ok := e.store.tokens[tokens.Hash(e.svc.MailKey.Token(tokens.KindActivation, a.Key, a.Nonce, 0))]
	if !ok {
		t.Fatal("no token stored under the hash of the derived token")
	}
	if tok.Kind != tokens.KindActivation || tok.Identifier != email || tok.Space != "acme" || tok.CustomerNumber != "C001" ||
		!tok.ExpiresAt.Equal(now0.Add(7*24*time.Hour)) {
		t.Errorf("token: got %+v", tok)
	}
	if c := e.store.customer("acme", "C001"); c.AdminEmail != email || c.AdminID != email {
		t.Errorf("customer admin: got %q / %q, want %q / %q", c.AdminEmail, c.AdminID, email, email)
	}
	if n := e.store.outboxOf(outbox.KindNotify); len(n) != 0 {
		t.Errorf("notification mode none: got %d notify records, want 0", len(n))
	}
}

func TestIdentifiersForOneEmail(t *testing.T) {
	e := newEnv(t)
	drops := []struct{ space, customer, key, want string }{
		{"acme", "C001", "inbox/acme/documents/a.pdf", email},
		{"acme", "C002", "inbox/acme/documents/b.pdf", "pierre.durand_1"},
		{"beta", "B-17", "inbox/beta/documents/c.pdf", "pierre.durand_2"},
	}
	for _, d := range drops {
		e.store.addCustomer(customer(d.space, d.customer, email))
		e.objects.drop(d.key, pdf(d.key), meta(d.customer, "F1", "2026-11-20"))
	}
	for _, d := range drops {
		e.handle(t, d.key)
		acct, ok := e.store.account(d.want)
		if !ok {
			t.Fatalf("%s: no account %q", d.customer, d.want)
		}
		if acct.Space != d.space || acct.CustomerNumber != d.customer || acct.Email != email || !acct.RegisteredAdmin {
			t.Errorf("account %q: got %+v", d.want, acct)
		}
		if c := e.store.customer(d.space, d.customer); c.AdminID != d.want {
			t.Errorf("%s AdminID: got %q, want %q", d.customer, c.AdminID, d.want)
		}
		rec, ok := e.store.outbox["activation#"+d.want]
		if !ok {
			t.Fatalf("no outbox record activation#%s", d.want)
		}
		if rec.To != email || rec.Data["identifier"] != d.want {
			t.Errorf("activation#%s: got to %q, identifier %q", d.want, rec.To, rec.Data["identifier"])
		}
	}
	if acct, _ := e.store.account("pierre.durand_2"); acct.Profile != "Comptable" {
		t.Errorf("beta account profile: got %q, want the space's first profile Comptable", acct.Profile)
	}
	if n := len(e.store.outboxOf(outbox.KindActivation)); n != 3 {
		t.Errorf("got %d activation records, want 3", n)
	}
}

func TestSameEventTwice(t *testing.T) {
	e := newEnv(t)
	e.store.addCustomer(customer("acme", "C001", email))
	e.objects.drop("inbox/acme/documents/F1.pdf", pdf("one"), meta("C001", "F1", "2026-11-20"))
	e.handle(t, "inbox/acme/documents/F1.pdf")
	e.handle(t, "inbox/acme/documents/F1.pdf")
	if n := len(e.store.documents()); n != 1 {
		t.Errorf("got %d documents, want 1", n)
	}
	if n := len(e.store.outboxOf(outbox.KindActivation)); n != 1 {
		t.Errorf("got %d activation records, want 1", n)
	}
	if n := len(e.store.accounts); n != 1 {
		t.Errorf("got %d accounts, want 1", n)
	}
}

func TestSameBytesUnderAnotherKey(t *testing.T) {
	e := newEnv(t)
	e.store.addCustomer(customer("acme", "C001", email))
	body := pdf("one")
	e.objects.drop("inbox/acme/documents/F1.pdf", body, meta("C001", "F1", "2026-11-20"))
	e.objects.drop("inbox/acme/documents/again/F1 bis.pdf", body, meta("C001", "F1", "2026-11-20"))
	e.handle(t, "inbox/acme/documents/F1.pdf")
	e.handle(t, "inbox/acme/documents/again/F1+bis.pdf")
	if n := len(e.store.documents()); n != 1 {
		t.Errorf("got %d documents, want 1", n)
	}
	if n := len(e.store.outboxOf(outbox.KindActivation)); n != 1 {
		t.Errorf("got %d activation records, want 1", n)
	}
	if left := e.objects.keys(""); len(left) != 0 {
		t.Errorf("bucket: got %q, want both inbox objects deleted and nothing rejected", left)
	}
	if e.store.fileCalls != 1 {
		t.Errorf("File calls: got %d, want 1", e.store.fileCalls)
	}
}

func TestSameNumberOtherBytes(t *testing.T) {
	e := newEnv(t)
	e.store.addCustomer(customer("acme", "C001", email))
	first, second := pdf("original"), pdf("corrected")
	e.objects.drop("inbox/acme/documents/F1.pdf", first, meta("C001", "F1", "2026-11-20"))
	e.objects.drop("inbox/acme/documents/F1-v2.pdf", second, meta("C001", "F1", "2026-11-20"))
	e.handle(t, "inbox/acme/documents/F1.pdf")
	e.handle(t, "inbox/acme/documents/F1-v2.pdf")

	docs := e.store.documents()
	if len(docs) != 1 || docs[0].SHA256 != digest(first) {
		t.Fatalf("documents: got %+v, want only the first", docs)
	}
	r := e.rejection(t, "rejected/acme/documents/F1-v2.pdf")
	if r.Code != documents.CodeConflict || !reflect.DeepEqual(r.Fields, []string{"document-number"}) {
		t.Errorf("rejection: got %s %q, want conflict [document-number]", r.Code, r.Fields)
	}
	if obj, _ := e.objects.object("rejected/acme/documents/F1-v2.pdf"); !bytes.Equal(obj.Body, second) {
		t.Error("rejected file does not hold the dropped bytes")
	}
	if _, ok := e.objects.archive[archiveKey("2026-11-20", "F1", digest(second))]; ok {
		t.Error("the conflicting bytes were archived")
	}
	if left := e.objects.keys("inbox/"); len(left) != 0 {
		t.Errorf("inbox: got %q, want empty", left)
	}
}

// TestConflictBetweenClaimAndFile covers another delivery filing the number after this
// one's ClaimOf: the archive copy made for nothing is removed and the file rejected.
func TestConflictBetweenClaimAndFile(t *testing.T) {
	cases := []struct {
		name     string
		other    func(body []byte) string
		rejected bool
	}{
		{"other bytes", func([]byte) string { return digest([]byte("someone else")) }, true},
		{"same bytes", digest, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.store.addCustomer(customer("acme", "C001", email))
			body := pdf("racing")
			e.objects.drop("inbox/acme/documents/F1.pdf", body, meta("C001", "F1", "2026-11-20"))
			e.store.beforeFile = func() {
				e.store.mu.Lock()
				e.store.claims["acme#C001#F1"] = c.other(body)
				e.store.mu.Unlock()
			}
			e.handle(t, "inbox/acme/documents/F1.pdf")
			archiveKey := archiveKey("2026-11-20", "F1", digest(body))
			_, archived := e.objects.archive[archiveKey]
			if c.rejected {
				if r := e.rejection(t, "rejected/acme/documents/F1.pdf"); r.Code != documents.CodeConflict {
					t.Errorf("code: got %q, want conflict", r.Code)
				}
				if archived {
					t.Errorf("archive %s: still there, want it removed", archiveKey)
				}
			} else {
				if got := e.objects.keys("rejected/"); len(got) != 0 {
					t.Errorf("rejected: got %q, want nothing", got)
				}
				if !archived {
					t.Errorf("archive %s: missing", archiveKey)
				}
			}
			if left := e.objects.keys("inbox/"); len(left) != 0 {
				t.Errorf("inbox: got %q, want empty", left)
			}
			if n := len(e.store.outbox); n != 0 {
				t.Errorf("got %d outbox records, want none", n)
			}
		})
	}
}

func TestRejections(t *testing.T) {
	valid := meta("C001", "F-2026-001", "2026-11-20", "amount", "1234.56", "currency", "EUR")
	matchingXML := ingest.XMLInvoice{Number: "F-2026-001", TypeCode: "380", IssueDate: "2026-11-20", GrandTotal: "1234.56", Currency: "EUR"}
	xmlReader := func(x ingest.XMLInvoice) ingest.FacturXReader {
		return func([]byte) (*ingest.XMLInvoice, error) { return &x, nil }
	}
	cases := []struct {
		name    string
		event   string // as S3 sends it
		key     string // decoded; "" means event
		body    []byte
		meta    map[string]string
		now     time.Time
		readXML ingest.FacturXReader
		setup   func(*env)
		code    string
		fields  []string
		mention []string // in message_en
	}{
		{name: "not a pdf", event: "inbox/acme/documents/F1.pdf", body: []byte("PK\x03\x04 a zip file"), meta: valid,
			code: documents.CodeNotPDF, fields: []string{"body"}},
		{name: "pdf header too late", event: "inbox/acme/documents/F1.pdf", body: append(bytes.Repeat([]byte("x"), 1024), "%PDF-1.7"...), meta: valid,
			code: documents.CodeNotPDF, fields: []string{"body"}},
		{name: "empty", event: "inbox/acme/documents/F1.pdf", body: []byte{}, meta: valid,
			code: documents.CodeEmpty, fields: []string{"body"}},
		{name: "too large", event: "inbox/small/documents/F1.pdf", body: sized(4097), meta: valid,
			code: documents.CodeTooLarge, fields: []string{"body"}, mention: []string{"4097", "4096"}},
		{name: "text under documents", event: "inbox/acme/documents/F1.txt", body: []byte("hello"), meta: valid,
			code: documents.CodeBadExtension, fields: []string{"key"}, mention: []string{".txt"}},
		{name: "no extension under documents", event: "inbox/acme/documents/F1", body: pdf("x"), meta: valid,
			code: documents.CodeBadExtension, fields: []string{"key"}},
		{name: "spreadsheet under customers", event: "inbox/acme/customers/list.xlsx", body: []byte("PK\x03\x04"),
			code: documents.CodeBadExtension, fields: []string{"key"}, mention: []string{".xlsx"}},
		{name: "unknown space", event: "inbox/nowhere/documents/F1.pdf", body: pdf("x"), meta: valid,
			code: documents.CodeUnknownSpace, fields: []string{"key"}, mention: []string{`"nowhere"`}},
		{name: "unknown folder", event: "inbox/acme/invoices/F1.pdf", body: pdf("x"), meta: valid,
			code: documents.CodeBadValue, fields: []string{"key"}},
		{name: "no metadata", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: map[string]string{"amount": "12.00"},
			code: documents.CodeMissingField, fields: []string{"customer-number", "document-number", "document-type", "issue-date"}},
		{name: "bad type", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: meta("C001", "F1", "2026-11-20", "document-type", "quote"),
			code: documents.CodeBadValue, fields: []string{"document-type"}},
		{name: "bad date", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: meta("C001", "F1", "26/11/2026"),
			code: documents.CodeBadValue, fields: []string{"issue-date"}},
		{name: "bad amount", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: meta("C001", "F1", "2026-11-20", "amount", "12 euros"),
			code: documents.CodeBadValue, fields: []string{"amount"}},
		{name: "unreadable factur-x", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: valid,
			readXML: func([]byte) (*ingest.XMLInvoice, error) { return nil, errors.New("broken attachment stream") },
			code:    documents.CodeBadValue, fields: []string{"factur-x.xml"}, mention: []string{"broken attachment stream"}},
		{name: "tomorrow in Paris", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: meta("C001", "F1", "2026-11-28"),
			now:  time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC),
			code: documents.CodeFutureDate, fields: []string{"issue-date"}, mention: []string{"2026-11-27", "Europe/Paris"}},
		{name: "past retention", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: meta("C001", "F1", "2024-11-25"),
			code: documents.CodePastRetention, fields: []string{"issue-date"}, mention: []string{"24-month"}},
		{name: "metadata and xml disagree", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: valid,
			readXML: xmlReader(ingest.XMLInvoice{Number: "F-2026-002", TypeCode: "381", IssueDate: "2026-11-19", GrandTotal: "1234.50", Currency: "USD"}),
			code:    documents.CodeMetadataMismatch,
			fields:  []string{"document-number", "document-type", "issue-date", "amount", "currency"},
			mention: []string{"F-2026-002", "BT-112"}},
		{name: "xml amount disagrees", event: "inbox/acme/documents/F1.pdf", body: pdf("x"),
			meta:    meta("C001", "F-2026-001", "2026-11-20", "amount", "1 234,56"),
			readXML: xmlReader(ingest.XMLInvoice{Number: "F-2026-001", GrandTotal: "1243.56"}),
			code:    documents.CodeMetadataMismatch, fields: []string{"amount"}},
		{name: "factur-x without a type anywhere", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: map[string]string{"customer-number": "C001"},
			readXML: xmlReader(ingest.XMLInvoice{Number: "F-2026-001", IssueDate: "2026-11-20", GrandTotal: "10.00"}),
			code:    documents.CodeMissingField, fields: []string{"document-type"}, mention: []string{"Factur-X"}},
		{name: "plain pdf with only a customer number", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: map[string]string{"customer-number": "C001"},
			readXML: func([]byte) (*ingest.XMLInvoice, error) { return nil, ingest.ErrNoXML },
			code:    documents.CodeMissingField, fields: []string{"document-number", "document-type", "issue-date"}},
		{name: "factur-x only, no customer number", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: map[string]string{},
			readXML: xmlReader(matchingXML), code: documents.CodeMissingField, fields: []string{"customer-number"}},
		{name: "xml type code the portal has no type for", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: map[string]string{"customer-number": "C001"},
			readXML: xmlReader(func() ingest.XMLInvoice { x := matchingXML; x.TypeCode = "384"; return x }()),
			code:    documents.CodeBadValue, fields: []string{"BT-3"}, mention: []string{"Factur-X"}},
		{name: "xml issue date in the future", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: map[string]string{"customer-number": "C001"},
			readXML: xmlReader(func() ingest.XMLInvoice { x := matchingXML; x.IssueDate = "2026-12-01"; return x }()),
			code:    documents.CodeFutureDate, fields: []string{"issue-date"}},
		{name: "partial metadata disagrees with xml", event: "inbox/acme/documents/F1.pdf", body: pdf("x"),
			meta:    map[string]string{"customer-number": "C001", "document-number": "F-2026-009"},
			readXML: xmlReader(matchingXML), code: documents.CodeMetadataMismatch, fields: []string{"document-number"}, mention: []string{"F-2026-009"}},
		{name: "buyer siren", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: valid,
			readXML: xmlReader(func() ingest.XMLInvoice { x := matchingXML; x.BuyerSIREN = "987654321"; return x }()),
			setup: func(e *env) {
				e.store.addCustomer(customer("acme", "C001", email, func(c *customers.Customer) { c.SIREN = "123456789" }))
			},
			code: documents.CodeSirenMismatch, fields: []string{"BuyerTradeParty"}, mention: []string{"987654321"}},
		{name: "conflict", event: "inbox/acme/documents/F1.pdf", body: pdf("x"), meta: valid,
			setup: func(e *env) {
				e.objects.drop("inbox/acme/documents/F0.pdf", pdf("first"), valid)
				if err := e.svc.Handle(context.Background(), "inbox/acme/documents/F0.pdf", ""); err != nil {
					panic(err)
				}
			},
			code: documents.CodeConflict, fields: []string{"document-number"}, mention: []string{"credit note"}},
		{name: "key decoded", event: "inbox/acme/documents/Re%C3%A7us/F+1%20bis.pdf", key: "inbox/acme/documents/Reçus/F 1 bis.pdf",
			body: []byte("not a pdf"), meta: valid, code: documents.CodeNotPDF, fields: []string{"body"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			if !c.now.IsZero() {
				e.now = c.now
			}
			e.svc.ReadXML = c.readXML
			if c.setup != nil {
				c.setup(e)
			}
			key := c.key
			if key == "" {
				key = c.event
			}
			e.objects.drop(key, c.body, c.meta)
			docsBefore := len(e.store.documents())
			outboxBefore := len(e.store.outbox)

			e.handle(t, c.event)

			rejected := "rejected/" + strings.TrimPrefix(key, "inbox/")
			r := e.rejection(t, rejected)
			if r.Code != c.code {
				t.Errorf("code: got %q, want %q (%s)", r.Code, c.code, r.MessageEN)
			}
			if !reflect.DeepEqual(r.Fields, c.fields) {
				t.Errorf("fields: got %q, want %q", r.Fields, c.fields)
			}
			if r.Key != key {
				t.Errorf("key: got %q, want %q", r.Key, key)
			}
			for _, m := range c.mention {
				if !strings.Contains(r.MessageEN, m) {
					t.Errorf("message_en %q does not mention %q", r.MessageEN, m)
				}
			}
			obj, ok := e.objects.object(rejected)
			if !ok || !bytes.Equal(obj.Body, c.body) {
				t.Errorf("%s: got %q (present %v), want the dropped bytes", rejected, obj.Body, ok)
			}
			if _, ok := e.objects.object(key); ok {
				t.Errorf("inbox object %s: still there, want it deleted", key)
			}
			if n := len(e.store.documents()); n != docsBefore {
				t.Errorf("documents: got %d, want %d", n, docsBefore)
			}
			if n := len(e.store.outbox); n != outboxBefore {
				t.Errorf("outbox records: got %d, want %d", n, outboxBefore)
			}
		})
	}
}

// TestIssueDateInSpaceZone checks the date rules against the space's calendar, not UTC's.
func TestIssueDateInSpaceZone(t *testing.T) {
	cases := []struct {
		name  string
		now   time.Time
		issue string
		code  string // "" means filed
	}{
		{"today in Paris, tomorrow in UTC", time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC), "2026-11-27", ""},
		{"day after in Paris", time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC), "2026-11-28", documents.CodeFutureDate},
		{"tomorrow in both", now0, "2026-11-27", documents.CodeFutureDate},
		{"today", now0, "2026-11-26", ""},
		{"summer time", time.Date(2026, 6, 30, 22, 30, 0, 0, time.UTC), "2026-07-01", ""},
		{"summer time, a day later", time.Date(2026, 6, 30, 21, 30, 0, 0, time.UTC), "2026-07-01", documents.CodeFutureDate},
		{"last visible day", now0, "2024-11-26", ""},
		{"retention just over", now0, "2024-11-25", documents.CodePastRetention},
		{"retention over at midnight in Paris", time.Date(2026, 11, 26, 23, 0, 0, 0, time.UTC), "2024-11-26", documents.CodePastRetention},
		{"one second before the end", time.Date(2026, 11, 26, 22, 59, 58, 0, time.UTC), "2024-11-26", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.now = c.now
			e.objects.drop("inbox/acme/documents/F1.pdf", pdf("x"), meta("C001", "F1", c.issue))
			e.handle(t, "inbox/acme/documents/F1.pdf")
			docs := e.store.documents()
			if c.code == "" {
				if len(docs) != 1 {
					t.Fatalf("got %d documents, want 1; bucket %q", len(docs), e.objects.keys(""))
				}
				return
			}
			if len(docs) != 0 {
				t.Errorf("got %d documents, want 0", len(docs))
			}
			if r := e.rejection(t, "rejected/acme/documents/F1.pdf"); r.Code != c.code {
				t.Errorf("code: got %q, want %q", r.Code, c.code)
			}
		})
	}
}

func TestKeysDecoded(t *testing.T) {
	cases := []struct{ event, key string }{
		{"inbox/acme/documents/2026/F+001.pdf", "inbox/acme/documents/2026/F 001.pdf"},
		{"inbox/acme/documents/2026/F%20002.pdf", "inbox/acme/documents/2026/F 002.pdf"},
		{"inbox/acme/documents/D%C3%A9cembre/Fa%C3%A7ade+%E2%84%963.pdf", "inbox/acme/documents/Décembre/Façade №3.pdf"},
		{"inbox/acme/documents/A%2BB.pdf", "inbox/acme/documents/A+B.pdf"},
		{"inbox/acme/documents/UPPER.PDF", "inbox/acme/documents/UPPER.PDF"},
		{"inbox/acme/documents/mixed.Pdf", "inbox/acme/documents/mixed.Pdf"},
	}
	e := newEnv(t)
	for i, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			number := "F" + string(rune('A'+i))
			e.objects.drop(c.key, pdf(c.key), meta("C001", number, "2026-11-20"))
			e.handle(t, c.event)
			var found *documents.Document
			for _, d := range e.store.documents() {
				if d.Number == number {
					found = &d
				}
			}
			if found == nil {
				t.Fatalf("document %s not filed; bucket %q", number, e.objects.keys(""))
			}
			if found.SourceKey != c.key {
				t.Errorf("SourceKey: got %q, want %q", found.SourceKey, c.key)
			}
			if _, ok := e.objects.object(c.key); ok {
				t.Errorf("inbox object %q not deleted", c.key)
			}
		})
	}
	if got := e.objects.keys("rejected/"); len(got) != 0 {
		t.Errorf("rejected: got %q, want nothing", got)
	}
}

func TestKeysOutsideInboxIgnored(t *testing.T) {
	for _, event := range []string{
		"rejected/acme/documents/F1.pdf",
		"processed/acme/customers/x.csv.20261126T100000Z",
		"reports/acme/customers/x.csv.20261126T100000Z.report.json",
		"rejected/acme/documents/F1.pdf.error.json",
		"inbox/acme/",
		"inbox/acme/documents/",
		"inbox//documents/F1.pdf",
		"F1.pdf",
	} {
		t.Run(event, func(t *testing.T) {
			e := newEnv(t)
			e.objects.drop(event, pdf("x"), meta("C001", "F1", "2026-11-20"))
			e.handle(t, event)
			if len(e.objects.writes) != 0 {
				t.Errorf("got writes %q, want none", e.objects.writes)
			}
			if _, ok := e.objects.object(event); !ok {
				t.Errorf("object %q was removed", event)
			}
			if n := len(e.store.documents()); n != 0 {
				t.Errorf("got %d documents, want 0", n)
			}
		})
	}
}

func TestUnknownCustomer(t *testing.T) {
	e := newEnv(t)
	body := pdf("stranger")
	e.objects.drop("inbox/acme/documents/F1.pdf", body, meta("C999", "F1", "2026-11-20"))
	e.handle(t, "inbox/acme/documents/F1.pdf")
	docs := e.store.documents()
	if len(docs) != 1 || docs[0].CustomerNumber != "C999" || docs[0].Duplicate {
		t.Fatalf("documents: got %+v, want one for C999", docs)
	}
	if _, ok := e.objects.archive[docs[0].ArchiveKey]; !ok {
		t.Errorf("archive %s missing", docs[0].ArchiveKey)
	}
	if len(e.store.accounts) != 0 || len(e.store.outbox) != 0 {
		t.Errorf("got accounts %v and outbox %v, want none", e.store.accounts, e.store.outbox)
	}
	if left := e.objects.keys(""); len(left) != 0 {
		t.Errorf("inbox bucket: got %q, want empty", left)
	}
}

func TestDocumentFlags(t *testing.T) {
	cases := []struct {
		name            string
		delivery        string
		copyMeta        string
		duplicate, copy bool
	}{
		{"electronic", customers.DeliveryElectronic, "", false, false},
		{"paper", customers.DeliveryPaper, "", true, false},
		{"copy", customers.DeliveryElectronic, "true", false, true},
		{"paper copy", customers.DeliveryPaper, "yes", true, true},
		{"copy false", customers.DeliveryElectronic, "false", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.store.addCustomer(customer("acme", "C001", email, func(cu *customers.Customer) {
				cu.Delivery, cu.Notification = c.delivery, customers.NotifyLink
			}))
			m := meta("C001", "F1", "2026-11-20")
			if c.copyMeta != "" {
				m["copy"] = c.copyMeta
			}
			e.objects.drop("inbox/acme/documents/F1.pdf", pdf("x"), m)
			e.handle(t, "inbox/acme/documents/F1.pdf")
			docs := e.store.documents()
			if len(docs) != 1 {
				t.Fatalf("got %d documents, want 1", len(docs))
			}
			if docs[0].Duplicate != c.duplicate || docs[0].Copy != c.copy {
				t.Errorf("got Duplicate %v Copy %v, want %v %v", docs[0].Duplicate, docs[0].Copy, c.duplicate, c.copy)
			}
			n := e.store.outboxOf(outbox.KindNotify)
			if len(n) != 1 {
				t.Fatalf("got %d notify records, want 1", len(n))
			}
			if got, want := n[0].Data["duplicate"]+" "+n[0].Data["copy"], boolString(c.duplicate)+" "+boolString(c.copy); got != want {
				t.Errorf("notify duplicate/copy: got %q, want %q", got, want)
			}
		})
	}
}

// TestMailHeld: while SES reports the registered e-mail bouncing, a document queues no
// notification and no digest entry (PRODUCT.md §5); a status recorded against a former
// address holds nothing.
func TestMailHeld(t *testing.T) {
	cases := []struct {
		name, mode, statusEmail string
		held                    bool
	}{
		{"link, bounced", customers.NotifyLink, email, true},
		{"attachment, complaint, address in another case", customers.NotifyAttachment, strings.ToUpper(email), true},
		{"digest, bounced", customers.NotifyDigest, email, true},
		{"link, status of a former address", customers.NotifyLink, "ancien@example.fr", false},
		{"digest, status of a former address", customers.NotifyDigest, "ancien@example.fr", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.store.addCustomer(customer("acme", "C001", email, func(cu *customers.Customer) {
				cu.Notification, cu.MailStatus, cu.MailStatusEmail, cu.MailStatusAt = c.mode, "bounced: address unknown", c.statusEmail, now0.Add(-time.Hour)
			}))
			e.objects.drop("inbox/acme/documents/F1.pdf", pdf("x"), meta("C001", "F1", "2026-11-20"))
			e.handle(t, "inbox/acme/documents/F1.pdf")
			if len(e.store.documents()) != 1 {
				t.Fatal("document not filed")
			}
			queued := len(e.store.outboxOf(outbox.KindNotify)) + len(e.store.digests)
			if c.held && queued != 0 {
				t.Errorf("got %d notifications and digest entries, want none", queued)
			}
			if !c.held && queued != 1 {
				t.Errorf("got %d notifications and digest entries, want 1", queued)
			}
			// The activation, which opens the account, is not a notification.
			if n := len(e.store.outboxOf(outbox.KindActivation)); n != 1 {
				t.Errorf("got %d activation mails, want 1", n)
			}
		})
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestNotificationModes(t *testing.T) {
	cases := []struct {
		name     string
		space    string
		mode     string
		mail     string
		size     int
		wantMode string // "" means no notify record
	}{
		{"none", "acme", customers.NotifyNone, email, 500, ""},
		{"digest waits for the digest", "acme", customers.NotifyDigest, email, 500, ""},
		{"link", "acme", customers.NotifyLink, email, 500, customers.NotifyLink},
		{"attachment", "small", customers.NotifyAttachment, email, 1000, customers.NotifyAttachment},
		{"attachment at the threshold", "small", customers.NotifyAttachment, email, 1024, customers.NotifyAttachment},
		{"attachment above the threshold", "small", customers.NotifyAttachment, email, 1025, customers.NotifyLink},
		{"no e-mail", "acme", customers.NotifyLink, "", 500, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.store.addCustomer(customer(c.space, "C001", c.mail, func(cu *customers.Customer) {
				cu.Notification, cu.Language, cu.CompanyName = c.mode, "en", "Durand SARL"
			}))
			key := "inbox/" + c.space + "/documents/F1.pdf"
			e.objects.drop(key, sized(c.size), meta("C001", "F 2026/1", "2026-11-20", "document-type", "381", "amount", "-12,5", "currency", "EUR"))
			e.handle(t, key)
			docs := e.store.documents()
			if len(docs) != 1 {
				t.Fatalf("got %d documents, want 1; bucket %q", len(docs), e.objects.keys(""))
			}
			n := e.store.outboxOf(outbox.KindNotify)
			if c.wantMode == "" {
				if len(n) != 0 {
					t.Errorf("got notify records %+v, want none", n)
				}
				return
			}
			if len(n) != 1 {
				t.Fatalf("got %d notify records, want 1", len(n))
			}
			r := n[0]
			if want := "notify#" + c.space + "#C001#F 2026/1"; r.Key != want {
				t.Errorf("key: got %q, want %q", r.Key, want)
			}
			if r.To != c.mail || r.Space != c.space || r.Language != "en" || r.Status != outbox.StatusPending || r.Nonce != "" {
				t.Errorf("record: got %+v", r)
			}
			want := map[string]string{
				"mode": c.wantMode, "companyName": "Durand SARL", "number": "F 2026/1", "type": documents.CreditNote,
				"issueDate": "2026-11-20", "amount": "-12.50", "currency": "EUR", "archiveKey": docs[0].ArchiveKey,
				"duplicate": "false", "copy": "false", "customerNumber": "C001",
			}
			if !reflect.DeepEqual(r.Data, want) {
				t.Errorf("data:\ngot  %v\nwant %v", r.Data, want)
			}
		})
	}
}

func TestEncodedMetadata(t *testing.T) {
	e := newEnv(t)
	m := map[string]string{
		"Customer-Number": mime.QEncoding.Encode("UTF-8", "C001"),
		"Document-Number": mime.BEncoding.Encode("UTF-8", "FÉ-2026/001"),
		"Document-Type":   "Invoice",
		"Issue-Date":      "2026-11-20",
		"Amount":          "1 234,56",
		"Currency":        "eur",
	}
	if !strings.HasPrefix(m["Document-Number"], "=?UTF-8?b?") && !strings.HasPrefix(m["Document-Number"], "=?UTF-8?B?") {
		t.Fatalf("test data not encoded: %q", m["Document-Number"])
	}
	e.objects.drop("inbox/acme/documents/F1.pdf", pdf("x"), m)
	e.handle(t, "inbox/acme/documents/F1.pdf")
	docs := e.store.documents()
	if len(docs) != 1 {
		t.Fatalf("got %d documents, want 1; bucket %q", len(docs), e.objects.keys(""))
	}
	d := docs[0]
	if d.CustomerNumber != "C001" || d.Number != "FÉ-2026/001" || d.Amount != "1234.56" || d.Currency != "EUR" || d.Type != documents.Invoice {
		t.Errorf("got %+v", d)
	}
}

func TestFacturX(t *testing.T) {
	cases := []struct {
		name    string
		meta    map[string]string
		xml     *ingest.XMLInvoice
		err     error
		want    func(d documents.Document) string // "" when fine
		siren   string
		wantErr bool
	}{
		{
			name: "matching xml fills the gaps",
			meta: meta("C001", "F-2026-001", "2026-11-20"),
			xml: &ingest.XMLInvoice{Number: "F-2026-001", TypeCode: "380", IssueDate: "2026-11-20", DueDate: "2026-12-20",
				BuyerSIREN: "123456789", GrandTotal: "1234.5", Currency: "EUR", Profile: "BASIC WL", Flagged: true},
			siren: "123456789",
			want: func(d documents.Document) string {
				if d.Amount != "1234.50" || d.Currency != "EUR" || d.Profile != "BASIC WL" || !d.Flagged || d.DueDate != "2026-12-20" {
					return "want amount 1234.50 EUR, profile BASIC WL flagged, due 2026-12-20"
				}
				return ""
			},
		},
		{
			name:  "metadata amount kept when equal",
			meta:  meta("C001", "F-2026-001", "2026-11-20", "amount", "1.234,50", "currency", "EUR"),
			xml:   &ingest.XMLInvoice{Number: "F-2026-001", GrandTotal: "1234.5", Currency: "EUR", Profile: "EN 16931"},
			siren: "123456789",
			want: func(d documents.Document) string {
				if d.Amount != "1234.50" || d.Profile != "EN 16931" || d.Flagged {
					return "want amount 1234.50, profile EN 16931 not flagged"
				}
				return ""
			},
		},
		{
			name:  "customer without siren",
			meta:  meta("C001", "F-2026-001", "2026-11-20"),
			xml:   &ingest.XMLInvoice{Number: "F-2026-001", BuyerSIREN: "987654321"},
			siren: "",
			want:  func(documents.Document) string { return "" },
		},
		{
			name:  "plain pdf",
			meta:  meta("C001", "F-2026-001", "2026-11-20"),
			err:   ingest.ErrNoXML,
			siren: "123456789",
			want: func(d documents.Document) string {
				if d.Profile != "" || d.Amount != "" || d.Flagged {
					return "want no profile and no amount"
				}
				return ""
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.store.addCustomer(customer("acme", "C001", email, func(cu *customers.Customer) { cu.SIREN = c.siren }))
			var read [][]byte
			e.svc.ReadXML = func(b []byte) (*ingest.XMLInvoice, error) {
				read = append(read, b)
				return c.xml, c.err
			}
			body := pdf("factur-x")
			e.objects.drop("inbox/acme/documents/F1.pdf", body, c.meta)
			e.handle(t, "inbox/acme/documents/F1.pdf")
			if len(read) != 1 || !bytes.Equal(read[0], body) {
				t.Errorf("ReadXML: got %d calls, want one with the PDF's bytes", len(read))
			}
			docs := e.store.documents()
			if len(docs) != 1 {
				t.Fatalf("got %d documents, want 1; bucket %q", len(docs), e.objects.keys(""))
			}
			if msg := c.want(docs[0]); msg != "" {
				t.Errorf("got %+v: %s", docs[0], msg)
			}
		})
	}
}

// TestFacturXOnly files a Factur-X PDF dropped with nothing but its customer number: the
// number, type, issue date, amount and currency, and the mail, come from the XML.
func TestFacturXOnly(t *testing.T) {
	e := newEnv(t)
	e.store.addCustomer(customer("acme", "C001", email, func(c *customers.Customer) { c.Notification = customers.NotifyLink }))
	e.svc.ReadXML = func([]byte) (*ingest.XMLInvoice, error) {
		return &ingest.XMLInvoice{Number: "AV-2026-007", TypeCode: "381", IssueDate: "2026-11-19", GrandTotal: "-80.5", Currency: "EUR", Profile: "EN 16931"}, nil
	}
	e.objects.drop("inbox/acme/documents/AV7.pdf", pdf("credit"), map[string]string{"customer-number": "C001", "copy": "true"})
	e.handle(t, "inbox/acme/documents/AV7.pdf")
	docs := e.store.documents()
	if len(docs) != 1 {
		t.Fatalf("got %d documents, want 1; bucket %q", len(docs), e.objects.keys(""))
	}
	d := docs[0]
	if d.Number != "AV-2026-007" || d.Type != documents.CreditNote || d.IssueDate != "2026-11-19" || d.Amount != "-80.50" || d.Currency != "EUR" || !d.Copy {
		t.Errorf("got %+v; want AV-2026-007, credit note of 2026-11-19, -80.50 EUR, copy", d)
	}
	var notify []outbox.Record
	for _, r := range e.store.outbox {
		if r.Kind == outbox.KindNotify {
			notify = append(notify, r)
		}
	}
	if len(notify) != 1 {
		t.Fatalf("got %d notifications, want 1", len(notify))
	}
	if got := notify[0].Data; got["number"] != "AV-2026-007" || got["type"] != documents.CreditNote || got["issueDate"] != "2026-11-19" || got["amount"] != "-80.50" {
		t.Errorf("notification data: got %v", got)
	}
}

// TestFacturXFillsWhatMetadataLeavesOut takes some fields from each source.
func TestFacturXFillsWhatMetadataLeavesOut(t *testing.T) {
	e := newEnv(t)
	e.svc.ReadXML = func([]byte) (*ingest.XMLInvoice, error) {
		return &ingest.XMLInvoice{Number: "F-2026-001", IssueDate: "2026-11-20", GrandTotal: "1234.56", Currency: "EUR"}, nil
	}
	// No TypeCode in the XML: the metadata gives it; the amount is given by both, equal
	// once normalised.
	e.objects.drop("inbox/acme/documents/F1.pdf", pdf("x"), map[string]string{"customer-number": "C001", "document-type": "380", "amount": "1 234,56"})
	e.handle(t, "inbox/acme/documents/F1.pdf")
	docs := e.store.documents()
	if len(docs) != 1 {
		t.Fatalf("got %d documents, want 1; bucket %q", len(docs), e.objects.keys(""))
	}
	if d := docs[0]; d.Number != "F-2026-001" || d.Type != documents.Invoice || d.IssueDate != "2026-11-20" || d.Amount != "1234.56" || d.Currency != "EUR" {
		t.Errorf("got %+v", d)
	}
}

func TestEmailChanged(t *testing.T) {
	e := newEnv(t)
	const oldMail, newMail = "old.boss@example.fr", "new.boss@example.fr"
	e.store.addCustomer(customer("acme", "C001", newMail, func(c *customers.Customer) {
		c.AdminEmail, c.AdminID = oldMail, oldMail
	}))
	e.store.accounts[oldMail] = accounts.Account{
		Identifier: oldMail, Space: "acme", CustomerNumber: "C001", Email: oldMail,
		Active: true, Admin: true, RegisteredAdmin: true, SessionEpoch: 4,
	}
	e.objects.drop("inbox/acme/documents/F1.pdf", pdf("x"), meta("C001", "F1", "2026-11-20"))
	e.handle(t, "inbox/acme/documents/F1.pdf")

	acct, ok := e.store.account(newMail)
	if !ok || !acct.Active || !acct.RegisteredAdmin || acct.Email != newMail {
		t.Fatalf("new admin account: got %+v (exists %v)", acct, ok)
	}
	acts := e.store.outboxOf(outbox.KindActivation)
	if len(acts) != 1 || acts[0].To != newMail || acts[0].Key != "activation#"+newMail {
		t.Fatalf("activation records: got %+v, want one to %s", acts, newMail)
	}
	old, _ := e.store.account(oldMail)
	if old.Active || old.RegisteredAdmin || old.SessionEpoch != 5 {
		t.Errorf("previous admin: got active %v registered %v epoch %d, want false false 5", old.Active, old.RegisteredAdmin, old.SessionEpoch)
	}
	if c := e.store.customer("acme", "C001"); c.AdminEmail != newMail || c.AdminID != newMail {
		t.Errorf("customer admin: got %q / %q, want %s", c.AdminEmail, c.AdminID, newMail)
	}

	// The next document finds the admin in place: no second account or mail.
	e.objects.drop("inbox/acme/documents/F2.pdf", pdf("y"), meta("C001", "F2", "2026-11-21"))
	e.handle(t, "inbox/acme/documents/F2.pdf")
	if n := len(e.store.outboxOf(outbox.KindActivation)); n != 1 {
		t.Errorf("after a second document: got %d activation records, want 1", n)
	}
	if n := len(e.store.accounts); n != 2 {
		t.Errorf("got %d accounts, want 2", n)
	}
}

func TestCrashAfterTransaction(t *testing.T) {
	e := newEnv(t)
	e.store.addCustomer(customer("acme", "C001", email, func(c *customers.Customer) { c.Notification = customers.NotifyLink }))
	e.objects.drop("inbox/acme/documents/F1.pdf", pdf("x"), meta("C001", "F1", "2026-11-20"))
	e.objects.failDelete = 1

	if err := e.svc.Handle(context.Background(), "inbox/acme/documents/F1.pdf", ""); err == nil {
		t.Fatal("Handle: got nil, want the delete error so the event is retried")
	}
	if _, ok := e.objects.object("inbox/acme/documents/F1.pdf"); !ok {
		t.Fatal("inbox object gone after a failed delete")
	}
	e.handle(t, "inbox/acme/documents/F1.pdf")

	if n := len(e.store.documents()); n != 1 {
		t.Errorf("got %d documents, want 1", n)
	}
	if n := len(e.store.outboxOf(outbox.KindActivation)); n != 1 {
		t.Errorf("got %d activation records, want 1", n)
	}
	if n := len(e.store.outboxOf(outbox.KindNotify)); n != 1 {
		t.Errorf("got %d notify records, want 1", n)
	}
	if n := len(e.store.accounts); n != 1 {
		t.Errorf("got %d accounts, want 1", n)
	}
	if left := e.objects.keys(""); len(left) != 0 {
		t.Errorf("bucket: got %q, want empty", left)
	}
}

func TestReadFailureIsRetried(t *testing.T) {
	e := newEnv(t)
	e.objects.drop("inbox/acme/documents/F1.pdf", pdf("x"), meta("C001", "F1", "2026-11-20"))
	e.objects.failGet = 1
	if err := e.svc.Handle(context.Background(), "inbox/acme/documents/F1.pdf", ""); err == nil {
		t.Fatal("Handle: got nil, want the read error")
	}
	if len(e.objects.writes) != 0 {
		t.Errorf("after a failed read: got writes %q, want none", e.objects.writes)
	}
	e.handle(t, "inbox/acme/documents/F1.pdf")
	if n := len(e.store.documents()); n != 1 {
		t.Errorf("got %d documents, want 1", n)
	}
}

func (e *env) report(t *testing.T, key string) ingest.Report {
	t.Helper()
	obj, ok := e.objects.object(key)
	if !ok {
		t.Fatalf("no report %s; bucket %q", key, e.objects.keys(""))
	}
	if ct := e.objects.contentTypes[key]; ct != "application/json" {
		t.Errorf("report content type: got %q", ct)
	}
	var r ingest.Report
	if err := json.Unmarshal(obj.Body, &r); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	return r
}

func TestReferential(t *testing.T) {
	cases := []struct {
		name    string
		key     string
		body    string
		applied []customers.Customer
		errors  []int // line numbers
	}{
		{
			name: "csv with semicolons and a BOM",
			key:  "inbox/acme/customers/x.csv",
			body: "\ufeffcustomer_number;company_name;siren;email;notification;delivery;language\r\n" +
				"C001;Durand SARL;123 456 789;Pierre.Durand@Example.fr;link;paper;en\r\n" +
				"C002;Martin;12345;;;;\r\n" +
				"C003;Blanc;;;;;\r\n",
			applied: []customers.Customer{
				{Space: "acme", Number: "C001", CompanyName: "Durand SARL", SIREN: "123456789", Email: email,
					Notification: customers.NotifyLink, Delivery: customers.DeliveryPaper, Language: "en"},
				{Space: "acme", Number: "C003", CompanyName: "Blanc",
					Notification: customers.NotifyNone, Delivery: customers.DeliveryElectronic, Language: "fr"},
			},
			errors: []int{3},
		},
		{
			name: "jsonl",
			key:  "inbox/acme/customers/daily/x.jsonl",
			body: `{"customer_number":"C010","company_name":"Lefèvre","email":"a@b.fr","notification":"digest"}` + "\n" +
				`{"customer_number":"bad number!"}` + "\n" +
				"\n" +
				`not json` + "\n" +
				`{"customer_number":"C011","language":"EN"}` + "\n",
			applied: []customers.Customer{
				{Space: "acme", Number: "C010", CompanyName: "Lefèvre", Email: "a@b.fr",
					Notification: customers.NotifyDigest, Delivery: customers.DeliveryElectronic, Language: "fr"},
				{Space: "acme", Number: "C011",
					Notification: customers.NotifyNone, Delivery: customers.DeliveryElectronic, Language: "en"},
			},
			errors: []int{2, 4},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.objects.drop(c.key, []byte(c.body), nil)
			e.handle(t, c.key)

			for _, want := range c.applied {
				got := e.store.customer(want.Space, want.Number)
				if !got.UpdatedAt.Equal(now0) {
					t.Errorf("%s UpdatedAt: got %v, want %v", want.Number, got.UpdatedAt, now0)
				}
				got.UpdatedAt = time.Time{}
				if got != want {
					t.Errorf("customer %s:\ngot  %+v\nwant %+v", want.Number, got, want)
				}
			}
			if n := len(e.store.customers); n != len(c.applied) {
				t.Errorf("got %d customers, want %d", n, len(c.applied))
			}
			rest := strings.TrimPrefix(c.key, "inbox/acme/")
			r := e.report(t, "reports/acme/"+rest+".20261126T100000Z.report.json")
			if r.Key != c.key || r.Applied != len(c.applied) || r.Rejected != len(c.errors) || !r.AppliedAt.Equal(now0) {
				t.Errorf("report: got key %q applied %d rejected %d at %v, want %q %d %d %v",
					r.Key, r.Applied, r.Rejected, r.AppliedAt, c.key, len(c.applied), len(c.errors), now0)
			}
			var lines []int
			for _, re := range r.Errors {
				lines = append(lines, re.Line)
				if re.Reason == "" {
					t.Errorf("line %d: empty reason", re.Line)
				}
			}
			if !reflect.DeepEqual(lines, c.errors) {
				t.Errorf("report error lines: got %v, want %v", lines, c.errors)
			}
			processed, ok := e.objects.object("processed/acme/" + rest + ".20261126T100000Z")
			if !ok || string(processed.Body) != c.body {
				t.Errorf("processed copy: got %q (present %v), want the file's bytes", processed.Body, ok)
			}
			if left := e.objects.keys("inbox/"); len(left) != 0 {
				t.Errorf("inbox: got %q, want empty", left)
			}
			if got := e.objects.keys("rejected/"); len(got) != 0 {
				t.Errorf("rejected: got %q, want nothing", got)
			}
		})
	}
}

func TestReferentialCleanReportListsNoErrors(t *testing.T) {
	e := newEnv(t)
	e.objects.drop("inbox/acme/customers/x.csv", []byte("customer_number,email\nC001,"+email+"\n"), nil)
	e.handle(t, "inbox/acme/customers/x.csv")
	obj, _ := e.objects.object("reports/acme/customers/x.csv.20261126T100000Z.report.json")
	if !bytes.Contains(obj.Body, []byte(`"errors": []`)) {
		t.Errorf("report: got %s, want an empty errors array", obj.Body)
	}
}

func TestReferentialKeepsAdmin(t *testing.T) {
	e := newEnv(t)
	e.store.addCustomer(customer("acme", "C001", email, func(c *customers.Customer) { c.AdminEmail, c.AdminID = email, email }))
	e.objects.drop("inbox/acme/customers/x.csv", []byte("customer_number,email\nC001,"+email+"\n"), nil)
	e.handle(t, "inbox/acme/customers/x.csv")
	e.objects.drop("inbox/acme/documents/F1.pdf", pdf("x"), meta("C001", "F1", "2026-11-20"))
	e.handle(t, "inbox/acme/documents/F1.pdf")
	if n := len(e.store.outboxOf(outbox.KindActivation)); n != 0 {
		t.Errorf("re-applying the same e-mail: got %d activation records, want 0", n)
	}
}

func TestReferentialRejections(t *testing.T) {
	cases := []struct {
		name, key, body string
		code            string
		fields          []string
	}{
		{"no customer_number column", "inbox/acme/customers/x.csv", "number;email\nC001;a@b.fr\n", documents.CodeBadValue, []string{"header"}},
		{"empty", "inbox/acme/customers/x.csv", "", documents.CodeEmpty, []string{"body"}},
		{"unknown space", "inbox/nowhere/customers/x.csv", "customer_number\nC1\n", documents.CodeUnknownSpace, []string{"key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.objects.drop(c.key, []byte(c.body), nil)
			e.handle(t, c.key)
			rejected := "rejected/" + strings.TrimPrefix(c.key, "inbox/")
			r := e.rejection(t, rejected)
			if r.Code != c.code || !reflect.DeepEqual(r.Fields, c.fields) {
				t.Errorf("got %s %q, want %s %q", r.Code, r.Fields, c.code, c.fields)
			}
			if obj, ok := e.objects.object(rejected); !ok || string(obj.Body) != c.body {
				t.Errorf("rejected copy: got %q (present %v)", obj.Body, ok)
			}
			if left := e.objects.keys("inbox/"); len(left) != 0 {
				t.Errorf("inbox: got %q, want empty", left)
			}
			if got := e.objects.keys("reports/"); len(got) != 0 {
				t.Errorf("reports: got %q, want none", got)
			}
			if n := len(e.store.customers); n != 0 {
				t.Errorf("got %d customers, want 0", n)
			}
		})
	}
}

// archiveKey is where customer C001's document of that date and number is archived.
func archiveKey(issueDate, number, sum string) string {
	return "documents/acme/C001/" + documents.EncodeID(issueDate+"#"+number) + "-" + sum + ".pdf"
}

// TestRejectUnreadable rejects a document with its report without reading it, leaves a
// document an earlier delivery filed alone, and handles a referential as usual.
func TestRejectUnreadable(t *testing.T) {
	e := newEnv(t)
	e.objects.drop("inbox/acme/documents/2026/F 1.pdf", pdf("x"), meta("C001", "F 1", "2026-11-20"))
	e.objects.failGet = 1 // a read would fail the call
	if err := e.svc.RejectUnreadable(context.Background(), "inbox/acme/documents/2026/F+1.pdf", ""); err != nil {
		t.Fatal(err)
	}
	rej := e.rejection(t, "rejected/acme/documents/2026/F 1.pdf")
	if rej.Code != documents.CodeUnreadable || rej.Key != "inbox/acme/documents/2026/F 1.pdf" || !strings.Contains(rej.MessageEN, "3 times") || !strings.Contains(rej.MessageFR, "3 fois") {
		t.Errorf("got %+v, want unreadable with its key and count", rej)
	}
	if _, ok := e.objects.object("inbox/acme/documents/2026/F 1.pdf"); ok {
		t.Error("inbox object left after the rejection")
	}
	if len(e.store.documents()) != 0 {
		t.Error("an unreadable document was filed")
	}

	e.objects.writes = nil
	if err := e.svc.RejectUnreadable(context.Background(), "inbox/acme/documents/gone.pdf", ""); err != nil {
		t.Fatal(err)
	}
	if len(e.objects.writes) != 0 {
		t.Errorf("gone document: got writes %q, want none", e.objects.writes)
	}

	e.objects.failGet = 0
	e.objects.drop("inbox/acme/customers/c.csv", []byte("customer_number,email\nC009,"+email+"\n"), nil)
	if err := e.svc.RejectUnreadable(context.Background(), "inbox/acme/customers/c.csv", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Customer(context.Background(), "acme", "C009"); err != nil {
		t.Errorf("referential: got %v, want it applied", err)
	}
}
