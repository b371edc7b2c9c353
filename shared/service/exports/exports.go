// Package exports builds what a customer downloads in bulk (PRODUCT.md §7): a ZIP of selected
// PDFs with a CSV index, or a CSV of a listing, made asynchronously and kept 24 hours.
package exports

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/service/listing"
)

// Formats.
const (
	FormatZIP = "zip"
	FormatCSV = "csv"
)

// Statuses.
const (
	StatusPending = "pending"
	StatusReady   = "ready"
	StatusFailed  = "failed"
)

// tooLarge is a request beyond Limits.
func tooLarge() error { return fault.New(fault.CodeTooLarge, "export too large") }

// notFound is an export that does not exist, belongs to another company or has expired.
func notFound() error { return fault.NotFound("export") }

// Lifetime is how long an export stays downloadable; the archive bucket's lifecycle rule
// on exports/ removes the file after it.
const Lifetime = 24 * time.Hour

// LinkTTL bounds each presigned URL of a ready export; the client asks again for a fresh one.
const LinkTTL = 5 * time.Minute

// Limits bound one export (PRODUCT.md §7) and how many a company has pending (PRODUCT.md §10).
type Limits struct {
	MaxDocuments int   // per ZIP, and ids per request
	MaxZIPBytes  int64 // sum of the PDFs in a ZIP
	MaxRows      int   // per CSV
	MaxPending   int   // exports of one company pending at a time
}

// DefaultLimits are PRODUCT.md §7's and §10's.
func DefaultLimits() Limits {
	return Limits{MaxDocuments: 500, MaxZIPBytes: 500 << 20, MaxRows: 100_000, MaxPending: 2}
}

// SlotBound is how long a pending export may hold one of its company's slots. ExportsQueue
// keeps a message 24 hours (MessageRetentionPeriod), counted from a send that follows the
// slot by less than the documents function's timeout, and the last delivery then runs
// for at most the exports function's 5 minutes: past 25 hours no delivery can come to
// free the slot, and the export itself has expired (Lifetime). A slot left by a crash is
// freed by the next request that finds the company's slots full.
const SlotBound = Lifetime + time.Hour

// Slot is a pending export holding one of its company's places.
type Slot struct {
	ID    string
	Since time.Time // the export's CreatedAt
}

// ErrFull is returned by Store.PutExport when the company's slots are all held.
var ErrFull = errors.New("every export slot of the company is held")

// tooMany is a request while the company has max exports pending.
func tooMany(max int) error {
	return &fault.Error{Code: fault.CodeTooMany, Message: "exports_pending", Args: []string{strconv.Itoa(max)},
		Detail: "exports pending at the limit"}
}

// Request is what a client asks for: either ids, or a period with an optional type.
type Request struct {
	IDs    []string `json:"ids,omitempty"`
	From   string   `json:"from,omitempty"`
	To     string   `json:"to,omitempty"`
	Type   string   `json:"type,omitempty"`
	Format string   `json:"format"`
}

// Selection is a validated request: sort keys of the caller's company, or a window.
type Selection struct {
	SortKeys []string       // in the caller's order; empty for a period
	Window   listing.Window // for a period
	Type     string         // for a period, "" for every type
}

