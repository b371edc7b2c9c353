package accounts

import (
	"context"
	"errors"

	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/tokens"
)

// RequestRecovery mails a recovery link to an address that has active accounts in a
// space (PRODUCT.md §6.2). An unknown address answers nil like a known one, after the same
// reads, unless the space reveals unknown accounts: then ErrNoAccount naming the address.
// It returns a not_found fault for an unknown space, an invalid fault for a malformed
// address and a too_many fault beyond the address's or the client's limit.
func (s *Service) RequestRecovery(ctx context.Context, client, spaceID, email string) error {
	sp, err := s.Store.Space(ctx, spaceID)
	if err != nil {
		return err
	}
	email = NormalizeEmail(email)
	if !ValidEmail(email) {
		return invalid("email")
	}
	okAddr, err := s.Limiter.Hit(ctx, ratelimit.ScopeRecoveryAddress, email, s.Limits.RecoveryPerAddress)
	if err != nil {
		return wrap("recovery", err)
	}
	okClient, err := s.Limiter.Hit(ctx, ratelimit.ScopeRecoveryClient, client, s.Limits.RecoveryPerClient)
	if err != nil {
		return wrap("recovery", err)
	}
	if !okAddr || !okClient {
		return tooManyRequests()
	}
	accts, err := s.activeByEmail(ctx, sp.ID, email)
	if err != nil {
		return wrap("recovery", err)
	}
	if len(accts) == 0 {
		if sp.RevealUnknownAccounts {
			return noAccount(email)
		}
		return nil
	}
	if s.MailKey == nil {
		return wrap("recovery", errors.New("no mail-token key"))
	}
	mk, err := s.MailKey(ctx)
	if err != nil {
		return wrap("recovery", err)
	}
	now := s.Now().UTC()
	// The token is derived and forgotten: only its hash is stored, and the mailer derives
	// it again from the record's key and nonce.
	key, nonce := outbox.RecoveryKey(tokens.NewNonce()), tokens.NewNonce()
	hash := tokens.Hash(mk.Token(tokens.KindRecovery, key, nonce, 0))
	rec := tokens.Record{Hash: hash, Kind: tokens.KindRecovery, Space: sp.ID, Email: email, ExpiresAt: now.Add(RecoveryValidity)}
	mail := outbox.Record{
		Key: key, Kind: outbox.KindRecovery, Space: sp.ID, To: accts[0].Email,
		Language: accts[0].Lang(), Nonce: nonce, Status: outbox.StatusPending, CreatedAt: now,
		Data: map[string]string{"email": email},
	}
	if err := s.Store.StartRecovery(ctx, rec, mail); err != nil {
		return wrap("recovery", err)
	}
	return nil
}

func (s *Service) activeByEmail(ctx context.Context, space, email string) ([]Account, error) {
	all, err := s.Store.AccountsByEmail(ctx, space, email)
	if err != nil {
		return nil, err
	}
	var out []Account
	for _, a := range all {
		if a.Active {
			out = append(out, a)
		}
	}
	return out, nil
}

// Choice is one account a set-password link may set.
type Choice struct {
	Identifier  string
	CompanyName string
}

// Inspection is what a set-password link opens on.
type Inspection struct {
	Email    string
	Accounts []Choice
}

// Inspect returns the accounts an activation or recovery token may set: the one account
// of an activation token, every active account of the address in the space for a
// recovery token. It returns a gone fault for a token that is unknown, expired, spent
// or voided by a newer one.
func (s *Service) Inspect(ctx context.Context, token string) (Inspection, error) {
	rec, accts, err := s.resolve(ctx, token)
	if err != nil {
		return Inspection{}, err
	}
	out := Inspection{Email: rec.Email}
	names := map[string]string{}
	for _, a := range accts {
		name, ok := names[a.Company()]
		if !ok {
			c, err := s.Store.Customer(ctx, a.Space, a.CustomerNumber)
			switch {
			case err == nil:
				name = c.CompanyName
			case !errors.Is(err, fault.ErrNotFound):
				return Inspection{}, wrap("inspect", err)
			}
			names[a.Company()] = name
		}
		out.Accounts = append(out.Accounts, Choice{Identifier: a.Identifier, CompanyName: name})
	}
	return out, nil
}

