// Package delivery turns outbox records into mails: it renders them in the customer's
// language, sends them, and settles the record (PRODUCT.md §5). It is the only code that sends.
package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/mail"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/service/mailevents"
)

// Store is where outbox records live.
type Store interface {
	OutboxRecord(ctx context.Context, key string) (outbox.Record, error)
	MarkSent(ctx context.Context, key string, at time.Time) error
	MarkFailed(ctx context.Context, key string, attempts int, reason string, dead bool) error
	Space(ctx context.Context, id string) (spaces.Space, error)
}

// Sender sends one raw MIME message.
type Sender interface {
	Send(ctx context.Context, to string, raw []byte) error
}

// Archive reads archived documents for attachments.
type Archive interface {
	ReadArchived(ctx context.Context, key string) ([]byte, error)
}

// Service delivers outbox records.
type Service struct {
	Store         Store
	Sender        Sender
	Archive       Archive
	From          string // platform sending address
	PortalBaseURL string // origin of every link in mails
	MaxAttempts   int    // after this many failures a record is dead-lettered
	Now           func() time.Time
	Sleep         func(time.Duration) // backoff between attempts; nil: none
	Log           *slog.Logger
}

// ErrDeadLettered is returned for a record that failed its last attempt: the caller lets
// the event source hand it to the on-failure destination, where an alarm watches.
var ErrDeadLettered = errors.New("mail dead-lettered")

// Deliver sends the record under key unless it is already settled. A nil error means the
// record needs nothing more; any error asks the event source to retry.
func (s *Service) Deliver(ctx context.Context, key string) error {
	rec, err := s.Store.OutboxRecord(ctx, key)
	if errors.Is(err, fault.ErrNotFound) {
		s.Log.WarnContext(ctx, "outbox record vanished", "key", logKey(key))
		return nil
	}
	if err != nil {
		return err
	}
	if rec.Status != outbox.StatusPending {
		return nil
	}
	raw, err := s.compose(ctx, rec)
	if err == nil {
		err = s.Sender.Send(ctx, rec.To, raw)
	}
	if err != nil {
		return s.fail(ctx, rec, err)
	}
	// A crash here repeats this one mail at the next delivery: mail is at-least-once.
	if err := s.Store.MarkSent(ctx, rec.Key, s.Now()); err != nil && !errors.Is(err, outbox.ErrNotPending) {
		return err
	}
	s.Log.InfoContext(ctx, "mail sent", "kind", rec.Kind, "key", logKey(rec.Key), "space", rec.Space)
	return nil
}

func (s *Service) fail(ctx context.Context, rec outbox.Record, cause error) error {
	attempts := rec.Attempts + 1
	dead := attempts >= s.MaxAttempts
	if err := s.Store.MarkFailed(ctx, rec.Key, attempts, cause.Error(), dead); err != nil && !errors.Is(err, outbox.ErrNotPending) {
		return errors.Join(cause, err)
	}
	if dead {
		s.Log.ErrorContext(ctx, "mail dead-lettered", "kind", rec.Kind, "key", logKey(rec.Key), "attempts", attempts, "error", cause.Error())
		return fmt.Errorf("%w: %v", ErrDeadLettered, cause)
	}
	s.Log.WarnContext(ctx, "mail attempt failed", "kind", rec.Kind, "key", logKey(rec.Key), "attempts", attempts, "error", cause.Error())
	if s.Sleep != nil {
		s.Sleep(backoff(attempts))
	}
	return fmt.Errorf("send %s: %w", rec.Kind, cause)
}

// backoff grows with attempts, capped so a stream shard is not held for long.
func backoff(attempts int) time.Duration {
	d := time.Duration(attempts*attempts) * 200 * time.Millisecond
	return min(d, 5*time.Second)
}

// logKey keeps token hashes out of logs while staying recognisable.
func logKey(key string) string {
	if strings.HasPrefix(key, outbox.KindRecovery+"#") {
		return outbox.KindRecovery + "#…"
	}
	return key
}

