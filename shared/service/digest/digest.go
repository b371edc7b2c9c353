// Package digest sends the daily digest of PRODUCT.md §5: at a space's digest hour, each
// customer in `digest` mode gets one mail listing the documents ingested since its
// previous digest, each with a no-login link.
package digest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/tokens"
)

// Entry is a document waiting for its customer's next digest, queued by ingestion in the
// same transaction as the document.
type Entry struct {
	Key       string // the queue item's sort key
	Number    string
	Type      string
	IssueDate string
	Amount    string
	Currency  string
	Duplicate bool
	Copy      bool
}

// SortKey is the document's sort key (documents.Document.SortKey).
func (e Entry) SortKey() string { return e.IssueDate + "#" + e.Number }

// ErrAlreadySent is returned by Store.Commit when the day's digest mail already exists.
var ErrAlreadySent = errors.New("digest already sent")

// Store is what the digest needs of DynamoDB.
type Store interface {
	Spaces(ctx context.Context) ([]spaces.Space, error)
	// Due lists the customer numbers of a space with queued entries.
	Due(ctx context.Context, space string) ([]string, error)
	Customer(ctx context.Context, space, number string) (customers.Customer, error)
	// Entries returns a company's queued entries, oldest first.
	Entries(ctx context.Context, company string) ([]Entry, error)
	// Commit writes the mail and its link tokens and removes the entries it lists, in one
	// transaction; done tells it to clear the company's due marker too.
	Commit(ctx context.Context, company string, mail outbox.Record, links []tokens.Record, entries []Entry, done bool, at time.Time) error
	// Drop removes entries that will never be mailed (no e-mail, mode changed) and the
	// company's due marker.
	Drop(ctx context.Context, company string, entries []Entry) error
}

// MaxPerMail keeps one digest's transaction within DynamoDB's 100-item limit; a busier
// day sends several mails.
const MaxPerMail = 40

// Service runs the hourly schedule.
type Service struct {
	Store Store
	// MailKey derives the link tokens, of which only the hashes are written.
	MailKey *tokens.MailKey
	Now     func() time.Time
	Log     *slog.Logger
}

// Item is one document of a digest mail, as the outbox record carries it.
type Item struct {
	Number    string `json:"number"`
	Type      string `json:"type"`
	IssueDate string `json:"issueDate"`
	Amount    string `json:"amount,omitempty"`
	Currency  string `json:"currency,omitempty"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Copy      bool   `json:"copy,omitempty"`
}

// Run sends the digests of every space whose digest hour it is. An error leaves the
// remaining work for the schedule's retry; what was committed stays committed.
func (s *Service) Run(ctx context.Context) error {
	now := s.Now()
	all, err := s.Store.Spaces(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, sp := range all {
		if now.In(sp.Location()).Hour() != sp.Hour() {
			continue
		}
		if err := s.space(ctx, sp, now); err != nil {
			errs = append(errs, fmt.Errorf("space %s: %w", sp.ID, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) space(ctx context.Context, sp spaces.Space, now time.Time) error {
	due, err := s.Store.Due(ctx, sp.ID)
	if err != nil {
		return err
	}
	var errs []error
	for _, number := range due {
		if err := s.customer(ctx, sp, number, now); err != nil {
			errs = append(errs, fmt.Errorf("customer %s: %w", number, err))
		}
	}
	return errors.Join(errs...)
}

func (s *Service) customer(ctx context.Context, sp spaces.Space, number string, now time.Time) error {
	company := documents.Company(sp.ID, number)
	entries, err := s.Store.Entries(ctx, company)
	if err != nil {
		return err
	}
	c, err := s.Store.Customer(ctx, sp.ID, number)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return err
	}
	if len(entries) == 0 || c.Email == "" || c.Notification != customers.NotifyDigest || c.AdminID == "" || c.MailHeld() {
		// The customer left digest mode or lost its address since, or the address bounces
		// (PRODUCT.md §5): nothing will be mailed; the documents stay in the portal.
		return s.Store.Drop(ctx, company, entries)
	}
	date := sp.Today(now)
	for part := 0; part*MaxPerMail < len(entries); part++ {
		chunk := entries[part*MaxPerMail : min(len(entries), (part+1)*MaxPerMail)]
		key := outbox.DigestKey(company, date)
		if part > 0 {
			key += "#" + strconv.Itoa(part+1)
		}
		done := (part+1)*MaxPerMail >= len(entries)
		mail, links := s.mail(sp, c, key, chunk, now)
		err := s.Store.Commit(ctx, company, mail, links, chunk, done, now)
		if errors.Is(err, ErrAlreadySent) {
			// Documents that arrived after today's digest wait for tomorrow's.
			return nil
		}
		if err != nil {
			return err
		}
		s.Log.InfoContext(ctx, "digest queued", "space", sp.ID, "customer", number, "documents", len(chunk))
	}
	return nil
}

// mail builds one digest record: items in Data, and a link token per document bound to
// the registered admin, derived from the record's key, nonce and the item's position.
func (s *Service) mail(sp spaces.Space, c customers.Customer, key string, chunk []Entry, now time.Time) (outbox.Record, []tokens.Record) {
	items := make([]Item, len(chunk))
	nonce := tokens.NewNonce()
	links := make([]tokens.Record, len(chunk))
	expires := now.Add(time.Duration(sp.LinkLifetimeDays) * 24 * time.Hour).UTC()
	for i, e := range chunk {
		items[i] = Item{Number: e.Number, Type: e.Type, IssueDate: e.IssueDate, Amount: e.Amount, Currency: e.Currency, Duplicate: e.Duplicate, Copy: e.Copy}
		hash := tokens.Hash(s.MailKey.Token(tokens.KindLink, key, nonce, i))
		links[i] = tokens.Record{
			Hash: hash, Kind: tokens.KindLink, Space: sp.ID, Email: c.Email, Identifier: c.AdminID,
			CustomerNumber: c.Number, DocumentSK: e.SortKey(), ExpiresAt: expires,
		}
	}
	itemsJSON, _ := json.Marshal(items)
	return outbox.Record{
		Key: key, Kind: outbox.KindDigest, Space: sp.ID, To: c.Email, Language: c.Language,
		Status: outbox.StatusPending, CreatedAt: now.UTC(), Nonce: nonce,
		Data: map[string]string{
			"companyName": c.CompanyName, "customerNumber": c.Number, "items": string(itemsJSON),
			"linkDays": strconv.Itoa(sp.LinkLifetimeDays),
		},
	}, links
}
