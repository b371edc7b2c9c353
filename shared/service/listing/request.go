package listing

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/signing"
	"github.com/efacture/efacture/shared/domain/spaces"
)

// Params are a listing's query parameters as the client sent them.
type Params struct {
	From, To    string
	Type        string
	Number      string
	NumberMatch string
	Cursor      string
	Limit       string
}

// ParamsFromQuery reads Params from a URL query.
func ParamsFromQuery(q url.Values) Params {
	return Params{
		From: q.Get("from"), To: q.Get("to"), Type: q.Get("type"), Number: q.Get("number"),
		NumberMatch: q.Get("numberMatch"), Cursor: q.Get("cursor"), Limit: q.Get("limit"),
	}
}

// maxNumberLength bounds a number search; document numbers are far shorter.
const maxNumberLength = 100

// ResolveWindow turns optional from/to dates into the window a listing or export covers,
// in the space's calendar at instant now. A missing from is the caller's display history
// before today, a missing to is today. Dates outside what can still be listed are clamped
// rather than refused: before the retention nothing is left, after today nothing exists.
// A negative historyMonths means no default period: a missing from starts at the
// retention.
func ResolveWindow(from, to string, historyMonths int, sp *spaces.Space, now time.Time) (Window, error) {
	today, _ := time.ParseInLocation(time.DateOnly, sp.Today(now), time.UTC)
	// A day of margin below retention: the expiry filter is exact, this bound only
	// spares reading what cannot be shown.
	floor := spaces.AddMonthsClamped(today, -sp.RetentionMonths).AddDate(0, 0, -1)
	start, end := floor, today
	if historyMonths >= 0 {
		if !slices.Contains(accounts.HistoryChoices, historyMonths) {
			historyMonths = accounts.DefaultHistoryMonths
		}
		start = spaces.AddMonthsClamped(today, -historyMonths)
	}
	if from != "" {
		d, err := time.Parse(time.DateOnly, from)
		if err != nil {
			return Window{}, invalid("from", "want a date YYYY-MM-DD")
		}
		start = d
	}
	if to != "" {
		d, err := time.Parse(time.DateOnly, to)
		if err != nil {
			return Window{}, invalid("to", "want a date YYYY-MM-DD")
		}
		end = d
	}
	if start.After(end) {
		return Window{}, invalid("from", "after to")
	}
	if start.Before(floor) {
		start = floor
	}
	if end.After(today) {
		end = today
	}
	return Window{From: start.Format(time.DateOnly), To: end.Format(time.DateOnly)}, nil
}

// cursorState is what a listing cursor carries: the position and the window of the
// first page, so a listing that crosses midnight keeps its period.
type cursorState struct {
	Key
	From string `json:"f,omitempty"`
	To   string `json:"t,omitempty"`
}

// request is a resolved listing: the query and what its cursors are bound to.
type request struct {
	query   Query
	binding string
}

// resolve validates p for caller c and decodes its cursor.
func resolve(p Params, c Caller, sp *spaces.Space, now time.Time, signer *signing.Key) (request, error) {
	q := Query{Company: c.Company(), Limit: DefaultLimit, Now: now}
	if p.Limit != "" {
		n, err := strconv.Atoi(p.Limit)
		if err != nil || n < 1 || n > MaxLimit {
			return request{}, invalid("limit", "want 1 to %d", MaxLimit)
		}
		q.Limit = n
	}
	switch p.Type {
	case "", documents.Invoice, documents.CreditNote:
		q.Type = p.Type
	default:
		return request{}, invalid("type", "want %s or %s", documents.Invoice, documents.CreditNote)
	}
	q.Number = strings.TrimSpace(p.Number)
	match := p.NumberMatch
	switch match {
	case "":
		match = MatchPrefix
	case MatchPrefix, MatchExact:
	default:
		return request{}, invalid("numberMatch", "want %s or %s", MatchPrefix, MatchExact)
	}
	if len(q.Number) > maxNumberLength {
		return request{}, invalid("number", "longer than %d characters", maxNumberLength)
	}
	q.ByNumber = q.Number != ""
	q.Exact = q.ByNumber && match == MatchExact
	from, to := strings.TrimSpace(p.From), strings.TrimSpace(p.To)
	if !q.ByNumber || from != "" || to != "" {
		history := c.HistoryMonths
		if q.ByNumber {
			history = -1 // a number search ignores the default period
		}
		w, err := ResolveWindow(from, to, history, sp, now)
		if err != nil {
			return request{}, err
		}
		q.Window, q.HasWindow = w, true
	}
	if !q.ByNumber {
		match = ""
	}
	// The binding covers the parameters as given (not the resolved window, which moves
	// with the date) and the index; the limit may change between pages.
	sum := sha256.Sum256([]byte(strings.Join([]string{"v1", strconv.FormatBool(q.ByNumber), from, to, q.Type, q.Number, match}, "\x00")))
	r := request{query: q, binding: "documents-cursor|" + c.Company() + "|" + hex.EncodeToString(sum[:16])}
	if p.Cursor == "" {
		return r, nil
	}
	payload, err := signer.Verify(r.binding, p.Cursor)
	if err != nil {
		return request{}, invalid("cursor", "not a cursor of this listing")
	}
	var st cursorState
	if err := json.Unmarshal(payload, &st); err != nil || st.SK == "" || q.ByNumber != (st.Number != "") {
		return request{}, invalid("cursor", "not a cursor of this listing")
	}
	r.query.After = &st.Key
	if r.query.HasWindow {
		r.query.Window = Window{From: st.From, To: st.To}
	}
	return r, nil
}

// cursorFor seals the position next for the listing r.
func (r request) cursorFor(next Key, signer *signing.Key) string {
	st := cursorState{Key: next}
	if r.query.HasWindow {
		st.From, st.To = r.query.Window.From, r.query.Window.To
	}
	payload, _ := json.Marshal(st)
	return signer.Sign(r.binding, payload)
}
