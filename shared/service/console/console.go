// Package console is the supplier console's customer service (PRODUCT.md §11): staff
// find a customer of their space, see what the customer sees and why mail did not
// arrive, list its documents and send a new activation mail. Every action is audited in
// the space's staff log and, when it concerns a customer, in the customer's own log under
// the actor staff.CustomerService.
package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/signing"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/staff"
	"github.com/efacture/efacture/shared/domain/tokens"
	"github.com/efacture/efacture/shared/service/listing"
)

// Customer is a customer as the console shows it: the referential's fields and what
// SES last said of its registered address.
type Customer struct {
	Number, CompanyName, SIREN, Email string
	Notification, Delivery, Language  string
	MailStatus                        string
	MailStatusAt                      *time.Time
	AdminIdentifier                   string
	UpdatedAt                         time.Time
}

// Index names the customer indexes a search reads.
type Index string

// Indexes of PRODUCT.md §11's search.
const (
	ByNumber Index = "number" // prefix
	ByName   Index = "name"   // prefix of the folded name
	BySIREN  Index = "siren"  // exact
	ByEmail  Index = "email"  // exact
)

// DocumentStats is what the console says of a customer's documents.
type DocumentStats struct {
	Count         int
	LastIssueDate string
}

// Resend is a new activation of a registered admin, written at once: the token, its
// mark on the account (which voids older links), the mail and both audit entries.
type Resend struct {
	Account accounts.Account
	Token   tokens.Record
	Mail    outbox.Record
	Audit   []audit.Entry
}

// ErrAccountChanged is a store's answer when the account to activate is gone, inactive
// or no longer the company's.
var ErrAccountChanged = errors.New("account changed meanwhile")

// Store is what the console reads and writes (docs/DATA.md).
type Store interface {
	audit.Store
	Space(ctx context.Context, id string) (spaces.Space, error)
	// ConsoleCustomer returns a customer, or a fault.ErrNotFound.
	ConsoleCustomer(ctx context.Context, space, number string) (Customer, error)
	// SearchCustomers reads an index of a space: customers whose key begins with value
	// (ByNumber, ByName) or equals it (BySIREN, ByEmail), in key order, after the index
	// key after, at most limit; more tells whether the index may hold further ones.
	SearchCustomers(ctx context.Context, space string, by Index, value, after string, limit int) (items []Customer, more bool, err error)
	AccountsOfCompany(ctx context.Context, space, customerNumber string) ([]accounts.Account, error)
	AccountsByEmail(ctx context.Context, space, email string) ([]accounts.Account, error)
	// DocumentStats counts a company's live documents and finds the newest issue date.
	DocumentStats(ctx context.Context, company string, now time.Time) (DocumentStats, error)
	// CompanyMails returns a company's newest mails, at most limit.
	CompanyMails(ctx context.Context, company string, limit int) ([]outbox.Record, error)
	// ResendActivation writes a Resend, or returns ErrAccountChanged.
	ResendActivation(ctx context.Context, r Resend) error
	// ClearMailStatus removes the mail status recorded at seenAt with entries, or returns
	// a conflict fault when another status was recorded since.
	ClearMailStatus(ctx context.Context, space, number string, seenAt time.Time, entries ...audit.Entry) error
}

// Lister lists a company's documents (listing.Service).
type Lister interface {
	List(ctx context.Context, c listing.Caller, p listing.Params) (listing.Result, error)
}

// Service is the console's behaviour.
type Service struct {
	Store   Store
	Staff   *staff.Service // the staff audit log
	Listing Lister
	Cursors *signing.Key
	// MailKey gives the key that derives the activation token (read at first use); only
	// the token's hash is written.
	MailKey func(context.Context) (*tokens.MailKey, error)
	// Rejections lists billing's rejected files and referential reports (nil: none).
	Rejections RejectionSource
	Now        func() time.Time
	Log        *slog.Logger
}

// MailsShown is how many of a customer's mails the view lists.
const MailsShown = 50

// Search bounds.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	maxExact     = 200 // customers one SIREN or address may name, at most
)

func notFound() error { return fault.NotFound("customer") }

// customer reads a customer of the member's space: another space's, or none, is the
// same not_found, so staff never learn of other spaces' customers.
func (s *Service) customer(ctx context.Context, m staff.Member, number string) (Customer, error) {
	if !customers.ValidNumber(number) {
		return Customer{}, notFound()
	}
	return s.Store.ConsoleCustomer(ctx, m.Space, number)
}