// Export is one requested export.
type Export struct {
	ID             string
	Space          string
	CustomerNumber string
	Identifier     string // who asked
	Language       string
	Format         string
	Selection      Selection
	Status         string
	Key            string // the file in the archive bucket, once ready
	Documents      int    // how many documents it holds
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// Company is the export's company key.
func (e Export) Company() string { return documents.Company(e.Space, e.CustomerNumber) }

// ObjectKey is where the export's file goes in the archive bucket, under the prefix the
// lifecycle rule expires.
func (e Export) ObjectKey() string {
	return "exports/" + e.Space + "/" + e.CustomerNumber + "/" + e.ID + "." + e.Format
}

// ContentType is the export file's media type.
func (e Export) ContentType() string {
	if e.Format == FormatZIP {
		return "application/zip"
	}
	return "text/csv; charset=utf-8"
}

// Store is what the service needs of the tables.
type Store interface {
	// LiveDocuments returns the company's documents under sortKeys that have not expired
	// at now, in the order given, leaving out the others.
	LiveDocuments(ctx context.Context, company string, sortKeys []string, now time.Time) ([]documents.Document, error)
	// PeriodTotals counts a window's unexpired documents of a type ("" for all) and sums
	// their sizes; it may stop counting once count exceeds stopAfter.
	PeriodTotals(ctx context.Context, company string, w listing.Window, typ string, now time.Time, stopAfter int) (count int, bytes int64, err error)
	// EachDocument calls fn for each unexpired document of a window and type, newest
	// first, and stops at fn's first error.
	EachDocument(ctx context.Context, company string, w listing.Window, typ string, now time.Time, fn func(documents.Document) error) error
	// PutExport records a new pending export and takes a slot of its company for it, both
	// or neither. When the company already holds max slots it writes nothing and returns
	// ErrFull with the slots held.
	PutExport(ctx context.Context, e Export, max int) (held []Slot, err error)
	// FreeSlots gives back the company's slots given; one already free is ignored.
	FreeSlots(ctx context.Context, company string, slots []Slot) error
	// Export returns an export, or a fault.ErrNotFound.
	Export(ctx context.Context, id string) (Export, error)
	// FinishExport moves a pending export to status (ready or failed) and frees its slot,
	// both or neither; an export that is no longer pending is left alone. An export known
	// by its ID only (it could not be read) keeps its slot until SlotBound.
	FinishExport(ctx context.Context, e Export, status, key string, count int, at time.Time) error
}

// Queue hands an export to the exports function.
type Queue interface {
	Enqueue(ctx context.Context, exportID string) error
}

// Archive reads archived PDFs, writes export files and signs their downloads.
type Archive interface {
	Open(ctx context.Context, archiveKey string) (io.ReadCloser, error)
	// Upload streams what write produces to key.
	Upload(ctx context.Context, key, contentType string, write func(io.Writer) error) error
	Presign(ctx context.Context, key, filename, contentType string, ttl time.Duration) (string, error)
}

// Service takes export requests and builds them.
type Service struct {
	Store   Store
	Queue   Queue
	Archive Archive
	Spaces  listing.Spaces
	Audit   listing.AuditLog
	Limits  Limits
	Now     func() time.Time
	Log     *slog.Logger
}

// invalid is a malformed request; no single field is named to the client.
func invalid(format string, a ...any) error {
	return fault.Invalid("", fmt.Sprintf(format, a...))
}

// Request validates r for caller c, checks the limits, records the export and queues it.
// It returns an invalid, a too_large or a not_found fault (an id that is not one of the
// caller's live documents), or a too_many fault while the company has Limits.MaxPending
// exports pending (PRODUCT.md §10).
func (s *Service) Request(ctx context.Context, c listing.Caller, r Request) (Export, error) {
	now := s.Now()
	sp, err := s.Spaces.Space(ctx, c.Space)
	if err != nil {
		return Export{}, fmt.Errorf("export: %w", err)
	}
	if r.Format != FormatZIP && r.Format != FormatCSV {
		return Export{}, invalid("format: want %s or %s", FormatZIP, FormatCSV)
	}
	e := Export{
		Space: c.Space, CustomerNumber: c.CustomerNumber, Identifier: c.Identifier, Language: c.Language,
		Format: r.Format, Status: StatusPending, CreatedAt: now.UTC(), ExpiresAt: now.UTC().Add(Lifetime),
	}
	if e.Selection, e.Documents, err = s.selection(ctx, c, &sp, r, now); err != nil {
		return Export{}, err
	}
	if e.ID, err = newID(); err != nil {
		return Export{}, err
	}
	if err := s.put(ctx, e, now); err != nil {
		return Export{}, err
	}
	if err := s.Queue.Enqueue(ctx, e.ID); err != nil {
		// Nothing will build it: mark it failed so its slot is not held until SlotBound.
		err = fmt.Errorf("queue export: %w", err)
		if ferr := s.Store.FinishExport(ctx, e, StatusFailed, "", 0, now); ferr != nil {
			err = errors.Join(err, ferr)
		}
		return Export{}, err
	}
	entry := audit.New(e.Company(), now, c.Identifier, audit.ActionExport, e.Format, strconv.Itoa(e.Documents),
		spaces.AddMonthsClamped(now.In(sp.Location()), sp.RetentionMonths))
	if err := s.Audit.PutAudit(ctx, entry); err != nil {
		return Export{}, err
	}
	return e, nil
}

// put records e in a free slot of its company. Slots are counted by the store's
// conditional write, never by a read here, so concurrent requests cannot overshoot; when
// all are held, those older than SlotBound are freed and the write is tried once more.
func (s *Service) put(ctx context.Context, e Export, now time.Time) error {
	held, err := s.Store.PutExport(ctx, e, s.Limits.MaxPending)
	if !errors.Is(err, ErrFull) {
		return err
	}
	var stale []Slot
	for _, sl := range held {
		if !now.Before(sl.Since.Add(SlotBound)) {
			stale = append(stale, sl)
		}
	}
	if len(stale) == 0 {
		return tooMany(s.Limits.MaxPending)
	}
	s.Log.WarnContext(ctx, "freeing stale export slots", "company", e.Company(), "slots", len(stale))
	if err := s.Store.FreeSlots(ctx, e.Company(), stale); err != nil {
		return err
	}
	_, err = s.Store.PutExport(ctx, e, s.Limits.MaxPending)
	if errors.Is(err, ErrFull) {
		return tooMany(s.Limits.MaxPending) // others took the freed slots first
	}
	return err
}

// selection validates what r selects and counts it against the limits.
func (s *Service) selection(ctx context.Context, c listing.Caller, sp *spaces.Space, r Request, now time.Time) (Selection, int, error) {
	company := c.Company()
	if len(r.IDs) > 0 {
		if r.From != "" || r.To != "" || r.Type != "" {
			return Selection{}, 0, invalid("ids exclude from, to and type")
		}
		if len(r.IDs) > s.Limits.MaxDocuments {
			return Selection{}, 0, tooLarge()
		}
		seen := map[string]bool{}
		var sks []string
		for _, id := range r.IDs {
			sk, err := documents.DecodeID(id)
			if err != nil {
				return Selection{}, 0, err
			}
			if !seen[sk] {
				seen[sk] = true
				sks = append(sks, sk)
			}
		}
		docs, err := s.Store.LiveDocuments(ctx, company, sks, now)
		if err != nil {
			return Selection{}, 0, err
		}
		if len(docs) != len(sks) {
			return Selection{}, 0, fault.NotFound("document")
		}
		if r.Format == FormatZIP && totalSize(docs) > s.Limits.MaxZIPBytes {
			return Selection{}, 0, tooLarge()
		}
		return Selection{SortKeys: sks}, len(docs), nil
	}
	switch r.Type {
	case "", documents.Invoice, documents.CreditNote:
	default:
		return Selection{}, 0, invalid("type: want %s or %s", documents.Invoice, documents.CreditNote)
	}
	w, err := listing.ResolveWindow(r.From, r.To, c.HistoryMonths, sp, now)
	if err != nil {
		return Selection{}, 0, invalid("%v", err)
	}
	sel := Selection{Window: w, Type: r.Type}
	if w.Empty() {
		return sel, 0, nil
	}
	max := s.Limits.MaxRows
	if r.Format == FormatZIP {
		max = s.Limits.MaxDocuments
	}
	n, size, err := s.Store.PeriodTotals(ctx, company, w, r.Type, now, max)
	if err != nil {
		return Selection{}, 0, err
	}
	if n > max || (r.Format == FormatZIP && size > s.Limits.MaxZIPBytes) {
		return Selection{}, 0, tooLarge()
	}
	return sel, n, nil
}

func totalSize(docs []documents.Document) int64 {
	var n int64
	for _, d := range docs {
		n += d.Size
	}
	return n
}

// newID is a 128-bit random export id: knowing one grants nothing outside its company,
// but ids should not be guessable either.
func newID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Status returns the caller's export and, once ready, a presigned URL of its file.
// Another company's, an unknown or an expired export is a not_found fault.
func (s *Service) Status(ctx context.Context, c listing.Caller, id string) (Export, string, error) {
	if len(id) > 64 {
		return Export{}, "", notFound()
	}
	e, err := s.Store.Export(ctx, id)
	if err != nil {
		return Export{}, "", err
	}
	now := s.Now()
	if e.Space != c.Space || e.CustomerNumber != c.CustomerNumber || !now.Before(e.ExpiresAt) {
		return Export{}, "", notFound()
	}
	if e.Status != StatusReady {
		return e, "", nil
	}
	sp, err := s.Spaces.Space(ctx, e.Space)
	if err != nil {
		return Export{}, "", err
	}
	ttl := min(LinkTTL, e.ExpiresAt.Sub(now))
	url, err := s.Archive.Presign(ctx, e.Key, Filename(e, sp.Location()), e.ContentType(), ttl)
	if err != nil {
		return Export{}, "", fmt.Errorf("presign export: %w", err)
	}
	return e, url, nil
}

// Filename is the name an export downloads under, dated in the space's calendar.
func Filename(e Export, loc *time.Location) string {
	return "documents-" + e.CreatedAt.In(loc).Format(time.DateOnly) + "." + e.Format
}

// Build makes a pending export's file and marks it ready. A request that has become too
// large is marked failed at once; other errors are returned so the queue retries, and
// on the last attempt (final) the export is marked failed instead.
func (s *Service) Build(ctx context.Context, id string, final bool) error {
	e, err := s.Store.Export(ctx, id)
	if errors.Is(err, fault.ErrNotFound) {
		s.Log.WarnContext(ctx, "export gone before it was built", "export", id)
		return nil
	}
	if err != nil {
		return s.retryOrFail(ctx, Export{ID: id}, final, err)
	}
	if e.Status != StatusPending {
		return nil // a redelivered message
	}
	n, err := s.build(ctx, e)
	if errors.Is(err, fault.ErrTooLarge) {
		s.Log.WarnContext(ctx, "export grew past the limits", "export", id)
		return s.Store.FinishExport(ctx, e, StatusFailed, "", 0, s.Now())
	}
	if err != nil {
		return s.retryOrFail(ctx, e, final, err)
	}
	if err := s.Store.FinishExport(ctx, e, StatusReady, e.ObjectKey(), n, s.Now()); err != nil {
		return s.retryOrFail(ctx, e, final, err)
	}
	s.Log.InfoContext(ctx, "export ready", "export", id, "format", e.Format, "documents", n)
	return nil
}

// retryOrFail returns cause so the queue retries, or on the last delivery marks e failed,
// which frees its slot.
func (s *Service) retryOrFail(ctx context.Context, e Export, final bool, cause error) error {
	if !final {
		return cause
	}
	s.Log.ErrorContext(ctx, "export failed for good", "export", e.ID, "error", cause.Error())
	if err := s.Store.FinishExport(ctx, e, StatusFailed, "", 0, s.Now()); err != nil {
		return errors.Join(cause, err)
	}
	return nil
}

// build writes the export's file and returns how many documents it holds.
func (s *Service) build(ctx context.Context, e Export) (int, error) {
	now := s.Now()
	sp, err := s.Spaces.Space(ctx, e.Space)
	if err != nil {
		return 0, err
	}
	loc := sp.Location()
	if e.Format == FormatCSV {
		n := 0
		err := s.Archive.Upload(ctx, e.ObjectKey(), e.ContentType(), func(w io.Writer) error {
			t, err := NewTable(w, e.Language, loc, false)
			if err != nil {
				return err
			}
			add := func(d documents.Document) error {
				if n++; n > s.Limits.MaxRows {
					return tooLarge()
				}
				return t.Add(d, "")
			}
			if err := s.each(ctx, e, now, add); err != nil {
				return err
			}
			return t.Flush()
		})
		return n, err
	}
	var docs []documents.Document
	err = s.each(ctx, e, now, func(d documents.Document) error {
		if docs = append(docs, d); len(docs) > s.Limits.MaxDocuments {
			return tooLarge()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if totalSize(docs) > s.Limits.MaxZIPBytes {
		return 0, tooLarge()
	}
	err = s.Archive.Upload(ctx, e.ObjectKey(), e.ContentType(), func(w io.Writer) error {
		return WriteZIP(ctx, w, docs, s.Archive.Open, e.Language, loc, now)
	})
	return len(docs), err
}

// each visits the export's documents still live at now: a document that expired since
// the request is left out.
func (s *Service) each(ctx context.Context, e Export, now time.Time, fn func(documents.Document) error) error {
	sel := e.Selection
	if len(sel.SortKeys) == 0 {
		if sel.Window.Empty() {
			return nil
		}
		return s.Store.EachDocument(ctx, e.Company(), sel.Window, sel.Type, now, fn)
	}
	docs, err := s.Store.LiveDocuments(ctx, e.Company(), sel.SortKeys, now)
	if err != nil {
		return err
	}
	for _, d := range docs {
		if err := fn(d); err != nil {
			return err
		}
	}
	return nil
}
