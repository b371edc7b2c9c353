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

// fakeStore keeps documents and exports in memory.
type fakeStore struct {
	docs    []documents.Document
	exports map[string]Export
	audit   []audit.Entry
	failGet error
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

func (f *fakeStore) PutExport(ctx context.Context, e Export) error {
	f.exports[e.ID] = e
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

func (f *fakeStore) FinishExport(ctx context.Context, id, status, key string, count int, at time.Time) error {
	e := f.exports[id]
	if e.Status != StatusPending {
		return nil
	}
	e.Status, e.Key, e.Documents = status, key, count
	f.exports[id] = e
	return nil
}

func (f *fakeStore) PutAudit(ctx context.Context, e audit.Entry) error {
	f.audit = append(f.audit, e)
	return nil
}

type fakeQueue struct{ ids []string }

func (q *fakeQueue) Enqueue(ctx context.Context, id string) error {
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
		store: &fakeStore{exports: map[string]Export{}, docs: []documents.Document{
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
		Limits: Limits{MaxDocuments: 3, MaxZIPBytes: 550, MaxRows: 3},
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