func (s *Service) compose(ctx context.Context, rec outbox.Record) ([]byte, error) {
	space, err := s.Store.Space(ctx, rec.Space)
	if err != nil {
		return nil, err
	}
	lang := mail.ParseLang(rec.Language)
	brand := mail.Brand{SpaceName: space.Name, Color: space.Brand.Color, SenderName: space.SenderName, ReplyTo: space.ReplyTo}
	portal := s.pageURL(space.ID, "")
	d := rec.Data
	msg := mail.Message{From: s.From, FromName: space.SenderName, ReplyTo: space.ReplyTo, To: rec.To, MessageID: mail.MessageIDFor(rec.Key, domainOf(s.From))}
	if cust := d["customerNumber"]; cust != "" {
		// SES returns the headers in bounce and complaint events: the customer is found again.
		msg.Headers = map[string]string{mailevents.CompanyHeader: rec.Space + "#" + cust}
	}
	switch rec.Kind {
	case outbox.KindActivation:
		msg.Content, err = mail.RenderActivation(mail.Activation{
			Lang: lang, Brand: brand, Identifier: d["identifier"], CompanyName: d["companyName"],
			SetPasswordURL: s.pageURL(space.ID, "password") + "#token=" + rec.Secret,
			PortalURL:      portal, HelpURL: s.pageURL(space.ID, "help"), Since: space.SinceDate(),
			ValidDays: 7, RetentionMonths: space.RetentionMonths,
		})
	case outbox.KindNotify:
		n := mail.DocumentNotice{
			Lang: lang, Brand: brand, CompanyName: d["companyName"], Number: d["number"], Type: d["type"],
			IssueDate: d["issueDate"], Amount: d["amount"], Currency: d["currency"],
			PortalURL: s.pageURL(space.ID, "documents"), Attached: d["mode"] == "attachment",
			Duplicate: d["duplicate"] == "true", Copy: d["copy"] == "true",
		}
		msg.Content, err = mail.RenderDocumentNotice(n)
		if err == nil && n.Attached {
			pdf, rerr := s.Archive.ReadArchived(ctx, d["archiveKey"])
			if rerr != nil {
				return nil, rerr
			}
			msg.Attachments = []mail.Attachment{{Name: attachmentName(d["number"]), ContentType: "application/pdf", Data: pdf}}
		}
	case outbox.KindRecovery:
		if rec.Secret == "" {
			return nil, errors.New("recovery record carries no token")
		}
		msg.Content, err = mail.RenderRecovery(mail.Recovery{
			Lang: lang, Brand: brand, Email: rec.To,
			SetPasswordURL: s.pageURL(space.ID, "password") + "#token=" + rec.Secret,
			PortalURL:      portal, ValidMinutes: 60,
		})
	case outbox.KindPasswordChanged:
		at, perr := time.Parse(time.RFC3339, d["at"])
		if perr != nil {
			return nil, fmt.Errorf("password-changed record: time %q: %w", d["at"], perr)
		}
		msg.Content, err = mail.RenderPasswordChanged(mail.PasswordChanged{
			Lang: lang, Brand: brand, Identifier: d["identifier"], PortalURL: portal,
			At: at, Location: space.Location(),
		})
	case outbox.KindDigest:
		var dg mail.Digest
		if dg, err = s.digest(rec, lang, brand); err == nil {
			msg.Content, err = mail.RenderDigest(dg)
		}
	default:
		return nil, fmt.Errorf("unknown mail kind %q", rec.Kind)
	}
	if err != nil {
		return nil, err
	}
	return mail.Build(msg)
}

// pageURL is a portal page of PRODUCT.md §6, always built from the configured origin.
func (s *Service) pageURL(space, page string) string {
	return strings.TrimRight(s.PortalBaseURL, "/") + "/" + url.PathEscape(space) + "/" + page
}

func attachmentName(number string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < 0x20 {
			return '_'
		}
		return r
	}, number) + ".pdf"
}

func domainOf(addr string) string {
	_, domain, _ := strings.Cut(addr, "@")
	return domain
}

// digest rebuilds a digest's items with their no-login links; the tokens travel in the
// record's secret, in the items' order.
func (s *Service) digest(rec outbox.Record, lang mail.Lang, brand mail.Brand) (mail.Digest, error) {
	var items []struct {
		Number, Type, IssueDate, Amount, Currency string
		Duplicate, Copy                           bool
	}
	var links []string
	if err := json.Unmarshal([]byte(rec.Data["items"]), &items); err != nil {
		return mail.Digest{}, fmt.Errorf("digest items: %w", err)
	}
	if err := json.Unmarshal([]byte(rec.Secret), &links); err != nil || len(links) != len(items) {
		return mail.Digest{}, errors.New("digest record carries no link per item")
	}
	days, _ := strconv.Atoi(rec.Data["linkDays"])
	d := mail.Digest{Lang: lang, Brand: brand, CompanyName: rec.Data["companyName"], PortalURL: s.pageURL(rec.Space, "documents"), LinkValidDays: days}
	base := strings.TrimRight(s.PortalBaseURL, "/") + "/api/links/"
	for i, it := range items {
		d.Items = append(d.Items, mail.DigestItem{
			Number: it.Number, Type: it.Type, IssueDate: it.IssueDate, Amount: it.Amount, Currency: it.Currency,
			LinkURL: base + links[i], Duplicate: it.Duplicate, Copy: it.Copy,
		})
	}
	return d, nil
}
