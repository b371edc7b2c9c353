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
	"sync"
	"sync/atomic"
	"time"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/mail"
	"github.com/efacture/efacture/shared/domain/metrics"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/tokens"
	"github.com/efacture/efacture/shared/service/mailevents"
)

// Store is where outbox records live.
type Store interface {
	OutboxRecord(ctx context.Context, key string) (outbox.Record, error)
	MarkSent(ctx context.Context, key string, at time.Time) error
	// Reschedule keeps a pending record pending, due again at due, with its attempts and
	// last error.
	Reschedule(ctx context.Context, key string, due time.Time, attempts int, reason string) error
	// MarkDead settles a pending record as dead at at, listed for ops to re-drive.
	MarkDead(ctx context.Context, key string, attempts int, reason string, at time.Time) error
	// DueRecords returns up to limit records of one due-index shard whose due time is at
	// or before now, with only their Key and Due set.
	DueRecords(ctx context.Context, shard int, now time.Time, limit int) ([]outbox.Record, error)
	// Claim moves a pending record's due time from seen to until and returns the record,
	// so that of two re-drives that found it, one sends it.
	Claim(ctx context.Context, key string, seen, until time.Time) (outbox.Record, error)
	Space(ctx context.Context, id string) (spaces.Space, error)
}

// All the store's writes of a record are conditional on it being pending (and Claim on
// its due time): they return outbox.ErrNotPending when another delivery got there first.

// Sender sends one raw MIME message. SES refusing to take more mail now is an error
// matching fault.ErrTooMany.
type Sender interface {
	Send(ctx context.Context, to string, raw []byte) error
}

// Archive reads archived documents for attachments.
type Archive interface {
	ReadArchived(ctx context.Context, key string) ([]byte, error)
}

// Pacer counts sends per second across every mailer container.
type Pacer interface {
	// TakeSend takes one of the sends of the second starting at second, or reports false
	// when limit were taken already.
	TakeSend(ctx context.Context, second time.Time, limit int) (bool, error)
}

// Service delivers outbox records.
type Service struct {
	Store         Store
	Sender        Sender
	Archive       Archive
	From          string // platform sending address
	PortalBaseURL string // origin of every link in mails
	// MailKey derives the tokens of activation, recovery and digest mails from their
	// records, which hold none.
	MailKey *tokens.MailKey
	// Now is the clock of due times.
	Now func() time.Time
	Log *slog.Logger

	// Pacer and Rate keep sends at or under Rate per second (PRODUCT.md §10); a nil
	// Pacer or a Rate of 0 sends unpaced. Clock and Sleep are the wall clock that SES
	// counts seconds on.
	Pacer Pacer
	Rate  int
	Clock func() time.Time
	Sleep func(time.Duration)

	// Workers is how many mails a re-drive sends at once (1 when unset).
	Workers int
	// Metrics makes the sent and dead mails' log lines count MailsSent and DeadMails
	// (an alarm watches DeadMails); the zero value counts nothing.
	Metrics metrics.Recorder
}

// Tuning of the two paths.
const (
	// streamWait is how long a stream delivery waits for a send slot before leaving the
	// mail to the re-drive: the stream shard is held meanwhile.
	streamWait = 2 * time.Second
	// redriveWait is the same for a re-drive, whose job is to wait for slots.
	redriveWait = 10 * time.Second
	// claimFor is how long a claimed record is left to the re-drive that claimed it; a
	// re-drive that crashed leaves its mails due again after this.
	claimFor = 5 * time.Minute
	// sendWindow is the part of each second in which slots are taken, leaving the rest
	// for a send to reach SES within the second it was counted in.
	sendWindow = 800 * time.Millisecond
	// duePage is how many due records a re-drive reads per shard and query.
	duePage = 25
	// redriveMargin is the time a re-drive keeps before its deadline to settle what it sent.
	redriveMargin = 15 * time.Second
)

// errRateUsed is a send slot not found in time: the mail waits like a throttled one.
var errRateUsed = &fault.Error{Code: fault.CodeTooMany, Detail: "send rate used up"}

// Deliver sends a record the outbox stream hands over, unless it is settled or already
// waiting for a re-drive. A failed send is rescheduled on the record (PRODUCT.md §10), so
// a nil error means the stream may move on; an error (the store failing) asks it to retry.
func (s *Service) Deliver(ctx context.Context, key string) error {
	rec, err := s.Store.OutboxRecord(ctx, key)
	if errors.Is(err, fault.ErrNotFound) {
		s.Log.WarnContext(ctx, "outbox record vanished", "key", logKey(key))
		return nil
	}
	if err != nil {
		return err
	}
	if rec.Status != outbox.StatusPending || !rec.Due.IsZero() {
		return nil
	}
	_, err = s.attempt(ctx, rec, streamWait)
	return err
}