// record audits a staff action in the space's staff log and, for a customer, in the
// customer's own log as the supplier's customer service.
func (s *Service) entries(ctx context.Context, m staff.Member, action, number, detail string) ([]audit.Entry, error) {
	e, err := s.Staff.Entry(ctx, m.Space, m.Identifier, action, number, detail)
	if err != nil {
		return nil, err
	}
	out := []audit.Entry{e}
	if number != "" {
		c := audit.New(documents.Company(m.Space, number), e.At, staff.CustomerService, action, number, detail, e.ExpiresAt)
		out = append(out, c)
	}
	return out, nil
}

func (s *Service) record(ctx context.Context, m staff.Member, action, number, detail string) error {
	es, err := s.entries(ctx, m, action, number, detail)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	for _, e := range es {
		if err := s.Store.PutAudit(ctx, e); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	return nil
}

// Page is one page of a search.
type Page struct {
	Items      []Customer
	NextCursor string
}

// searchCursor is where a search stands: the phase and the index key last returned.
type searchCursor struct {
	Phase int    `json:"p"`
	After string `json:"a,omitempty"`
}

// phase is one index read of a search.
type phase struct {
	by    Index
	value string
	// skip leaves out customers an earlier phase listed.
	skip func(Customer) bool
}

// phases turns what was typed into the index reads that answer it: an address reads
// the e-mail index; anything else the SIREN index (nine digits), then number prefixes,
// then company-name prefixes. Each later phase leaves out what an earlier one listed,
// so a customer is listed once.
func phases(q string) []phase {
	q = strings.TrimSpace(q)
	if strings.Contains(q, "@") {
		return []phase{{by: ByEmail, value: strings.ToLower(q)}}
	}
	var out []phase
	siren := customers.SIRENOf(q)
	if siren != "" {
		out = append(out, phase{by: BySIREN, value: siren})
	}
	num := customers.NumberPrefix(q)
	out = append(out, phase{by: ByNumber, value: num, skip: func(c Customer) bool { return siren != "" && c.SIREN == siren }})
	if name := customers.Fold(q); name != "" {
		out = append(out, phase{by: ByName, value: name, skip: func(c Customer) bool {
			return strings.HasPrefix(strings.ToUpper(c.Number), num) || (siren != "" && c.SIREN == siren)
		}})
	}
	return out
}

// Search finds customers of the member's space (PRODUCT.md §11): q is a customer-number
// prefix, a SIREN, an e-mail address or a company-name prefix; "" lists every customer
// by number. It returns an invalid fault for a bad limit or cursor.
func (s *Service) Search(ctx context.Context, m staff.Member, q, cursor string, limit int) (Page, error) {
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 1 || limit > MaxLimit {
		return Page{}, fault.Invalid("limit", fmt.Sprintf("1 to %d", MaxLimit))
	}
	if len(q) > 254 {
		return Page{}, fault.Invalid("q", "too long")
	}
	purpose := "staff-search|" + m.Space + "|" + strings.TrimSpace(q)
	var cur searchCursor
	if cursor != "" {
		raw, err := s.Cursors.Verify(purpose, cursor)
		if err == nil {
			err = json.Unmarshal(raw, &cur)
		}
		if err != nil {
			return Page{}, &fault.Error{Code: fault.CodeInvalid, Field: "cursor", Cause: err}
		}
	}
	ps := phases(q)
	if cur.Phase < 0 || cur.Phase >= len(ps) {
		return Page{}, fault.Invalid("cursor", "")
	}
	if cursor == "" {
		if err := s.record(ctx, m, staff.ActionSearch, "", strings.TrimSpace(q)); err != nil {
			return Page{}, err
		}
	}
	out := Page{Items: []Customer{}}
	for i := cur.Phase; i < len(ps); i++ {
		after := ""
		if i == cur.Phase {
			after = cur.After
		}
		got, next, err := s.readPhase(ctx, m.Space, ps[i], after, limit-len(out.Items))
		if err != nil {
			return Page{}, err
		}
		out.Items = append(out.Items, got...)
		if next != "" {
			raw, _ := json.Marshal(searchCursor{Phase: i, After: next})
			out.NextCursor = s.Cursors.Sign(purpose, raw)
			return out, nil
		}
		if len(out.Items) == limit && i+1 < len(ps) {
			raw, _ := json.Marshal(searchCursor{Phase: i + 1})
			out.NextCursor = s.Cursors.Sign(purpose, raw)
			return out, nil
		}
	}
	return out, nil
}

// readPhase returns up to need customers of one phase after after, and the index key
// to continue from ("" once the phase is done).
func (s *Service) readPhase(ctx context.Context, space string, p phase, after string, need int) ([]Customer, string, error) {
	switch p.by {
	case BySIREN:
		got, _, err := s.Store.SearchCustomers(ctx, space, BySIREN, p.value, "", maxExact)
		return got, "", err
	case ByEmail:
		return s.byEmail(ctx, space, p.value)
	}
	var out []Customer
	for {
		got, more, err := s.Store.SearchCustomers(ctx, space, p.by, p.value, after, need-len(out))
		if err != nil {
			return nil, "", err
		}
		for _, c := range got {
			after = indexKey(p.by, c)
			if p.skip == nil || !p.skip(c) {
				out = append(out, c)
			}
		}
		if !more || len(got) == 0 {
			return out, "", nil
		}
		if len(out) >= need {
			return out, after, nil
		}
	}
}

func indexKey(by Index, c Customer) string {
	if by == ByName {
		return customers.NameKey(c.CompanyName, c.Number)
	}
	return customers.NumberKey(c.Number)
}

// byEmail finds the customers whose registered address is email, and those with an
// account of that address: staff are called by the registered admin as by any user.
func (s *Service) byEmail(ctx context.Context, space, email string) ([]Customer, string, error) {
	got, _, err := s.Store.SearchCustomers(ctx, space, ByEmail, email, "", maxExact)
	if err != nil {
		return nil, "", err
	}
	seen := map[string]bool{}
	for _, c := range got {
		seen[c.Number] = true
	}
	accts, err := s.Store.AccountsByEmail(ctx, space, email)
	if err != nil {
		return nil, "", err
	}
	for _, a := range accts {
		if seen[a.CustomerNumber] || len(got) >= maxExact {
			continue
		}
		seen[a.CustomerNumber] = true
		c, err := s.Store.ConsoleCustomer(ctx, space, a.CustomerNumber)
		if errors.Is(err, fault.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		got = append(got, c)
	}
	slices.SortFunc(got, func(a, b Customer) int { return strings.Compare(a.Number, b.Number) })
	return got, "", nil
}

// View is one customer as the console shows it.
type View struct {
	Customer  Customer
	Accounts  []accounts.Account
	Documents DocumentStats
	Mails     []outbox.Record
}

// View returns a customer of the member's space with its accounts, documents and last
// mails, and audits it. Another space's customer is a not_found fault.
func (s *Service) View(ctx context.Context, m staff.Member, number string) (View, error) {
	c, err := s.customer(ctx, m, number)
	if err != nil {
		return View{}, err
	}
	v := View{Customer: c}
	if v.Accounts, err = s.Store.AccountsOfCompany(ctx, m.Space, c.Number); err != nil {
		return View{}, err
	}
	company := documents.Company(m.Space, c.Number)
	if v.Documents, err = s.Store.DocumentStats(ctx, company, s.Now()); err != nil {
		return View{}, err
	}
	if v.Mails, err = s.Store.CompanyMails(ctx, company, MailsShown); err != nil {
		return View{}, err
	}
	if err := s.record(ctx, m, staff.ActionViewCustomer, c.Number, ""); err != nil {
		return View{}, err
	}
	return v, nil
}

// Documents lists a customer's documents as the customer's own listing does, with the
// same parameters, and audits it.
func (s *Service) Documents(ctx context.Context, m staff.Member, number string, p listing.Params) (listing.Result, error) {
	c, err := s.customer(ctx, m, number)
	if err != nil {
		return listing.Result{}, err
	}
	res, err := s.Listing.List(ctx, listing.Caller{Space: m.Space, CustomerNumber: c.Number, Language: c.Language}, p)
	if err != nil {
		return listing.Result{}, err
	}
	if p.Cursor == "" {
		if err := s.record(ctx, m, staff.ActionViewDocuments, c.Number, ""); err != nil {
			return listing.Result{}, err
		}
	}
	return res, nil
}

// ErrNoEmail is a customer without a registered address: no activation can be sent.
var ErrNoEmail = &fault.Error{Code: fault.CodeConflict, Reason: "no_email", Detail: "no e-mail registered"}

// ErrNotActivated is a customer whose registered admin does not exist yet: its first
// document creates it and mails the activation.
var ErrNotActivated = &fault.Error{Code: fault.CodeConflict, Reason: "no_account", Detail: "no registered admin yet"}

// ResendActivation mails a new activation link to the customer's registered address for
// its registered admin; the newer link voids the older (PRODUCT.md §11). It returns
// ErrNoEmail, ErrNotActivated or a not_found fault.
func (s *Service) ResendActivation(ctx context.Context, m staff.Member, number string) error {
	c, err := s.customer(ctx, m, number)
	if err != nil {
		return err
	}
	if c.Email == "" {
		return ErrNoEmail
	}
	if c.AdminIdentifier == "" {
		return ErrNotActivated
	}
	accts, err := s.Store.AccountsOfCompany(ctx, m.Space, c.Number)
	if err != nil {
		return err
	}
	var admin *accounts.Account
	for i := range accts {
		if accounts.Key(accts[i].Identifier) == accounts.Key(c.AdminIdentifier) && accts[i].Active {
			admin = &accts[i]
		}
	}
	if admin == nil {
		return ErrNotActivated
	}
	now := s.Now().UTC()
	key, nonce := outbox.ActivationKey(accounts.Key(admin.Identifier))+"#"+now.Format(time.RFC3339Nano), tokens.NewNonce()
	mk, err := s.MailKey(ctx)
	if err != nil {
		return err
	}
	hash := tokens.Hash(mk.Token(tokens.KindActivation, key, nonce, 0))
	r := Resend{
		Account: *admin,
		Token: tokens.Record{
			Hash: hash, Kind: tokens.KindActivation, Space: m.Space, Email: c.Email, Identifier: admin.Identifier,
			CustomerNumber: c.Number, ExpiresAt: now.Add(tokens.ActivationValidity),
		},
		Mail: outbox.Record{
			Key: key, Kind: outbox.KindActivation,
			Space: m.Space, To: c.Email, Language: c.Language, Nonce: nonce, Status: outbox.StatusPending, CreatedAt: now,
			Data: map[string]string{"identifier": admin.Identifier, "companyName": c.CompanyName, "customerNumber": c.Number},
		},
	}
	if r.Audit, err = s.entries(ctx, m, staff.ActionActivationResent, c.Number, c.Email); err != nil {
		return err
	}
	if err := s.Store.ResendActivation(ctx, r); err != nil {
		if errors.Is(err, ErrAccountChanged) {
			return ErrNotActivated
		}
		return err
	}
	return nil
}

// ErrMailStatusChanged is a mail status that changed between the view and the clear: a
// new bounce came in, or someone else cleared it.
var ErrMailStatusChanged = &fault.Error{Code: fault.CodeConflict, Reason: "mail_status_changed", Detail: "the mail status changed meanwhile"}

// ClearMailStatus lifts a customer's mail status on a staff member's word (PRODUCT.md
// §5, §11), once the customer said the mailbox works again: notification mail goes to
// the registered address again. seen is the status the member saw, so that a status
// recorded or cleared since is not cleared unseen (ErrMailStatusChanged).
func (s *Service) ClearMailStatus(ctx context.Context, m staff.Member, number, seen string) error {
	if seen == "" {
		return fault.Invalid("status", "the mail status shown is required")
	}
	c, err := s.customer(ctx, m, number)
	if err != nil {
		return err
	}
	if c.MailStatus != seen {
		return ErrMailStatusChanged
	}
	es, err := s.entries(ctx, m, staff.ActionMailStatusCleared, c.Number, c.Email)
	if err != nil {
		return err
	}
	if err := s.Store.ClearMailStatus(ctx, m.Space, c.Number, *c.MailStatusAt, es...); err != nil {
		if fault.CodeOf(err) == fault.CodeConflict {
			return ErrMailStatusChanged
		}
		return err
	}
	s.Log.InfoContext(ctx, "customer mail status cleared by staff", "space", m.Space, "customer", c.Number, "was", c.MailStatus)
	return nil
}

// AuditPage is one page of the space's staff log, newest first, for a supervisor.
func (s *Service) AuditPage(ctx context.Context, m staff.Member, cursor string, limit int) ([]audit.Entry, string, error) {
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 200 {
		return nil, "", fault.Invalid("limit", "1 to 200")
	}
	purpose := "staff-audit|" + m.Space
	after := ""
	if cursor != "" {
		raw, err := s.Cursors.Verify(purpose, cursor)
		if err != nil {
			return nil, "", &fault.Error{Code: fault.CodeInvalid, Field: "cursor", Cause: err}
		}
		after = string(raw)
	} else if err := s.record(ctx, m, staff.ActionViewAudit, "", ""); err != nil {
		return nil, "", err
	}
	es, next, err := s.Store.AuditPage(ctx, staff.Company(m.Space), after, limit)
	if err != nil {
		return nil, "", err
	}
	if next != "" {
		next = s.Cursors.Sign(purpose, []byte(next))
	}
	return es, next, nil
}
