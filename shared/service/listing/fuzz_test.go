package listing

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/signing"
	"github.com/efacture/efacture/shared/domain/spaces"
)

// FuzzResolve feeds the listing's query string, cursor included, as a client may send
// it: a parameter is accepted or refused as fault.ErrInvalid, an accepted listing reads only
// the caller's company within its bounds, and a cursor that verifies for the caller does
// not for another company.
func FuzzResolve(f *testing.F) {
	sp := testSpaceTB(f)
	key := testSignerTB(f, 1)
	r, err := resolve(Params{Limit: "1"}, caller, sp, now, key)
	if err != nil {
		f.Fatal(err)
	}
	cursor := r.cursorFor(Key{SK: "2026-11-02#F-1"}, key)
	byNumber, err := resolve(Params{Number: "F-"}, caller, sp, now, key)
	if err != nil {
		f.Fatal(err)
	}
	numberCursor := byNumber.cursorFor(Key{SK: "2026-11-02#F-1", Number: "F-1"}, key)
	for _, q := range []string{
		"", "limit=1&cursor=" + url.QueryEscape(cursor), "number=F-&cursor=" + url.QueryEscape(numberCursor),
		"number=F-&numberMatch=exact&cursor=" + url.QueryEscape(numberCursor), "from=2026-01-01&to=2026-11-26&type=invoice",
		"from=2026-13-40", "from=2027-01-01", "to=1900-01-01", "limit=0", "limit=201", "limit=-1", "type=proforma",
		"numberMatch=regex&number=F", "number=" + strings.Repeat("9", 101), "cursor=e30.AAAA", "cursor=..", "from=2026-11-26&to=2026-11-25",
		"space=globex&customerNumber=C002", "limit=1&limit=2", "cursor=" + url.QueryEscape(cursor) + "&type=credit_note",
	} {
		f.Add(q)
	}
	other := Caller{Identifier: "eve", Space: "acme", CustomerNumber: "C002", HistoryMonths: 3}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		q, _ := url.ParseQuery(rawQuery) // what net/http would make of it, errors and all
		p := ParamsFromQuery(q)
		r, err := resolve(p, caller, sp, now, key)
		if err != nil {
			var inv *fault.Error
			if !errors.Is(err, fault.ErrInvalid) || !errors.As(err, &inv) || inv.Field == "" {
				t.Fatalf("%q: got %v, want an invalid fault naming the parameter", rawQuery, err)
			}
			return
		}
		got := r.query
		if got.Company != caller.Company() {
			t.Fatalf("%q: reads company %q, want the caller's %q", rawQuery, got.Company, caller.Company())
		}
		if got.Limit < 1 || got.Limit > MaxLimit {
			t.Fatalf("%q: limit %d", rawQuery, got.Limit)
		}
		if got.HasWindow && got.After == nil {
			floor := "2024-11-24" // retention (24 months) before today, a day of margin
			if !got.Window.Empty() && (got.Window.From < floor || got.Window.To > "2026-11-26") {
				t.Fatalf("%q: window %+v outside what can be listed", rawQuery, got.Window)
			}
		}
		if got.ByNumber && (got.Number == "" || len(got.Number) > maxNumberLength) {
			t.Fatalf("%q: number %q", rawQuery, got.Number)
		}
		if p.Cursor != "" {
			if got.After == nil {
				t.Fatalf("%q: a cursor was accepted without a position", rawQuery)
			}
			if _, err := resolve(p, other, sp, now, key); !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("%q: the caller's cursor also works for another company (%v)", rawQuery, err)
			}
		}
	})
}

// companyStore records which company each document read names.
type companyStore struct {
	*fakeStore
	asked []string
}

func (s *companyStore) LiveDocument(ctx context.Context, company, sk string, now time.Time) (documents.Document, error) {
	s.asked = append(s.asked, company)
	return s.fakeStore.LiveDocument(ctx, company, sk, now)
}

// FuzzDownloadID feeds Download the path id of GET /api/documents/{id}/download: it
// answers a URL or fault.ErrNotFound, reads only the caller's company, and hands
// out only the caller's documents.
func FuzzDownloadID(f *testing.F) {
	own := doc("F-1", "2026-11-20", now.Add(time.Hour))
	foreign := doc("F-1", "2026-11-20", now.Add(time.Hour))
	foreign.CustomerNumber, foreign.ArchiveKey = "C002", "documents/acme/C002/F-1.pdf"
	for _, id := range []string{own.ID(), documents.EncodeID("2026-11-20#F-1#acme#C002"), documents.EncodeID("../C002/2026-11-20#F-1"),
		"", "not-an-id", "MjAyNi0xMS0yMCNGLTE=", documents.EncodeID("2026-11-20#"), documents.EncodeID("2026-02-30#F-1")} {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		st := &companyStore{fakeStore: newFakeStore(own, foreign)}
		clock := now
		svc, p := newService(t, st.fakeStore, &clock)
		svc.Store = st
		url, err := svc.Download(context.Background(), caller, id)
		if err != nil {
			if !errors.Is(err, fault.ErrNotFound) {
				t.Fatalf("%q: got %v, want fault.ErrNotFound", id, err)
			}
			return
		}
		for _, c := range st.asked {
			if c != caller.Company() {
				t.Fatalf("%q: read company %q", id, c)
			}
		}
		if len(p.calls) != 1 || p.calls[0].key != own.ArchiveKey || !strings.HasSuffix(url, own.ArchiveKey) {
			t.Fatalf("%q: handed out %v (%s), want only the caller's document", id, p.calls, url)
		}
	})
}

func testSpaceTB(tb testing.TB) *spaces.Space {
	tb.Helper()
	sp := &spaces.Space{ID: "acme", Name: "Acme", Since: "2022-12-02"}
	if err := sp.Normalize(); err != nil {
		tb.Fatal(err)
	}
	return sp
}

func testSignerTB(tb testing.TB, b byte) *signing.Key {
	tb.Helper()
	k, err := signing.NewKey(bytes.Repeat([]byte{b}, signing.MinSecretLen))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
