package accounts

import (
	"context"
	"errors"
	"strings"

	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/tokens"
)

// SignedIn is a successful login: the account as it now is, and the new session with the
// id its cookie carries.
type SignedIn struct {
	Account   Account
	SessionID string
	Session   sessions.Session
}

// Login checks an identifier and password typed by the client at address client. Every
// refusal is ErrInvalidCredentials, whatever the reason (unknown identifier, wrong
// password, inactive account, no password yet, locked account), and costs one password
// hash, so neither the answer nor its timing tells them apart. It returns a too_many
// fault once the client has failed too often.
func (s *Service) Login(ctx context.Context, client, identifier, pw string) (SignedIn, error) {
	lim := s.Limits.LoginFailuresPerClient
	spent, err := s.Limiter.Spent(ctx, ratelimit.ScopeLoginClient, client, lim)
	if err != nil {
		return SignedIn{}, wrap("login", err)
	}
	if spent {
		return SignedIn{}, tooManyRequests()
	}
	now := s.Now()

	identifier = strings.TrimSpace(identifier)
	var a Account
	known := false
	if identifier != "" && len(identifier) <= maxIdentifierLen {
		a, err = s.Store.Account(ctx, identifier)
		switch {
		case err == nil:
			known = true
		case !errors.Is(err, fault.ErrNotFound):
			return SignedIn{}, wrap("login", err)
		}
	}
	if !known || a.PasswordHash == "" {
		s.Hasher.VerifyDummy(pw)
		reason := "no_password"
		if !known {
			reason = ""
		}
		return SignedIn{}, s.refuse(ctx, client, a, known, reason)
	}
	ok, rehash, err := s.Hasher.Verify(a.PasswordHash, pw)
	if err != nil {
		s.Log.ErrorContext(ctx, "unusable stored password hash", "identifier", a.Identifier, "error", err.Error())
		return SignedIn{}, s.refuse(ctx, client, a, true, "unusable_hash")
	}
	switch {
	case !a.Active:
		return SignedIn{}, s.refuse(ctx, client, a, true, "inactive")
	case a.Locked(now):
		// A lock answers like a wrong password and is not extended by attempts during it.
		return SignedIn{}, s.refuse(ctx, client, a, true, "locked")
	case !ok:
		// The account's failure count is written alongside refuse's writes, not before
		// them: a wrong password then takes the round trip an unknown identifier takes,
		// so timing does not tell known identifiers apart.
		counted := make(chan error, 1)
		go func() {
			n, err := s.Store.AddFailure(ctx, a.Identifier)
			if d := s.Limits.LockFor(n); err == nil && d > 0 {
				err = s.Store.LockUntil(ctx, a.Identifier, now.Add(d))
			}
			counted <- err
		}()
		err := s.refuse(ctx, client, a, true, "wrong_password")
		if cerr := <-counted; cerr != nil {
			return SignedIn{}, wrap("login", cerr)
		}
		return SignedIn{}, err
	}

	id, sess := sessions.New(a.Identifier, a.Space, a.CustomerNumber, a.SessionEpoch, now, s.Sessions)
	at := now.UTC()
	u := Update{
		Identifier: a.Identifier, Epoch: &a.SessionEpoch, MustBeActive: true, ResetFailures: true,
		LoginAt: &at, PreviousLoginAt: a.LastLoginAt, StartSession: &sess,
	}
	if rehash {
		// The stored hash used older parameters: store one with the current ones.
		if u.PasswordHash, err = s.Hasher.Hash(pw); err != nil {
			return SignedIn{}, wrap("login", err)
		}
	}
	e, err := s.entry(ctx, a, a.Identifier, audit.ActionLogin, a.Identifier, "")
	if err != nil {
		return SignedIn{}, wrap("login", err)
	}
	u.Audit = append(u.Audit, e)
	switch err := s.Store.Apply(ctx, u); {
	case errors.Is(err, ErrConflict):
		// Deactivated or its sessions ended while the password was checked.
		return SignedIn{}, s.refuse(ctx, client, a, true, "changed")
	case err != nil:
		return SignedIn{}, wrap("login", err)
	}
	return SignedIn{Account: a.With(u), SessionID: id, Session: sess}, nil
}

// refuse records a failed login for the client and, for a known account, in its
// company's audit log; it returns ErrInvalidCredentials.
func (s *Service) refuse(ctx context.Context, client string, a Account, known bool, reason string) error {
	// The audit entry is written while the client's counter is: one round trip, as for
	// an unknown identifier, which has no entry.
	audited := make(chan error, 1)
	if known {
		go func() {
			e, err := s.entry(ctx, a, a.Identifier, audit.ActionLoginFailed, a.Identifier, reason)
			if err == nil {
				err = s.Store.PutAudit(ctx, e)
			}
			audited <- err
		}()
	} else {
		audited <- nil
	}
	err := s.Limiter.Record(ctx, ratelimit.ScopeLoginClient, client, s.Limits.LoginFailuresPerClient)
	if aerr := <-audited; err == nil {
		err = aerr
	}
	if err != nil {
		return wrap("login", err)
	}
	return ErrInvalidCredentials
}

// Authenticate resolves a session id from a cookie to its live session and account. It
// returns an unauthenticated fault for an unknown, idle, expired or revoked session, and
// deletes the ones it finds dead.
func (s *Service) Authenticate(ctx context.Context, id string) (Account, sessions.Session, error) {
	if !sessions.Valid(id) {
		return Account{}, sessions.Session{}, unauthenticated()
	}
	sess, err := s.Store.Session(ctx, tokens.Hash(id))
	if errors.Is(err, fault.ErrNotFound) {
		return Account{}, sessions.Session{}, unauthenticated()
	}
	if err != nil {
		return Account{}, sessions.Session{}, wrap("authenticate", err)
	}
	a, err := s.Store.Account(ctx, sess.Identifier)
	now := s.Now()
	switch {
	case errors.Is(err, fault.ErrNotFound):
		err = sessions.ErrRevoked
	case err != nil:
		return Account{}, sessions.Session{}, wrap("authenticate", err)
	case a.Space != sess.Space || a.CustomerNumber != sess.CustomerNumber:
		err = sessions.ErrRevoked
	default:
		err = sess.Check(s.Sessions, now, a.Active, a.SessionEpoch)
	}
	if err != nil {
		if derr := s.Store.DeleteSession(ctx, sess.Hash); derr != nil {
			s.Log.WarnContext(ctx, "dead session not deleted", "error", derr.Error())
		}
		return Account{}, sessions.Session{}, unauthenticated()
	}
	if sess.NeedsTouch(s.Sessions, now) {
		if err := s.Store.TouchSession(ctx, sess.Hash, now); err != nil {
			return Account{}, sessions.Session{}, wrap("authenticate", err)
		}
		sess.LastSeenAt = now.UTC()
	}
	return a, sess, nil
}

// Logout ends the session of id, whatever its state.
func (s *Service) Logout(ctx context.Context, id string) error {
	if !sessions.Valid(id) {
		return nil
	}
	return s.Store.DeleteSession(ctx, tokens.Hash(id))
}
