package exports

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/service/listing"
)

// fakeStore keeps documents, exports and slots in memory.
type fakeStore struct {
	docs       []documents.Document
	exports    map[string]Export
	slots      map[string][]Slot // company → slots held
	audit      []audit.Entry
	failGet    error
	failFinish error
}

func (f *fakeStore) live(company string, now time.Time) []documents.Document {
	var out []documents.Document
	for _, d := range f.docs {
		if documents.Company(d.Space, d.CustomerNumber) == company && d.ExpiresAt.After(now) {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SortKey() > out[j].SortKey() })
	return out
}

func (f *fakeStore) LiveDocuments(ctx context.Context, company string, sks []string, now time.Time) ([]documents.Document, error) {
	var out []documents.Document
	for _, sk := range sks {
		for _, d := range f.live(company, now) {
			if d.SortKey() == sk {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

func inWindow(d documents.Document, w listing.Window, typ string) bool {
	return d.IssueDate >= w.From && d.IssueDate <= w.To && (typ == "" || d.Type == typ)
}

func (f *fakeStore) PeriodTotals(ctx context.Context, company string, w listing.Window, typ string, now time.Time, stopAfter int) (int, int64, error) {
	n, size := 0, int64(0)
	for _, d := range f.live(company, now) {
		if inWindow(d, w, typ) {
			n++
			size += d.Size
		}
	}
	return n, size, nil
}

func (f *fakeStore) EachDocument(ctx context.Context, company string, w listing.Window, typ string, now time.Time, fn func(documents.Document) error) error {
	for _, d := range f.live(company, now) {
		if inWindow(d, w, typ) {
			if err := fn(d); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *fakeStore) PutExport(ctx context.Context, e Export, max int) ([]Slot, error) {
	if held := f.slots[e.Company()]; len(held) >= max {
		return append([]Slot(nil), held...), ErrFull
	}
	f.exports[e.ID] = e
	f.slots[e.Company()] = append(f.slots[e.Company()], Slot{ID: e.ID, Since: e.CreatedAt})
	return nil, nil
}

func (f *fakeStore) FreeSlots(ctx context.Context, company string, gone []Slot) error {
	var kept []Slot
	for _, sl := range f.slots[company] {
		freed := false
		for _, g := range gone {
			freed = freed || g == sl
		}
		if !freed {
			kept = append(kept, sl)
		}
	}
	f.slots[company] = kept
	return nil
}

func (f *fakeStore) Export(ctx context.Context, id string) (Export, error) {
	if f.failGet != nil {
		return Export{}, f.failGet
	}
	e, ok := f.exports[id]
	if !ok {
		return Export{}, fault.NotFound("export")
	}
	return e, nil
}

func (f *fakeStore) FinishExport(ctx context.Context, x Export, status, key string, count int, at time.Time) error {
	if f.failFinish != nil {
		return f.failFinish
	}
	e := f.exports[x.ID]
	if e.Status != StatusPending {
		return nil
	}
	e.Status, e.Key, e.Documents = status, key, count
	f.exports[x.ID] = e
	if x.Space != "" {
		f.FreeSlots(ctx, x.Company(), []Slot{{ID: x.ID, Since: x.CreatedAt}})
	}
	return nil
}

func (f *fakeStore) PutAudit(ctx context.Context, e audit.Entry) error {
	f.audit = append(f.audit, e)
	return nil
}

type fakeQueue struct {
	ids  []string
	fail error
}

func (q *fakeQueue) Enqueue(ctx context.Context, id string) error {
	if q.fail != nil {
		return q.fail
	}
	q.ids = append(q.ids, id)
	return nil
}

type presigned struct {
	key, filename, contentType string
	ttl                        time.Duration
}

// fakeArchive holds objects in memory.
type fakeArchive struct {
	objects   map[string][]byte
	uploads   map[string]string // key → content type
	presigned []presigned
	failOpen  bool
}

func (a *fakeArchive) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	b, ok := a.objects[key]
	if !ok || a.failOpen {
		return nil, errors.New("no such key")
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (a *fakeArchive) Upload(ctx context.Context, key, contentType string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	a.objects[key], a.uploads[key] = buf.Bytes(), contentType
	return nil
}

func (a *fakeArchive) Presign(ctx context.Context, key, filename, contentType string, ttl time.Duration) (string, error) {
	a.presigned = append(a.presigned, presigned{key, filename, contentType, ttl})
	return "https://archive.example/" + key, nil
}

type fakeSpaces struct{}

func (fakeSpaces) Space(ctx context.Context, id string) (spaces.Space, error) {
	sp := spaces.Space{ID: id, Name: id, Since: "2022-12-02"}
	return sp, sp.Normalize()
}

var (
	now    = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	caller = listing.Caller{Identifier: "pierre", Space: "acme", CustomerNumber: "C001", HistoryMonths: 3, Language: "fr"}
)

func testDoc(customer, number, typ, issue string, size int64, expires time.Time) documents.Document {
	return documents.Document{
		Space: "acme", CustomerNumber: customer, Number: number, Type: typ, IssueDate: issue, Size: size,
		ExpiresAt: expires, ArchiveKey: "documents/acme/" + customer + "/" + number + ".pdf",
	}
}

type fixture struct {
	svc     *Service
	store   *fakeStore
	queue   *fakeQueue
	archive *fakeArchive
	clock   time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	later := now.AddDate(2, 0, 0)
	f := &fixture{
		store: &fakeStore{exports: map[string]Export{}, slots: map[string][]Slot{}, docs: []documents.Document{
			testDoc("C001", "F-3", documents.Invoice, "2026-11-20", 300, later),
			testDoc("C001", "A-2", documents.CreditNote, "2026-10-02", 200, later),
			testDoc("C001", "F-1", documents.Invoice, "2026-09-01", 100, later),
			testDoc("C001", "F-0", documents.Invoice, "2024-11-01", 100, now.Add(-time.Hour)),
			testDoc("C002", "X-1", documents.Invoice, "2026-11-20", 100, later),
		}},
		queue: &fakeQueue{}, archive: &fakeArchive{objects: map[string][]byte{}, uploads: map[string]string{}},
		clock: now,
	}
	for _, d := range f.store.docs {
		f.archive.objects[d.ArchiveKey] = []byte("%PDF-" + d.Number)
	}
	f.svc = &Service{
		Store: f.store, Queue: f.queue, Archive: f.archive, Spaces: fakeSpaces{}, Audit: f.store,
		Limits: Limits{MaxDocuments: 3, MaxZIPBytes: 550, MaxRows: 3, MaxPending: 2},
		Now:    func() time.Time { return f.clock }, Log: slog.New(slog.DiscardHandler),
	}
	return f
}

func id(customer, issue, number string) string {
	return documents.EncodeID(issue + "#" + number)
}

func TestRequest(t *testing.T) {
	cases := []struct {
		name      string
		req       Request
		want      error
		documents int
	}{
		{"zip of ids", Request{Format: "zip", IDs: []string{id("C001", "2026-11-20", "F-3"), id("C001", "2026-10-02", "A-2"), id("C001", "2026-11-20", "F-3")}}, nil, 2},
		{"csv of the default period", Request{Format: "csv"}, nil, 3},
		{"csv of a typed period", Request{Format: "csv", From: "2026-01-01", To: "2026-11-30", Type: "invoice"}, nil, 2},
		{"unknown format", Request{Format: "pdf"}, fault.ErrInvalid, 0},
		{"ids and period", Request{Format: "zip", IDs: []string{id("C001", "2026-11-20", "F-3")}, Type: "invoice"}, fault.ErrInvalid, 0},
		{"bad type", Request{Format: "csv", Type: "receipt"}, fault.ErrInvalid, 0},
		{"bad date", Request{Format: "csv", From: "yesterday"}, fault.ErrInvalid, 0},
		{"foreign id", Request{Format: "zip", IDs: []string{id("C002", "2026-11-20", "X-1")}}, fault.ErrNotFound, 0},
		{"expired id", Request{Format: "zip", IDs: []string{id("C001", "2024-11-01", "F-0")}}, fault.ErrNotFound, 0},
		{"malformed id", Request{Format: "zip", IDs: []string{"nope"}}, fault.ErrNotFound, 0},
		{"too many ids", Request{Format: "csv", IDs: []string{"a", "b", "c", "d"}}, fault.ErrTooLarge, 0},
		{"zip too heavy", Request{Format: "zip", IDs: []string{id("C001", "2026-11-20", "F-3"), id("C001", "2026-10-02", "A-2"), id("C001", "2026-09-01", "F-1")}}, fault.ErrTooLarge, 0},
		{"csv period at the row limit", Request{Format: "csv", From: "2025-01-01"}, nil, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			e, err := f.svc.Request(context.Background(), caller, c.req)
			if c.want != nil {
				if !errors.Is(err, c.want) {
					t.Fatalf("got %v, want %v", err, c.want)
				}
				if len(f.store.exports) != 0 || len(f.queue.ids) != 0 {
					t.Errorf("a refused request left %d exports and %d messages", len(f.store.exports), len(f.queue.ids))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Status != StatusPending || e.Documents != c.documents || len(e.ID) != 22 {
				t.Errorf("got %+v, want pending with %d documents", e, c.documents)
			}
			if len(f.queue.ids) != 1 || f.queue.ids[0] != e.ID || f.store.exports[e.ID].ID != e.ID {
				t.Errorf("got queue %v and exports %v", f.queue.ids, f.store.exports)
			}
			if !e.ExpiresAt.Equal(now.Add(24 * time.Hour)) {
				t.Errorf("got expiry %v, want 24 h after the request", e.ExpiresAt)
			}
			if len(f.store.audit) != 1 || f.store.audit[0].Action != audit.ActionExport || f.store.audit[0].Company != "acme#C001" {
				t.Errorf("got audit %+v", f.store.audit)
			}
		})
	}
	t.Run("csv period over the row limit", func(t *testing.T) {
		f := newFixture(t)
		f.svc.Limits.MaxRows = 2
		if _, err := f.svc.Request(context.Background(), caller, Request{Format: "csv", From: "2025-01-01"}); !errors.Is(err, fault.ErrTooLarge) {
			t.Errorf("got %v, want fault.ErrTooLarge", err)
		}
	})
}

func TestBuildAndStatus(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	zipExport, err := f.svc.Request(ctx, caller, Request{Format: "zip", IDs: []string{id("C001", "2026-10-02", "A-2"), id("C001", "2026-11-20", "F-3")}})
	if err != nil {
		t.Fatal(err)
	}
	en := caller
	en.Language = "en"
	csvExport, err := f.svc.Request(ctx, en, Request{Format: "csv", From: "2025-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	if _, url, err := f.svc.Status(ctx, caller, zipExport.ID); err != nil || url != "" {
		t.Fatalf("pending export: got url %q, %v", url, err)
	}
	for _, e := range []Export{zipExport, csvExport} {
		if err := f.svc.Build(ctx, e.ID, false); err != nil {
			t.Fatal(err)
		}
	}

	got, url, err := f.svc.Status(ctx, caller, zipExport.ID)
	if err != nil || got.Status != StatusReady || url == "" {
		t.Fatalf("got %+v %q %v, want ready with a URL", got, url, err)
	}
	wantPresign := presigned{"exports/acme/C001/" + zipExport.ID + ".zip", "documents-2026-11-26.zip", "application/zip", 5 * time.Minute}
	if f.archive.presigned[0] != wantPresign {
		t.Errorf("got presign %+v, want %+v", f.archive.presigned[0], wantPresign)
	}
	body := f.archive.objects[wantPresign.key]
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, z := range zr.File {
		names = append(names, z.Name)
	}
	if strings.Join(names, ",") != "A-2.pdf,F-3.pdf,index.csv" {
		t.Errorf("got entries %v", names)
	}
	csvBody := string(f.archive.objects["exports/acme/C001/"+csvExport.ID+".csv"])
	if !strings.HasPrefix(csvBody, "\ufeffNumber;") || strings.Count(csvBody, "\r\n") != 4 || !strings.Contains(csvBody, "A-2;Credit note;") {
		t.Errorf("got CSV %q", csvBody)
	}
	if ct := f.archive.uploads["exports/acme/C001/"+csvExport.ID+".csv"]; ct != "text/csv; charset=utf-8" {
		t.Errorf("got CSV content type %q", ct)
	}

	t.Run("redelivery changes nothing", func(t *testing.T) {
		delete(f.archive.objects, wantPresign.key)
		if err := f.svc.Build(ctx, zipExport.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, ok := f.archive.objects[wantPresign.key]; ok {
			t.Error("a ready export was built again")
		}
	})
	t.Run("other company", func(t *testing.T) {
		other := caller
		other.CustomerNumber = "C002"
		if _, _, err := f.svc.Status(ctx, other, zipExport.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("got %v, want fault.ErrNotFound", err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		if _, _, err := f.svc.Status(ctx, caller, "nope"); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("got %v, want fault.ErrNotFound", err)
		}
	})
	t.Run("last minutes", func(t *testing.T) {
		f.clock = now.Add(24*time.Hour - 2*time.Minute)
		if _, _, err := f.svc.Status(ctx, caller, csvExport.ID); err != nil {
			t.Fatal(err)
		}
		if got := f.archive.presigned[len(f.archive.presigned)-1].ttl; got != 2*time.Minute {
			t.Errorf("got URL lifetime %v, want it to end with the export (2m)", got)
		}
	})
	t.Run("expired", func(t *testing.T) {
		f.clock = now.Add(24 * time.Hour)
		if _, _, err := f.svc.Status(ctx, caller, csvExport.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Errorf("got %v, want fault.ErrNotFound", err)
		}
	})
}

func TestBuildFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("transient errors retry, then fail on the last attempt", func(t *testing.T) {
		f := newFixture(t)
		e, err := f.svc.Request(ctx, caller, Request{Format: "zip", IDs: []string{id("C001", "2026-11-20", "F-3")}})
		if err != nil {
			t.Fatal(err)
		}
		f.archive.failOpen = true
		if err := f.svc.Build(ctx, e.ID, false); err == nil {
			t.Fatal("got no error, want one so the queue retries")
		}
		if got := f.store.exports[e.ID].Status; got != StatusPending {
			t.Fatalf("got status %s after a retryable failure, want pending", got)
		}
		if err := f.svc.Build(ctx, e.ID, true); err != nil {
			t.Fatalf("last attempt: got %v, want the failure recorded instead", err)
		}
		if got := f.store.exports[e.ID].Status; got != StatusFailed {
			t.Errorf("got status %s, want failed", got)
		}
	})
	t.Run("grown past the limits", func(t *testing.T) {
		f := newFixture(t)
		e, err := f.svc.Request(ctx, caller, Request{Format: "csv", From: "2025-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		f.store.docs = append(f.store.docs, testDoc("C001", "F-4", documents.Invoice, "2026-11-25", 10, now.AddDate(2, 0, 0)))
		if err := f.svc.Build(ctx, e.ID, false); err != nil {
			t.Fatal(err)
		}
		if got := f.store.exports[e.ID].Status; got != StatusFailed {
			t.Errorf("got status %s, want failed", got)
		}
	})
	t.Run("gone", func(t *testing.T) {
		f := newFixture(t)
		if err := f.svc.Build(ctx, "vanished", false); err != nil {
			t.Errorf("got %v, want nil: nothing left to build", err)
		}
	})
	t.Run("store down", func(t *testing.T) {
		f := newFixture(t)
		f.store.failGet = errors.New("throttled")
		if err := f.svc.Build(ctx, "x", false); err == nil {
			t.Error("got nil, want the error so the queue retries")
		}
	})
}

func TestPendingCap(t *testing.T) {
	ctx := context.Background()
	csv := Request{Format: "csv"}
	zip := Request{Format: "zip", IDs: []string{id("C001", "2026-11-20", "F-3")}}
	full := func(t *testing.T, r Request) (*fixture, []Export) {
		t.Helper()
		f := newFixture(t)
		var made []Export
		for range 2 {
			e, err := f.svc.Request(ctx, caller, r)
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, e)
		}
		return f, made
	}
	refused := func(t *testing.T, f *fixture) {
		t.Helper()
		exportsBefore, queuedBefore, auditBefore := len(f.store.exports), len(f.queue.ids), len(f.store.audit)
		_, err := f.svc.Request(ctx, caller, zip)
		var fe *fault.Error
		if !errors.Is(err, fault.ErrTooMany) || !errors.As(err, &fe) || fe.Message != "exports_pending" || len(fe.Args) != 1 || fe.Args[0] != "2" {
			t.Fatalf("got %v, want a too_many fault with the exports_pending text", err)
		}
		if len(f.store.exports) != exportsBefore || len(f.queue.ids) != queuedBefore || len(f.store.audit) != auditBefore {
			t.Error("a refused request wrote an export, a message or an audit entry")
		}
	}
	accepted := func(t *testing.T, f *fixture) {
		t.Helper()
		if _, err := f.svc.Request(ctx, caller, zip); err != nil {
			t.Fatalf("got %v, want the request accepted", err)
		}
	}

	t.Run("third refused, then accepted once one is ready", func(t *testing.T) {
		f, made := full(t, csv)
		refused(t, f)
		if err := f.svc.Build(ctx, made[0].ID, false); err != nil {
			t.Fatal(err)
		}
		accepted(t, f)
		refused(t, f)
	})
	t.Run("another company is not counted", func(t *testing.T) {
		f, _ := full(t, csv)
		other := caller
		other.CustomerNumber = "C002"
		for range 2 {
			if _, err := f.svc.Request(ctx, other, csv); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("a failure on the last delivery frees the slot", func(t *testing.T) {
		f, made := full(t, zip)
		f.archive.failOpen = true
		if err := f.svc.Build(ctx, made[0].ID, false); err == nil {
			t.Fatal("got no error, want one so the queue retries")
		}
		refused(t, f)
		if err := f.svc.Build(ctx, made[0].ID, true); err != nil {
			t.Fatal(err)
		}
		accepted(t, f)
	})
	t.Run("a request grown past the limits frees the slot", func(t *testing.T) {
		f, made := full(t, Request{Format: "csv", From: "2025-01-01"})
		f.store.docs = append(f.store.docs, testDoc("C001", "F-4", documents.Invoice, "2026-11-25", 10, now.AddDate(2, 0, 0)))
		if err := f.svc.Build(ctx, made[1].ID, false); err != nil {
			t.Fatal(err)
		}
		accepted(t, f)
	})
	t.Run("an export that could not be queued frees the slot", func(t *testing.T) {
		f := newFixture(t)
		f.queue.fail = errors.New("sqs down")
		for range 3 {
			if _, err := f.svc.Request(ctx, caller, zip); err == nil || errors.Is(err, fault.ErrTooMany) {
				t.Fatalf("got %v, want the queue's error", err)
			}
		}
		for id, e := range f.store.exports {
			if e.Status != StatusFailed {
				t.Errorf("export %s: got %s, want failed", id, e.Status)
			}
		}
		f.queue.fail = nil
		accepted(t, f)
	})
	t.Run("slots older than the bound are freed", func(t *testing.T) {
		f, made := full(t, csv)
		f.clock = now.Add(SlotBound - time.Second)
		refused(t, f)
		f.clock = now.Add(SlotBound)
		accepted(t, f)
		if got := f.store.slots["acme#C001"]; len(got) != 1 || got[0].ID == made[0].ID || got[0].ID == made[1].ID {
			t.Errorf("got slots %+v, want the new export's alone", got)
		}
		accepted(t, f)
		refused(t, f) // the new slots are not stale
	})
	t.Run("only stale slots are freed", func(t *testing.T) {
		f, _ := full(t, csv)
		f.store.slots["acme#C001"][0].Since = now.Add(-SlotBound)
		accepted(t, f)
		refused(t, f)
	})
}
