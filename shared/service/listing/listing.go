// Package listing decides what of a company's documents a caller sees and fetches: the
// listing's period, filters and signed cursors (PRODUCT.md §7), single downloads and no-login
// links (PRODUCT.md §5), all bounded by retention (PRODUCT.md §8).
package listing

import (
	"fmt"
	"time"

	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
)

// invalid refuses a parameter or cursor. Like every error of the service a client sees,
// it is a fault: invalid naming the parameter, not_found for an unknown, foreign or
// expired document id, gone for a link that is unknown, past its expiry, whose recipient
// account is no longer active or whose document has expired (callers cannot tell these
// apart, by design), too_many for a link used too often in the current hour.
func invalid(param, format string, a ...any) error {
	return fault.Invalid(param, fmt.Sprintf(format, a...))
}

func linkExpired() error { return fault.New(fault.CodeGone, "link expired") }

// Caller is who a request acts for. Space and customer come only from the session, never
// from the request (PRODUCT.md §7, tenancy).
type Caller struct {
	Identifier     string
	Space          string
	CustomerNumber string
	HistoryMonths  int // display-history preference; anything unknown means the default
	Language       string
}

// Company is the caller's document partition.
func (c Caller) Company() string { return documents.Company(c.Space, c.CustomerNumber) }

// Listing bounds (PRODUCT.md §7).
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Number matches.
const (
	MatchPrefix = "prefix"
	MatchExact  = "exact"
)

// Key is a position in a listing: a document's sort key, and its number on the number
// index. The company part of the key is never carried: it comes from the session.
type Key struct {
	SK     string `json:"s"`
	Number string `json:"n,omitempty"`
}

// Window is an inclusive range of issue dates (YYYY-MM-DD).
type Window struct {
	From, To string
}

// Empty reports whether no date can fall in the window.
func (w Window) Empty() bool { return w.From > w.To }

// Query is one page's worth of a validated listing, what a store runs as one request.
type Query struct {
	Company string
	// ByNumber selects the (company, number) index, sorted by number descending;
	// otherwise the company's documents sorted by issue date descending.
	ByNumber bool
	// Window is the key range by date; on the number index it is a filter, applied only
	// when HasWindow (explicit from/to).
	Window    Window
	HasWindow bool
	Type      string // "" for every type; a filter, so pages may come back short
	Number    string
	Exact     bool // number must equal Number, else start with it
	Limit     int
	After     *Key      // exclusive start, nil on the first page
	Now       time.Time // documents whose expiresAt is not after Now are never returned
}

// Page is what a store returns for a Query.
type Page struct {
	Items []documents.Document
	// Next is where the following page starts, nil when the listing is complete. A store
	// reads at most Limit+1 items, so a full page knows whether more follow.
	Next *Key
}

// Result is one page of a listing as the API returns it.
type Result struct {
	Items      []documents.Document
	NextCursor string // "" on the last page
}
