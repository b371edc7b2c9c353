// Package mailevents reads SES bounce and complaint events and says which customer's mail
// status they change (PRODUCT.md §5), so ops see undeliverable addresses.
package mailevents

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/metrics"
)

// CompanyHeader is the header the mailer adds to customer mails; SES returns it in events.
const CompanyHeader = "X-Efacture-Company"

// Statuses written on the customer.
const (
	BouncedMailboxFull    = "bounced: mailbox full"
	BouncedAddressUnknown = "bounced: address unknown"
	BouncedOther          = "bounced"
	Complaint             = "complaint"
)

// Outcome is the change an event asks for; Company is "" when the mail was not a
// customer mail (recovery to a user's own address, say).
type Outcome struct {
	Company   string
	Status    string
	Addresses []string
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
		BounceType        string `json:"bounceType"`
		BounceSubType     string `json:"bounceSubType"`
		BouncedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"bouncedRecipients"`
	} `json:"bounce"`
	Complaint struct {
		ComplainedRecipients []struct {
			EmailAddress string `json:"emailAddress"`
		} `json:"complainedRecipients"`
	} `json:"complaint"`
}

// Parse reads one SES event (the SNS message body). Transient bounces change nothing:
// SES retries them itself. ok is false for events that change nothing.
func Parse(body string) (out Outcome, ok bool, err error) {
	var ev event
	if err := json.Unmarshal([]byte(body), &ev); err != nil {
		return Outcome{}, false, fmt.Errorf("SES event: %w", err)
	}
	for _, h := range ev.Mail.Headers {
		if strings.EqualFold(h.Name, CompanyHeader) {
			out.Company = strings.TrimSpace(h.Value)
		}
	}
	kind := ev.EventType
	if kind == "" {
		kind = ev.NotificationType
	}
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
	case "Complaint":
		out.Status = Complaint
		for _, r := range ev.Complaint.ComplainedRecipients {
			out.Addresses = append(out.Addresses, r.EmailAddress)
		}
	default:
		return out, false, nil
	}
	return out, out.Company != "", nil
}

// StatusStore writes a customer's mail status; it returns fault.ErrNotFound for an
// unknown customer.
type StatusStore interface {
	SetMailStatus(ctx context.Context, company, status string, at time.Time) error
}

// Service records mail statuses on customers.
type Service struct {
	Store StatusStore
	Now   func() time.Time
	Log   *slog.Logger
	// Metrics makes each event's log line count MailsBounced or MailsComplained; the
	// zero value counts nothing.
	Metrics metrics.Recorder
}

// Apply writes an event's status on its customer; an unknown customer is only logged,
// as retrying cannot make it known.
func (s *Service) Apply(ctx context.Context, out Outcome) error {
	err := s.Store.SetMailStatus(ctx, out.Company, out.Status, s.Now())
	// Counted once the event is settled, so a retried event is not counted twice.
	count := metrics.MailsBounced
	if out.Status == Complaint {
		count = metrics.MailsComplained
	}
	if errors.Is(err, fault.ErrNotFound) {
		s.Log.WarnContext(ctx, "mail event for unknown customer", append(s.Metrics.Count(count), "company", out.Company)...)
		return nil
	}
	if err != nil {
		return err
	}
	s.Log.WarnContext(ctx, "customer mail status changed", append(s.Metrics.Count(count), "company", out.Company, "status", out.Status)...)
	return nil
}
