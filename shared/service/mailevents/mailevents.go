// Package mailevents reads SES bounce, complaint and delivery events and keeps each
// customer's mail status (PRODUCT.md §5): a permanent bounce or a complaint from the
// registered e-mail holds notification mail to it, and a later delivery to that address,
// a changed address or a staff member clears it.
package mailevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/metrics"
)

// Headers the mailer adds and SES returns in events: the company of a customer mail
// ({space}#{customer number}), and the space of every mail, so that a mail of no single
// company (recovery) is traced back to the customers of its address.
const (
	CompanyHeader = "X-Efacture-Company"
	SpaceHeader   = "X-Efacture-Space"
)

// Statuses written on the customer.
const (
	BouncedMailboxFull    = "bounced: mailbox full"
	BouncedAddressUnknown = "bounced: address unknown"
	BouncedOther          = "bounced"
	Complaint             = "complaint"
)

// Outcome is what one event says. Company is "" when the mail was not a customer mail
// (recovery, say); Space is then the only way back to the customers.
type Outcome struct {
	Space     string
	Company   string
	Status    string // "" for a delivery
	Delivered bool   // SES handed the mail to the recipient's server
	Addresses []string
	At        time.Time // when SES saw the bounce, complaint or delivery; zero if unsaid
}

type recipients []struct {
	EmailAddress string `json:"emailAddress"`
}