// Redrive sends the records whose due time has come, shard after shard, until a pass
// claims none, SES refuses to send more, or the invocation's time is nearly spent. Once
// SES refuses, the run claims nothing more: the mails left stay due for the next run
// rather than each costing SES another refused call. Records failing again are
// rescheduled; the error joins the store's failures, which the next run retries.
func (s *Service) Redrive(ctx context.Context) error {
	workers := max(s.Workers, 1)
	sem := make(chan struct{}, workers)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		errs    []error
		claimed int
		refused atomic.Bool
	)
	report := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	stop := func() bool { return refused.Load() || nearDeadline(ctx) }
	for {
		claimed = 0
		for shard := 0; shard < outbox.DueShards && !stop(); shard++ {
			due, err := s.Store.DueRecords(ctx, shard, s.Now(), duePage)
			if err != nil {
				report(err)
				continue
			}
			for _, r := range due {
				sem <- struct{}{}
				if stop() {
					<-sem
					break
				}
				wg.Add(1)
				go func() {
					defer func() { <-sem; wg.Done() }()
					took, err := s.redriveOne(ctx, r)
					mu.Lock()
					if took {
						claimed++
					}
					mu.Unlock()
					if errors.Is(err, errRefused) {
						refused.Store(true)
					} else if err != nil {
						report(err)
					}
				}()
			}
		}
		wg.Wait()
		if claimed == 0 || stop() {
			break
		}
	}
	if refused.Load() {
		s.Log.InfoContext(ctx, "SES refused to send more: the re-drive resumes at its next run")
	}
	return errors.Join(errs...)
}

// errRefused reports, within a re-drive, a mail rescheduled because SES or the send
// rate refused it.
var errRefused = errors.New("send refused for now")

