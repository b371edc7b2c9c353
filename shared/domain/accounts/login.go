package accounts

import (
	"context"
	"errors"
	"strings"
	"time"

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

// attempt is a password check with its places taken before any hashing (PRODUCT.md §6):
// one of the client's failures, given back on success, and one of the account's.
type attempt struct {
	slot    string  // the client's counted failure
	account Account // the account as the reservation left it
	known   bool
	locked  bool // a lock held: the password must not be checked
	at      time.Time
}

// reserve takes an attempt for identifier from client. Parallel attempts each count
// before any of them hashes, so neither limit lets a burst through: past the client's
// limit it returns a too_many fault, and past the account's its attempts come back
// locked.
func (s *Service) reserve(ctx context.Context, client, identifier string) (attempt, error) {
	slot, ok, err := s.Limiter.Take(ctx, ratelimit.ScopeLoginClient, client, s.Limits.LoginFailuresPerClient)
	if err != nil {
		return attempt{}, err
	}
	if !ok {
		return attempt{}, tooManyRequests()
	}
	at := attempt{slot: slot, at: s.Now()}
	if identifier == "" || len(identifier) > maxIdentifierLen {
		return at, nil
	}
	a, free, err := s.Store.ReserveAttempt(ctx, identifier, at.at, s.Limits)
	switch {
	case errors.Is(err, fault.ErrNotFound):
		return at, nil
	case err != nil:
		return attempt{}, err
	}
	at.account, at.known, at.locked = a, true, !free
	return at, nil
}

// ownLock is the lock the attempt set itself, which its success may lift.
func (at attempt) ownLock() time.Time {
	if at.account.Locked(at.at) {
		return at.account.LockedUntil
	}
	return time.Time{}
}

// succeeded clears the account's count, on condition that no lock but the attempt's own
// came meanwhile, and gives the client's failure back. It returns ErrConflict when a lock
// came, or the account changed.
func (s *Service) succeeded(ctx context.Context, at attempt) error {
	returned := make(chan error, 1)
	go func() { returned <- s.Limiter.Return(ctx, at.slot) }()
	now := s.Now()
	err := s.Store.Apply(ctx, Update{Identifier: at.account.Identifier, UnlockedAt: &now, OwnLock: at.ownLock(), ResetFailures: true})
	if rerr := <-returned; err == nil {
		err = rerr
	}
	return err
}

// checkOwnPassword checks the signed-in account a's own password as a login checks one:
// the attempt counts toward the client's limit and the account's lock before hashing, a
// locked account is refused without hashing, and a right password clears the count. It
// returns ErrWrongPassword (a lock reads the same), a too_many fault, or an
// unauthenticated fault when the account is gone.
func (s *Service) checkOwnPassword(ctx context.Context, client string, a Account, pw string) error {
	at, err := s.reserve(ctx, client, a.Identifier)
	if err != nil {
		return err
	}
	switch {
	case !at.known:
		return unauthenticated()
	case at.locked:
		return ErrWrongPassword
	case at.account.PasswordHash == "":
		s.Hasher.VerifyDummy(pw)
		return ErrWrongPassword
	}
	if ok, _, _ := s.Hasher.Verify(at.account.PasswordHash, pw); !ok {
		return ErrWrongPassword
	}
	switch err := s.succeeded(ctx, at); {
	case errors.Is(err, ErrConflict):
		return ErrWrongPassword
	case err != nil:
		return err
	}
	return nil
}

// Login checks an identifier and password typed by the client at address client. Every
// refusal is ErrInvalidCredentials, whatever the reason (unknown identifier, wrong
// password, inactive account, no password yet, locked account). An unknown identifier
// costs one dummy hash, as a known one costs its own, so timing does not tell them
// apart; a locked account costs none. It returns a too_many fault once the client has
// failed too often.
func (s *Service) Login(ctx context.Context, client, identifier, pw string) (SignedIn, error) {
	identifier = strings.TrimSpace(identifier)
	at, err := s.reserve(ctx, client, identifier)
	if err != nil {
		return SignedIn{}, wrap("login", err)
	}
	a := at.account
	switch {
	case !at.known:
		s.Hasher.VerifyDummy(pw)
		return SignedIn{}, s.refuse(ctx, a, false, "", identifier)
	case at.locked:
		// A lock answers like a wrong password, is not extended by attempts during it,
		// and is what keeps a burst from costing a hash per request.
		return SignedIn{}, s.refuse(ctx, a, true, "locked", "")
	case a.PasswordHash == "":
		s.Hasher.VerifyDummy(pw)
		return SignedIn{}, s.refuse(ctx, a, true, "no_password", "")
	}
	ok, rehash, err := s.Hasher.Verify(a.PasswordHash, pw)
	if err != nil {
		s.Log.ErrorContext(ctx, "unusable stored password hash", "identifier", a.Identifier, "error", err.Error())
		return SignedIn{}, s.refuse(ctx, a, true, "unusable_hash", "")
	}
	switch {
	case !a.Active:
		return SignedIn{}, s.refuse(ctx, a, true, "inactive", "")
	case !ok:
		// The failure was counted when the attempt was reserved.
		return SignedIn{}, s.refuse(ctx, a, true, "wrong_password", "")
	}

	now := s.Now()
	id, sess := sessions.New(a.Identifier, a.Space, a.CustomerNumber, a.SessionEpoch, now, s.Sessions)
	loginAt := now.UTC()
	u := Update{
		Identifier: a.Identifier, Epoch: &a.SessionEpoch, MustBeActive: true, ResetFailures: true,
		UnlockedAt: &now, OwnLock: at.ownLock(),
		LoginAt: &loginAt, PreviousLoginAt: a.LastLoginAt, StartSession: &sess,
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
	// The client's failure is given back alongside the write; should the write be
	// refused, the attempt goes uncounted for the client, the account's count standing.
	returned := make(chan error, 1)
	go func() { returned <- s.Limiter.Return(ctx, at.slot) }()
	err = s.Store.Apply(ctx, u)
	rerr := <-returned
	switch {
	case errors.Is(err, ErrConflict):
		// Locked by a parallel attempt, deactivated, or its sessions ended while the
		// password was checked.
		return SignedIn{}, s.refuse(ctx, a, true, "changed", "")
	case err != nil:
		return SignedIn{}, wrap("login", err)
	case rerr != nil:
		return SignedIn{}, wrap("login", rerr)
	}
	return SignedIn{Account: a.With(u), SessionID: id, Session: sess}, nil
}

// refuse writes a refused login to a known account's company audit log, or an unknown
// identifier's to audit.UnknownLog, and returns ErrInvalidCredentials. The client's
// failure was counted when the attempt was reserved.
func (s *Service) refuse(ctx context.Context, a Account, known bool, reason string, typed string) error {
	var e audit.Entry
	var err error
	if known {
		e, err = s.entry(ctx, a, a.Identifier, audit.ActionLoginFailed, a.Identifier, reason)
	} else {
		if len(typed) > 64 {
			typed = typed[:64]
		}
		now := s.Now()
		e = audit.New(audit.UnknownLog(typed), now, "", audit.ActionLoginFailed, typed, "unknown", now.Add(audit.UnknownLogKept))
	}
	if err == nil {
		err = s.Store.PutAudit(ctx, e)
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
