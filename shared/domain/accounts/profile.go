package accounts

import (
	"context"
	"errors"
	"time"

	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/sessions"
)

// Profile is an account with the names of its company and space, as the portal shows it.
type Profile struct {
	Account     Account
	CompanyName string
	SpaceName   string
	// MailStatus and MailStatusAt tell an admin that notification mail to the registered
	// e-mail is held (customers.Customer.MailHeld); empty for other accounts.
	MailStatus   string
	MailStatusAt time.Time
}

// Describe returns a's profile. A space that vanished is a not_found fault; a customer
// the referential no longer names only leaves the company name empty.
func (s *Service) Describe(ctx context.Context, a Account) (Profile, error) {
	sp, err := s.Store.Space(ctx, a.Space)
	if err != nil {
		return Profile{}, wrap("describe", err)
	}
	p := Profile{Account: a, SpaceName: sp.Name}
	c, err := s.Store.Customer(ctx, a.Space, a.CustomerNumber)
	switch {
	case err == nil:
		p.CompanyName = c.CompanyName
		if a.Admin && c.MailHeld() {
			p.MailStatus, p.MailStatusAt = c.MailStatus, c.MailStatusAt.UTC()
		}
	case !errors.Is(err, fault.ErrNotFound):
		return Profile{}, wrap("describe", err)
	}
	return p, nil
}

// SetPreferences changes the display history and language of the signed-in account a; a
// nil value is left alone. It returns an invalid fault naming the field for a value out
// of range and an unauthenticated fault when the session ended meanwhile.
func (s *Service) SetPreferences(ctx context.Context, a Account, historyMonths *int, language *string) (Account, error) {
	if err := checkPreferences(historyMonths, language); err != nil {
		return Account{}, err
	}
	if historyMonths == nil && language == nil {
		return a, nil
	}
	u := Update{
		Identifier: a.Identifier, Epoch: &a.SessionEpoch, MustBeActive: true,
		Set: Fields{HistoryMonths: historyMonths, Language: language},
	}
	switch err := s.Store.Apply(ctx, u); {
	case errors.Is(err, ErrConflict):
		return Account{}, unauthenticated()
	case err != nil:
		return Account{}, wrap("preferences", err)
	}
	return a.With(u), nil
}

// ChangePassword changes the signed-in account's own password (PRODUCT.md §6.5). The current
// password is checked as a login checks one: a wrong one counts toward the client's
// limit and the account's lock, and a locked account is refused unhashed. The caller's
// session goes on under a new id; every other session of the account ends. It returns
// ErrWrongPassword, password.ErrMismatch, a *password.PolicyError (all invalid), a
// too_many fault when the client failed too often, or an unauthenticated fault when the
// session ended meanwhile.
func (s *Service) ChangePassword(ctx context.Context, client string, a Account, sess sessions.Session, current, pw, confirmation string) (string, sessions.Session, error) {
	if err := s.checkOwnPassword(ctx, client, a, current); err != nil {
		return "", sessions.Session{}, wrap("change password", err)
	}
	if err := password.Check(pw, confirmation, a.Identifier); err != nil {
		return "", sessions.Session{}, err
	}
	hash, err := s.Hasher.Hash(pw)
	if err != nil {
		return "", sessions.Session{}, wrap("change password", err)
	}
	now := s.Now()
	id, renewed := sess.Renew(a.SessionEpoch+1, now)
	u := Update{
		Identifier: a.Identifier, Epoch: &a.SessionEpoch, MustBeActive: true, PasswordHash: hash,
		ResetFailures: true, EndSessions: true, EndSession: sess.Hash, StartSession: &renewed,
		Mails: passwordChangedMail(a, now),
	}
	e, err := s.entry(ctx, a, a.Identifier, audit.ActionPasswordChanged, a.Identifier, "")
	if err != nil {
		return "", sessions.Session{}, wrap("change password", err)
	}
	u.Audit = []audit.Entry{e}
	switch err := s.Store.Apply(ctx, u); {
	case errors.Is(err, ErrConflict):
		return "", sessions.Session{}, unauthenticated()
	case err != nil:
		return "", sessions.Session{}, wrap("change password", err)
	}
	return id, renewed, nil
}