type event struct {
	EventType        string `json:"eventType"`
	NotificationType string `json:"notificationType"` // older SES notifications
	Mail             struct {
		Headers []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"headers"`
	} `json:"mail"`
	Bounce struct {
		BounceType        string     `json:"bounceType"`
		BounceSubType     string     `json:"bounceSubType"`
		BouncedRecipients recipients `json:"bouncedRecipients"`
		Timestamp         string     `json:"timestamp"`
	} `json:"bounce"`
	Complaint struct {
		ComplainedRecipients recipients `json:"complainedRecipients"`
		Timestamp            string     `json:"timestamp"`
	} `json:"complaint"`
	Delivery struct {
		Recipients []string `json:"recipients"`
		Timestamp  string   `json:"timestamp"`
	} `json:"delivery"`
}

// Parse reads one SES event (the SNS message body). Transient bounces change nothing:
// SES retries them itself. ok is false for events that change nothing.
func Parse(body string) (out Outcome, ok bool, err error) {
	var ev event
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		return Outcome{}, false, fmt.Errorf("SES event: %w", err)
	}
	for _, h := range ev.Mail.Headers {
		switch {
		case strings.EqualFold(h.Name, CompanyHeader):
			out.Company = strings.TrimSpace(h.Value)
		case strings.EqualFold(h.Name, SpaceHeader):
			out.Space = strings.TrimSpace(h.Value)
		}
	}
	if sp, _, found := strings.Cut(out.Company, "#"); found && out.Space == "" {
		out.Space = sp
	}
	kind := ev.EventType
	if kind == "" {
		kind = ev.NotificationType
	}
	var stamp string
	switch kind {
	case "Bounce":
		if ev.Bounce.BounceType != "Permanent" {
			return out, false, nil
		}
		switch ev.Bounce.BounceSubType {
		case "MailboxFull":
			out.Status = BouncedMailboxFull
		case "NoEmail", "General", "Suppressed", "OnAccountSuppressionList":
			out.Status = BouncedAddressUnknown
		default:
			out.Status = BouncedOther
		}
		for _, r := range ev.Bounce.BouncedRecipients {
			out.Addresses = append(out.Addresses, r.EmailAddress)
		}
		stamp = ev.Bounce.Timestamp
	case "Complaint":
		out.Status = Complaint
		for _, r := range ev.Complaint.ComplainedRecipients {
			out.Addresses = append(out.Addresses, r.EmailAddress)
		}
		stamp = ev.Complaint.Timestamp
	case "Delivery":
		out.Delivered = true
		out.Addresses = ev.Delivery.Recipients
		stamp = ev.Delivery.Timestamp
	default:
		return out, false, nil
	}
	if stamp != "" {
		if out.At, err = time.Parse(time.RFC3339, stamp); err != nil {
			return Outcome{}, false, fmt.Errorf("SES event timestamp: %w", err)
		}
	}
	if out.Delivered {
		// A delivery tells of one address; without it there is nothing to clear.
		return out, out.Space != "" && len(out.Addresses) > 0, nil
	}
	return out, out.Company != "" || (out.Space != "" && len(out.Addresses) > 0), nil
}

// Store is what mail statuses need of DynamoDB.
type Store interface {
	// Customer returns a customer, or a fault.ErrNotFound.
	Customer(ctx context.Context, space, number string) (customers.Customer, error)
	// AccountsByEmail lists the accounts of an address in a space.
	AccountsByEmail(ctx context.Context, space, email string) ([]accounts.Account, error)
	// SetMailStatus records status against email at at, or returns a conflict fault when
	// email is no longer the customer's registered e-mail.
	SetMailStatus(ctx context.Context, space, number, email, status string, at time.Time) error
	// ClearMailStatus removes the status recorded at seenAt, or returns a conflict fault
	// when another status was recorded since.
	ClearMailStatus(ctx context.Context, space, number string, seenAt time.Time, entries ...audit.Entry) error
}

// Service keeps customers' mail statuses.
type Service struct {
	Store Store
	Now   func() time.Time
	Log   *slog.Logger
	// Metrics makes each event's log line count MailsBounced or MailsComplained; the
	// zero value counts nothing.
	Metrics metrics.Recorder
}

// Apply records an event on the customers whose registered e-mail it is about: a bounce
// or complaint sets the status, and a delivery later than the recorded status clears it.
// An event about another address (a user's own) or an unknown customer changes nothing,
// since retrying cannot change that.
func (s *Service) Apply(ctx context.Context, out Outcome) error {
	at := out.At
	if at.IsZero() {
		at = s.Now()
	}
	addresses := out.Addresses
	if len(addresses) == 0 {
		addresses = []string{""} // an event naming no recipient is about the registered e-mail
	}
	read := map[string]*customers.Customer{} // an event naming several recipients reads each customer once
	for _, addr := range addresses {
		targets, err := s.customersOf(ctx, out, addr, read)
		if err != nil {
			return err
		}
		for _, c := range targets {
			if err := s.apply(ctx, out, c, at); err != nil {
				return err
			}
		}
	}
	if !out.Delivered {
		// Counted once the event is settled, so a retried event is not counted twice.
		count := metrics.MailsBounced
		if out.Status == Complaint {
			count = metrics.MailsComplained
		}
		s.Log.InfoContext(ctx, "mail event applied", append(s.Metrics.Count(count), "space", out.Space, "status", out.Status)...)
	}
	return nil
}

func (s *Service) apply(ctx context.Context, out Outcome, c customers.Customer, at time.Time) error {
	company := documents.Company(c.Space, c.Number)
	var err error
	switch {
	case !out.Delivered:
		err = s.Store.SetMailStatus(ctx, c.Space, c.Number, c.Email, out.Status, at)
		if err == nil {
			s.Log.WarnContext(ctx, "customer mail status changed", "company", company, "status", out.Status)
		}
	case c.MailHeld() && at.After(c.MailStatusAt):
		err = s.Store.ClearMailStatus(ctx, c.Space, c.Number, c.MailStatusAt)
		if err == nil {
			s.Log.InfoContext(ctx, "customer mail status cleared by a delivery", "company", company, "was", c.MailStatus)
		}
	}
	if errors.Is(err, fault.ErrConflict) {
		// The address or the status changed since it was read: the newer state stands.
		s.Log.InfoContext(ctx, "mail event overtaken", "company", company)
		return nil
	}
	return err
}

// customersOf returns the customers whose registered e-mail addr is ("" meaning the
// registered e-mail of the event's company); read keeps the customers already read (nil:
// unknown).
func (s *Service) customersOf(ctx context.Context, out Outcome, addr string, read map[string]*customers.Customer) ([]customers.Customer, error) {
	var numbers []string
	if out.Company != "" {
		sp, number, found := strings.Cut(out.Company, "#")
		if !found || sp != out.Space {
			s.Log.WarnContext(ctx, "mail event with a malformed company", "company", out.Company)
			return nil, nil
		}
		numbers = []string{number}
	} else if addr != "" {
		accts, err := s.Store.AccountsByEmail(ctx, out.Space, addr)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, a := range accts {
			if !seen[a.CustomerNumber] {
				seen[a.CustomerNumber] = true
				numbers = append(numbers, a.CustomerNumber)
			}
		}
	}
	var found []customers.Customer
	for _, n := range numbers {
		c, seen := read[n]
		if !seen {
			got, err := s.Store.Customer(ctx, out.Space, n)
			switch {
			case errors.Is(err, fault.ErrNotFound):
				s.Log.WarnContext(ctx, "mail event for unknown customer", "company", documents.Company(out.Space, n))
			case err != nil:
				return nil, err
			default:
				c = &got
			}
			read[n] = c
		}
		if c != nil && c.Email != "" && (addr == "" || strings.EqualFold(c.Email, addr)) {
			found = append(found, *c)
		}
	}
	return found, nil
}