// redriveOne claims a due record and attempts it; took is false when another delivery
// had it first.
func (s *Service) redriveOne(ctx context.Context, due outbox.Record) (took bool, err error) {
	rec, err := s.Store.Claim(ctx, due.Key, due.Due, s.Now().Add(claimFor))
	if errors.Is(err, outbox.ErrNotPending) || errors.Is(err, fault.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	refused, err := s.attempt(ctx, rec, redriveWait)
	if err == nil && refused {
		err = errRefused
	}
	return true, err
}

func nearDeadline(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && time.Until(d) < redriveMargin
}

// attempt renders, paces and sends a pending record, then settles or reschedules it;
// refused says SES or the send rate turned it down for now.
func (s *Service) attempt(ctx context.Context, rec outbox.Record, wait time.Duration) (refused bool, err error) {
	raw, err := s.compose(ctx, rec)
	if err == nil {
		var ok bool
		if ok, err = s.pace(ctx, wait); err != nil {
			return false, err // the counter is unreachable: not the mail's failure
		}
		if !ok {
			err = errRateUsed
		} else {
			err = s.Sender.Send(ctx, rec.To, raw)
		}
	}
	if err != nil {
		return errors.Is(err, fault.ErrTooMany), s.fail(ctx, rec, err)
	}
	// A crash here repeats this one mail at the next delivery: mail is at-least-once.
	if err := s.Store.MarkSent(ctx, rec.Key, s.Now()); err != nil && !errors.Is(err, outbox.ErrNotPending) {
		return false, err
	}
	s.Log.InfoContext(ctx, "mail sent", append(s.Metrics.Count(metrics.MailsSent), "kind", rec.Kind, "key", logKey(rec.Key), "space", rec.Space, "attempts", rec.Attempts)...)
	return false, nil
}

// pace takes a send slot of the current second, waiting up to wait for one.
func (s *Service) pace(ctx context.Context, wait time.Duration) (bool, error) {
	if s.Pacer == nil || s.Rate <= 0 {
		return true, nil
	}
	clock, sleep := s.Clock, s.Sleep
	if clock == nil {
		clock = time.Now
	}
	if sleep == nil {
		sleep = time.Sleep
	}
	until := clock().Add(wait)
	for {
		now := clock()
		second := now.Truncate(time.Second)
		if now.Sub(second) < sendWindow {
			ok, err := s.Pacer.TakeSend(ctx, second, s.Rate)
			if err != nil || ok {
				return ok, err
			}
		}
		next := second.Add(time.Second)
		if next.After(until) || ctx.Err() != nil {
			return false, ctx.Err()
		}
		sleep(next.Sub(now))
	}
}

// fail records a failed send on the record. SES refusing more mail now, or no send slot,
// is not an attempt: the mail is due again shortly. Any other failure is an attempt,
// retried after outbox.RetryDelays, and the last one makes the mail dead (PRODUCT.md §10).
// It returns nil once that is written.
func (s *Service) fail(ctx context.Context, rec outbox.Record, cause error) error {
	now := s.Now()
	var err error
	switch wait, retry := outbox.RetryAfter(rec.Attempts + 1); {
	case errors.Is(cause, fault.ErrTooMany):
		err = s.Store.Reschedule(ctx, rec.Key, now.Add(outbox.ThrottleDelay), rec.Attempts, rec.LastError)
		s.Log.InfoContext(ctx, "mail waits: sending refused for now", "kind", rec.Kind, "key", logKey(rec.Key), "error", cause.Error())
	case retry:
		err = s.Store.Reschedule(ctx, rec.Key, now.Add(wait), rec.Attempts+1, cause.Error())
		s.Log.WarnContext(ctx, "mail attempt failed", "kind", rec.Kind, "key", logKey(rec.Key), "attempts", rec.Attempts+1, "retryIn", wait.String(), "error", cause.Error())
	default:
		if err = s.Store.MarkDead(ctx, rec.Key, rec.Attempts+1, cause.Error(), now); err == nil {
			s.Log.ErrorContext(ctx, "mail dead", append(s.Metrics.Count(metrics.DeadMails), "kind", rec.Kind, "key", logKey(rec.Key), "attempts", rec.Attempts+1, "error", cause.Error())...)
		}
	}
	if err != nil && !errors.Is(err, outbox.ErrNotPending) {
		return errors.Join(cause, err)
	}
	return nil
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
	// SES returns the headers in its events: the customer, or for a mail of no single
	// company (recovery) the space and address, is found again (package mailevents).
	msg.Headers = map[string]string{mailevents.SpaceHeader: rec.Space}
	if cust := d["customerNumber"]; cust != "" {
		msg.Headers[mailevents.CompanyHeader] = rec.Space + "#" + cust
	}
	switch rec.Kind {
	case outbox.KindActivation:
		var token string
		if token, err = s.token(rec, tokens.KindActivation, 0); err != nil {
			return nil, err
		}
		msg.Content, err = mail.RenderActivation(mail.Activation{
			Lang: lang, Brand: brand, Identifier: d["identifier"], CompanyName: d["companyName"],
			SetPasswordURL: s.pageURL(space.ID, "password") + "#token=" + token,
			PortalURL:      portal, HelpURL: s.pageURL(space.ID, "help"), Since: space.SinceDate(),
			ValidDays: int(tokens.ActivationValidity / (24 * time.Hour)), RetentionMonths: space.RetentionMonths,
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
		var token string
		if token, err = s.token(rec, tokens.KindRecovery, 0); err != nil {
			return nil, err
		}
		msg.Content, err = mail.RenderRecovery(mail.Recovery{
			Lang: lang, Brand: brand, Email: rec.To,
			SetPasswordURL: s.pageURL(space.ID, "password") + "#token=" + token,
			PortalURL:      portal, ValidMinutes: int(tokens.RecoveryValidity / time.Minute),
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

// token derives the index-th token of a record for purpose, as its writer did.
func (s *Service) token(rec outbox.Record, purpose string, index int) (string, error) {
	if rec.Nonce == "" {
		return "", fmt.Errorf("%s record carries no nonce", rec.Kind)
	}
	if s.MailKey == nil {
		return "", errors.New("no mail-token key")
	}
	return s.MailKey.Token(purpose, rec.Key, rec.Nonce, index), nil
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

// digest rebuilds a digest's items with their no-login links, the i-th item's token
// derived with index i.
func (s *Service) digest(rec outbox.Record, lang mail.Lang, brand mail.Brand) (mail.Digest, error) {
	var items []struct {
		Number, Type, IssueDate, Amount, Currency string
		Duplicate, Copy                           bool
	}
	if err := json.Unmarshal([]byte(rec.Data["items"]), &items); err != nil {
		return mail.Digest{}, fmt.Errorf("digest items: %w", err)
	}
	days, _ := strconv.Atoi(rec.Data["linkDays"])
	d := mail.Digest{Lang: lang, Brand: brand, CompanyName: rec.Data["companyName"], PortalURL: s.pageURL(rec.Space, "documents"), LinkValidDays: days}
	// The portal's link page, not the API: a click from webmail is cross-site, which the
	// API refuses; the page reaches the API same-origin. The token stays in the fragment.
	base := s.pageURL(rec.Space, "link") + "#token="
	for i, it := range items {
		token, err := s.token(rec, tokens.KindLink, i)
		if err != nil {
			return mail.Digest{}, err
		}
		d.Items = append(d.Items, mail.DigestItem{
			Number: it.Number, Type: it.Type, IssueDate: it.IssueDate, Amount: it.Amount, Currency: it.Currency,
			LinkURL: base + token, Duplicate: it.Duplicate, Copy: it.Copy,
		})
	}
	return d, nil
}
