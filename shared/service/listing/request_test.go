package listing

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/signing"
	"github.com/efacture/efacture/shared/domain/spaces"
)

func testSpace(t *testing.T) *spaces.Space {
	t.Helper()
	sp := &spaces.Space{ID: "acme", Name: "Acme", Since: "2022-12-02"}
	if err := sp.Normalize(); err != nil {
		t.Fatal(err)
	}
	return sp
}

func testSigner(t *testing.T, b byte) *signing.Key {
	t.Helper()
	s, err := signing.NewKey(bytes.Repeat([]byte{b}, signing.MinSecretLen))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	// 11:00 in Paris on 26 November 2026.
	now    = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	caller = Caller{Identifier: "pierre", Space: "acme", CustomerNumber: "C001", HistoryMonths: 3}
)

func TestResolve(t *testing.T) {
	sp := testSpace(t)
	cases := []struct {
		name   string
		p      Params
		c      Caller
		now    time.Time
		want   Query
		errFor string // the parameter at fault, "" for success
	}{
		{name: "default window is the history preference", p: Params{}, c: caller,
			want: Query{Window: Window{"2026-08-26", "2026-11-26"}, HasWindow: true, Limit: 50}},
		{name: "twelve months", p: Params{}, c: Caller{Space: "acme", CustomerNumber: "C001", HistoryMonths: 12},
			want: Query{Window: Window{"2025-11-26", "2026-11-26"}, HasWindow: true, Limit: 50}},
		{name: "unknown preference means three months", p: Params{}, c: Caller{Space: "acme", CustomerNumber: "C001", HistoryMonths: 7},
			want: Query{Window: Window{"2026-08-26", "2026-11-26"}, HasWindow: true, Limit: 50}},
		{name: "today in the space's zone", p: Params{}, c: caller, now: time.Date(2026, 11, 26, 23, 30, 0, 0, time.UTC),
			want: Query{Window: Window{"2026-08-27", "2026-11-27"}, HasWindow: true, Limit: 50}},
		{name: "explicit period and type", p: Params{From: "2026-01-01", To: "2026-03-31", Type: "credit_note", Limit: "200"}, c: caller,
			want: Query{Window: Window{"2026-01-01", "2026-03-31"}, HasWindow: true, Type: "credit_note", Limit: 200}},
		{name: "from only", p: Params{From: "2026-10-01"}, c: caller,
			want: Query{Window: Window{"2026-10-01", "2026-11-26"}, HasWindow: true, Limit: 50}},
		{name: "clamped to retention and today", p: Params{From: "2020-01-01", To: "2030-01-01"}, c: caller,
			want: Query{Window: Window{"2024-11-25", "2026-11-26"}, HasWindow: true, Limit: 50}},
		{name: "past retention entirely", p: Params{From: "2020-01-01", To: "2021-01-01"}, c: caller,
			want: Query{Window: Window{"2024-11-25", "2021-01-01"}, HasWindow: true, Limit: 50}},
		{name: "number prefix ignores the default period", p: Params{Number: " F-2026 "}, c: caller,
			want: Query{ByNumber: true, Number: "F-2026", Limit: 50}},
		{name: "number exact", p: Params{Number: "F-2026-001", NumberMatch: "exact"}, c: caller,
			want: Query{ByNumber: true, Number: "F-2026-001", Exact: true, Limit: 50}},
		{name: "number with an explicit end", p: Params{Number: "F", To: "2026-06-30"}, c: caller,
			want: Query{ByNumber: true, Number: "F", Window: Window{"2024-11-25", "2026-06-30"}, HasWindow: true, Limit: 50}},
		{name: "number match alone is ignored", p: Params{NumberMatch: "exact"}, c: caller,
			want: Query{Window: Window{"2026-08-26", "2026-11-26"}, HasWindow: true, Limit: 50}},
		{name: "limit zero", p: Params{Limit: "0"}, c: caller, errFor: "limit"},
		{name: "limit above max", p: Params{Limit: "201"}, c: caller, errFor: "limit"},
		{name: "limit not a number", p: Params{Limit: "ten"}, c: caller, errFor: "limit"},
		{name: "unknown type", p: Params{Type: "receipt"}, c: caller, errFor: "type"},
		{name: "bad from", p: Params{From: "26/11/2026"}, c: caller, errFor: "from"},
		{name: "bad to", p: Params{To: "2026-02-30"}, c: caller, errFor: "to"},
		{name: "from after to", p: Params{From: "2026-11-02", To: "2026-11-01"}, c: caller, errFor: "from"},
		{name: "unknown match", p: Params{Number: "F", NumberMatch: "suffix"}, c: caller, errFor: "numberMatch"},
		{name: "number too long", p: Params{Number: string(bytes.Repeat([]byte("9"), 101))}, c: caller, errFor: "number"},
		{name: "garbage cursor", p: Params{Cursor: "abc.def"}, c: caller, errFor: "cursor"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at := c.now
			if at.IsZero() {
				at = now
			}
			r, err := resolve(c.p, c.c, sp, at, testSigner(t, 1))
			if c.errFor != "" {
				var ie *fault.Error
				if !errors.As(err, &ie) || ie.Field != c.errFor || !errors.Is(err, fault.ErrInvalid) {
					t.Fatalf("got error %v, want an invalid %s", err, c.errFor)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.want.Company, c.want.Now = "acme#C001", at
			if r.query != c.want {
				t.Errorf("got %+v, want %+v", r.query, c.want)
			}
		})
	}
}

func TestCursorBinding(t *testing.T) {
	sp := testSpace(t)
	signer := testSigner(t, 1)
	first := Params{Type: "invoice", Limit: "2"}
	r, err := resolve(first, caller, sp, now, signer)
	if err != nil {
		t.Fatal(err)
	}
	token := r.cursorFor(Key{SK: "2026-11-20#F-7"}, signer)

	t.Run("same filters, other limit, next day", func(t *testing.T) {
		p := first
		p.Cursor, p.Limit = token, "5"
		got, err := resolve(p, caller, sp, now.Add(24*time.Hour), signer)
		if err != nil {
			t.Fatal(err)
		}
		if got.query.After == nil || *got.query.After != (Key{SK: "2026-11-20#F-7"}) {
			t.Errorf("got start %+v, want the cursor's key", got.query.After)
		}
		if got.query.Window != r.query.Window || got.query.Limit != 5 {
			t.Errorf("got window %+v limit %d, want the first page's window %+v and limit 5", got.query.Window, got.query.Limit, r.query.Window)
		}
	})
	rejected := []struct {
		name   string
		p      Params
		c      Caller
		signer *signing.Key
	}{
		{"other type", Params{Type: "credit_note", Cursor: token}, caller, signer},
		{"no type", Params{Cursor: token}, caller, signer},
		{"other period", Params{Type: "invoice", From: "2026-10-01", Cursor: token}, caller, signer},
		{"number search", Params{Type: "invoice", Number: "F", Cursor: token}, caller, signer},
		{"other company", first, Caller{Space: "acme", CustomerNumber: "C002"}, signer},
		{"other space", first, Caller{Space: "globex", CustomerNumber: "C001"}, signer},
		{"other secret", first, caller, testSigner(t, 2)},
		{"edited", Params{Type: "invoice", Cursor: "x" + token[1:]}, caller, signer},
	}
	for _, c := range rejected {
		t.Run(c.name, func(t *testing.T) {
			if c.p.Cursor == "" {
				c.p.Cursor = token
			}
			_, err := resolve(c.p, c.c, sp, now, c.signer)
			var ie *fault.Error
			if !errors.As(err, &ie) || ie.Field != "cursor" {
				t.Errorf("got %v, want an invalid cursor", err)
			}
		})
	}
}