// resolve reads a set-password token and the accounts it may set.
func (s *Service) resolve(ctx context.Context, token string) (tokens.Record, []Account, error) {
	if !tokens.WellFormed(token) {
		return tokens.Record{}, nil, linkExpired()
	}
	rec, err := s.Store.Token(ctx, tokens.Hash(token))
	if errors.Is(err, fault.ErrNotFound) {
		return tokens.Record{}, nil, linkExpired()
	}
	if err != nil {
		return tokens.Record{}, nil, wrap("read token", err)
	}
	if !s.Now().Before(rec.ExpiresAt) {
		return tokens.Record{}, nil, linkExpired()
	}
	var accts []Account
	switch rec.Kind {
	case tokens.KindActivation:
		a, err := s.Store.Account(ctx, rec.Identifier)
		if errors.Is(err, fault.ErrNotFound) || (err == nil && (!a.Active || a.ActivationToken != "" && a.ActivationToken != rec.Hash)) {
			// Gone, inactive, or a newer activation link voided this one.
			return tokens.Record{}, nil, linkExpired()
		}
		if err != nil {
			return tokens.Record{}, nil, wrap("read account", err)
		}
		accts = []Account{a}
	case tokens.KindRecovery:
		current, err := s.Store.CurrentRecovery(ctx, rec.Space, rec.Email)
		if err != nil {
			return tokens.Record{}, nil, wrap("read recovery", err)
		}
		if current != rec.Hash {
			return tokens.Record{}, nil, linkExpired()
		}
		if accts, err = s.activeByEmail(ctx, rec.Space, rec.Email); err != nil {
			return tokens.Record{}, nil, wrap("read accounts", err)
		}
		if len(accts) == 0 {
			return tokens.Record{}, nil, linkExpired()
		}
	default:
		return tokens.Record{}, nil, linkExpired()
	}
	return rec, accts, nil
}

// Complete sets the password of one account a set-password token may set (PRODUCT.md §6.3).
// The token is spent, every session of the account ends, a login lock is lifted, and the
// "password changed" mail goes out unless this is the first set from an activation link.
// It returns a gone fault, a forbidden fault for an identifier the token does not cover,
// password.ErrMismatch or a *password.PolicyError.
func (s *Service) Complete(ctx context.Context, token, identifier, pw, confirmation string) error {
	rec, accts, err := s.resolve(ctx, token)
	if err != nil {
		return err
	}
	var target *Account
	for i := range accts {
		if Key(accts[i].Identifier) == Key(identifier) {
			target = &accts[i]
		}
	}
	if target == nil {
		return forbidden()
	}
	if err := password.Check(pw, confirmation, target.Identifier); err != nil {
		return err
	}
	hash, err := s.Hasher.Hash(pw)
	if err != nil {
		return wrap("complete", err)
	}
	u := Update{
		Identifier: target.Identifier, MustBeActive: true, PasswordHash: hash, ResetFailures: true,
		EndSessions: true, SpendToken: rec.Hash,
	}
	if rec.Kind == tokens.KindRecovery {
		u.SpendRecovery = &RecoveryKey{Space: rec.Space, Email: rec.Email}
	}
	if rec.Kind != tokens.KindActivation || target.PasswordHash != "" {
		u.Mails = passwordChangedMail(*target, s.Now())
	}
	e, err := s.entry(ctx, *target, target.Identifier, audit.ActionPasswordSet, target.Identifier, rec.Kind)
	if err != nil {
		return wrap("complete", err)
	}
	u.Audit = []audit.Entry{e}
	switch err := s.Store.Apply(ctx, u); {
	case errors.Is(err, ErrTokenSpent), errors.Is(err, ErrConflict):
		return linkExpired()
	case err != nil:
		return wrap("complete", err)
	}
	return nil
}
