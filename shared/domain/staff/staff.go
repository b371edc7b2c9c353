// Package staff holds the supplier's own staff accounts of PRODUCT.md §11: advisors and
// supervisors of one space, signed in with a password and a TOTP code under their own
// session, and the staff audit log of the space.
package staff

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/tokens"
)

// Roles of staff members.
const (
	RoleAdvisor    = "advisor"
	RoleSupervisor = "supervisor"
)

// ScopeLoginClient counts staff sign-in attempts per client address, apart from the
// customers' counter.
const ScopeLoginClient = "staff-login-client"

// Policy is the staff session's life (PRODUCT.md §11): shorter than customers'.
var Policy = sessions.Policy{Idle: 15 * time.Minute, Absolute: 8 * time.Hour, TouchEvery: time.Minute}

// PasswordLinkValidity is how long the set-password link of a new member works.
const PasswordLinkValidity = 72 * time.Hour

// CustomerService is the actor a staff action shows in the customer's own audit log:
// the customer sees the supplier's customer service, never a staff member's name.
const CustomerService = "customer-service"

// Staff audit actions; the customer's audit log gets the same names for actions on it.
const (
	ActionLogin             = "staff_login"
	ActionLoginFailed       = "staff_login_failed"
	ActionLogout            = "staff_logout"
	ActionPasswordSet       = "staff_password_set"
	ActionMemberCreated     = "staff_created"
	ActionSearch            = "staff_search"
	ActionViewCustomer      = "staff_view_customer"
	ActionViewDocuments     = "staff_view_documents"
	ActionActivationResent  = "staff_activation_resent"
	ActionMailStatusCleared = "staff_mail_status_cleared"
	ActionViewRejections    = "staff_view_rejections"
	ActionViewAudit         = "staff_view_audit"
)

// Errors of the package besides plain faults.
var (
	// ErrInvalidCredentials is every refused staff login, whatever failed.
	ErrInvalidCredentials = accounts.ErrInvalidCredentials
	// ErrIdentifierTaken is a member created under an identifier the space already has.
	ErrIdentifierTaken = &fault.Error{Code: fault.CodeConflict, Reason: "identifier_taken", Detail: "staff identifier taken"}
	// ErrConflict is a store's answer when a sign-in's conditions failed: the code's step
	// was used meanwhile, or the member changed. It never reaches a client.
	ErrConflict = errors.New("staff member changed meanwhile")
	// ErrTokenSpent is a set-password token already used or voided by a newer one.
	ErrTokenSpent = errors.New("staff token spent")
)

// Member is a staff account of one space.
type Member struct {
	Space        string
	Identifier   string
	Role         string
	Active       bool
	PasswordHash string // "" until set from the link
	TOTPSecret   string // base32
	// TOTPStep is the last time step whose code signed in: a code is accepted once.
	TOTPStep      int64
	SessionEpoch  int64
	Failures      int
	LockedUntil   time.Time
	PasswordToken string // hash of the current set-password token, "" once spent
	LastLoginAt   *time.Time
	CreatedAt     time.Time
}

// Supervisor reports whether m may use supervisor routes.
func (m Member) Supervisor() bool { return m.Role == RoleSupervisor }

// Key is the case-insensitive form of an identifier.
func Key(identifier string) string { return strings.ToLower(strings.TrimSpace(identifier)) }

// ValidIdentifier accepts 3–64 of a-z 0-9 . _ - or an e-mail address.
func ValidIdentifier(id string) bool {
	return accounts.ValidChosenIdentifier(id) || (len(id) <= 64 && accounts.ValidEmail(strings.ToLower(id)))
}

// PasswordToken is a stored set-password token of a member.
type PasswordToken struct {
	Hash       string
	Space      string
	Identifier string
	ExpiresAt  time.Time
}

// SignIn is what a successful login writes at once.
type SignIn struct {
	Member  Member // as read: the epoch and the conditions come from it
	Step    int64  // the code's step, which must be later than the stored one
	At      time.Time
	Session sessions.Session
	Audit   audit.Entry
}

// Store is what the Service reads and writes.
type Store interface {
	audit.Store
	Space(ctx context.Context, id string) (spaces.Space, error)

	// Member returns a member, or a fault.ErrNotFound.
	Member(ctx context.Context, space, identifier string) (Member, error)
	// CreateMember stores a new member with its set-password token (Hash "" for none) and
	// audit entry, or returns ErrIdentifierTaken.
	CreateMember(ctx context.Context, m Member, tok PasswordToken, e audit.Entry) error
	// AddMemberFailure counts one more consecutive failed login and returns the count.
	AddMemberFailure(ctx context.Context, space, identifier string) (int, error)
	// LockMember refuses logins until until.
	LockMember(ctx context.Context, space, identifier string, until time.Time) error
	// SignIn records a login: the code's step, the session and the audit entry, or
	// ErrConflict when the step is not later than the stored one, the member was
	// deactivated or its epoch moved on.
	SignIn(ctx context.Context, in SignIn) error
	// StaffPasswordToken returns a set-password token, or a fault.ErrNotFound.
	StaffPasswordToken(ctx context.Context, hash string) (PasswordToken, error)
	// SetMemberPassword spends the token and stores the hash, ending every session and
	// lifting a lock, or returns ErrTokenSpent.
	SetMemberPassword(ctx context.Context, tok PasswordToken, hash string, e audit.Entry) error

	// StaffSession, TouchStaffSession and DeleteStaffSession keep staff sessions apart
	// from customers': a customer's session id names nothing here.
	StaffSession(ctx context.Context, hash string) (sessions.Session, error)
	TouchStaffSession(ctx context.Context, hash string, at time.Time) error
	DeleteStaffSession(ctx context.Context, hash string) error
}

// Service is staff sign-in, sessions, set-password links, member creation and the staff
// audit log.
type Service struct {
	Store    Store
	Limiter  ratelimit.Limiter
	Limits   ratelimit.Limits
	Hasher   accounts.Hasher
	Sessions sessions.Policy
	Now      func() time.Time
	Log      *slog.Logger
}

func unauthenticated() error { return fault.New(fault.CodeUnauthenticated, "not signed in") }
func tooMany() error         { return fault.New(fault.CodeTooMany, "too many requests") }
func linkExpired() error     { return fault.New(fault.CodeGone, "link expired or no longer valid") }
func wrap(op string, err error) error {
	return fmt.Errorf("staff %s: %w", op, err)
}

// Company is the audit log key of a space's staff actions. No customer's company key
// has an upper-case letter, so the two never meet.
func Company(space string) string { return "STAFF#" + space }

// Entry returns a staff audit entry of space, kept for the space's retention.
func (s *Service) Entry(ctx context.Context, space, actor, action, target, detail string) (audit.Entry, error) {
	sp, err := s.Store.Space(ctx, space)
	if err != nil {
		return audit.Entry{}, err
	}
	now := s.Now()
	until := spaces.AddMonthsClamped(now.In(sp.Location()), sp.RetentionMonths)
	return audit.New(Company(space), now, actor, action, target, detail, until), nil
}

// Record writes a staff audit entry.
func (s *Service) Record(ctx context.Context, m Member, action, target, detail string) error {
	e, err := s.Entry(ctx, m.Space, m.Identifier, action, target, detail)
	if err == nil {
		err = s.Store.PutAudit(ctx, e)
	}
	if err != nil {
		return wrap("audit", err)
	}
	return nil
}

// SignedIn is a successful login.
type SignedIn struct {
	Member    Member
	Space     spaces.Space
	SessionID string
	Session   sessions.Session
}

// maxIdentifierLen bounds identifiers looked up.
const maxIdentifierLen = 254

// Login checks a member's password and TOTP code. Every refusal is
// ErrInvalidCredentials (unknown space or identifier, wrong password or code, a code
// already used, inactive or locked member) after one password hash, so neither answer
// nor timing tells them apart. Every attempt is counted against the client before the
// hash, atomically, so concurrent attempts cannot pass the limit: past it, a too_many
// fault and no hash.
func (s *Service) Login(ctx context.Context, client, space, identifier, pw, code string) (SignedIn, error) {
	ok, err := s.Limiter.Hit(ctx, ScopeLoginClient, client, s.Limits.LoginFailuresPerClient)
	if err != nil {
		return SignedIn{}, wrap("login", err)
	}
	if !ok {
		return SignedIn{}, tooMany()
	}
	now := s.Now()
	identifier = strings.TrimSpace(identifier)
	sp, err := s.Store.Space(ctx, space)
	spaceKnown := err == nil
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return SignedIn{}, wrap("login", err)
	}
	var m Member
	known := false
	if spaceKnown && identifier != "" && len(identifier) <= maxIdentifierLen {
		m, err = s.Store.Member(ctx, sp.ID, identifier)
		switch {
		case err == nil:
			known = true
		case !errors.Is(err, fault.ErrNotFound):
			return SignedIn{}, wrap("login", err)
		}
	}
	if !known || m.PasswordHash == "" {
		s.Hasher.VerifyDummy(pw)
		reason := "unknown"
		if known {
			reason = "no_password"
		}
		return SignedIn{}, s.refuse(ctx, sp, spaceKnown, identifier, Member{}, reason)
	}
	pwOK, _, err := s.Hasher.Verify(m.PasswordHash, pw)
	if err != nil {
		s.Log.ErrorContext(ctx, "unusable stored staff password hash", "identifier", m.Identifier, "error", err.Error())
		return SignedIn{}, s.refuse(ctx, sp, true, identifier, m, "unusable_hash")
	}
	var step int64
	reason := ""
	switch {
	case !m.Active:
		reason = "inactive"
	case now.Before(m.LockedUntil):
		// A lock answers like a wrong password and is not extended by attempts during it.
		reason = "locked"
	case !pwOK:
		reason = "wrong_password"
	default:
		key, err := DecodeSecret(m.TOTPSecret)
		if err != nil {
			return SignedIn{}, wrap("login", err)
		}
		var codeOK bool
		if step, codeOK = MatchStep(key, code, now, m.TOTPStep); !codeOK {
			reason = "wrong_code"
			if _, used := MatchStep(key, code, now, -1<<62); used {
				reason = "code_reused"
			}
		}
	}
	if reason != "" {
		return SignedIn{}, s.refuse(ctx, sp, true, identifier, m, reason)
	}

	id, sess := sessions.New(m.Identifier, m.Space, "", m.SessionEpoch, now, s.Sessions)
	e, err := s.Entry(ctx, m.Space, m.Identifier, ActionLogin, m.Identifier, "")
	if err != nil {
		return SignedIn{}, wrap("login", err)
	}
	at := now.UTC()
	switch err := s.Store.SignIn(ctx, SignIn{Member: m, Step: step, At: at, Session: sess, Audit: e}); {
	case errors.Is(err, ErrConflict):
		// Another login used this code first, or the member changed meanwhile.
		return SignedIn{}, s.refuse(ctx, sp, true, identifier, m, "code_reused")
	case err != nil:
		return SignedIn{}, wrap("login", err)
	}
	m.TOTPStep, m.Failures, m.LockedUntil, m.LastLoginAt = step, 0, time.Time{}, &at
	return SignedIn{Member: m, Space: sp, SessionID: id, Session: sess}, nil
}

// refuse audits a failed login in the space's staff log (when the space exists) and,
// for a wrong password or code of a usable member, counts the failure and locks the
// member at the threshold. It returns ErrInvalidCredentials.
func (s *Service) refuse(ctx context.Context, sp spaces.Space, spaceKnown bool, typed string, m Member, reason string) error {
	counted := make(chan error, 1)
	if m.Identifier != "" && (reason == "wrong_password" || reason == "wrong_code" || reason == "code_reused") {
		// Written alongside the audit entry, so a known member's refusal takes the round
		// trip an unknown identifier's does.
		go func() {
			n, err := s.Store.AddMemberFailure(ctx, m.Space, m.Identifier)
			if d := s.Limits.LockFor(n); err == nil && d > 0 {
				err = s.Store.LockMember(ctx, m.Space, m.Identifier, s.Now().Add(d))
			}
			counted <- err
		}()
	} else {
		counted <- nil
	}
	var err error
	if spaceKnown {
		if len(typed) > 64 {
			typed = typed[:64]
		}
		var e audit.Entry
		if e, err = s.Entry(ctx, sp.ID, "", ActionLoginFailed, typed, reason); err == nil {
			err = s.Store.PutAudit(ctx, e)
		}
	}
	if cerr := <-counted; err == nil {
		err = cerr
	}
	if err != nil {
		return wrap("login", err)
	}
	return ErrInvalidCredentials
}

// Authenticate resolves a staff session id to its live session and member. It returns an
// unauthenticated fault for an unknown, idle, expired or revoked one, and deletes the
// dead ones it finds.
func (s *Service) Authenticate(ctx context.Context, id string) (Member, sessions.Session, error) {
	if !sessions.Valid(id) {
		return Member{}, sessions.Session{}, unauthenticated()
	}
	sess, err := s.Store.StaffSession(ctx, tokens.Hash(id))
	if errors.Is(err, fault.ErrNotFound) {
		return Member{}, sessions.Session{}, unauthenticated()
	}
	if err != nil {
		return Member{}, sessions.Session{}, wrap("authenticate", err)
	}
	m, err := s.Store.Member(ctx, sess.Space, sess.Identifier)
	now := s.Now()
	switch {
	case errors.Is(err, fault.ErrNotFound):
		err = sessions.ErrRevoked
	case err != nil:
		return Member{}, sessions.Session{}, wrap("authenticate", err)
	default:
		err = sess.Check(s.Sessions, now, m.Active, m.SessionEpoch)
	}
	if err != nil {
		if derr := s.Store.DeleteStaffSession(ctx, sess.Hash); derr != nil {
			s.Log.WarnContext(ctx, "dead staff session not deleted", "error", derr.Error())
		}
		return Member{}, sessions.Session{}, unauthenticated()
	}
	if sess.NeedsTouch(s.Sessions, now) {
		if err := s.Store.TouchStaffSession(ctx, sess.Hash, now); err != nil {
			return Member{}, sessions.Session{}, wrap("authenticate", err)
		}
		sess.LastSeenAt = now.UTC()
	}
	return m, sess, nil
}

// Logout ends the session of id, whatever its state, and audits it when it was live.
func (s *Service) Logout(ctx context.Context, id string) error {
	if !sessions.Valid(id) {
		return nil
	}
	if m, _, err := s.Authenticate(ctx, id); err == nil {
		if err := s.Record(ctx, m, ActionLogout, m.Identifier, ""); err != nil {
			return err
		}
	}
	return s.Store.DeleteStaffSession(ctx, tokens.Hash(id))
}

// passwordToken reads a live set-password token and its member.
func (s *Service) passwordToken(ctx context.Context, token string) (PasswordToken, Member, error) {
	if !tokens.WellFormed(token) {
		return PasswordToken{}, Member{}, linkExpired()
	}
	tok, err := s.Store.StaffPasswordToken(ctx, tokens.Hash(token))
	if errors.Is(err, fault.ErrNotFound) {
		return PasswordToken{}, Member{}, linkExpired()
	}
	if err != nil {
		return PasswordToken{}, Member{}, wrap("read token", err)
	}
	if !s.Now().Before(tok.ExpiresAt) {
		return PasswordToken{}, Member{}, linkExpired()
	}
	m, err := s.Store.Member(ctx, tok.Space, tok.Identifier)
	if errors.Is(err, fault.ErrNotFound) || (err == nil && (!m.Active || m.PasswordToken != tok.Hash)) {
		return PasswordToken{}, Member{}, linkExpired()
	}
	if err != nil {
		return PasswordToken{}, Member{}, wrap("read member", err)
	}
	return tok, m, nil
}

// InspectPassword returns the member a set-password link sets, or a gone fault for a
// link unknown, expired, spent or voided by a newer one.
func (s *Service) InspectPassword(ctx context.Context, token string) (Member, error) {
	_, m, err := s.passwordToken(ctx, token)
	return m, err
}

// SetPassword sets a member's password from its link, with the customers' policy: the
// link is spent, every session ends and a lock is lifted. It returns a gone fault,
// password.ErrMismatch or a *password.PolicyError.
func (s *Service) SetPassword(ctx context.Context, token, pw, confirmation string) error {
	tok, m, err := s.passwordToken(ctx, token)
	if err != nil {
		return err
	}
	if err := password.Check(pw, confirmation, m.Identifier); err != nil {
		return err
	}
	hash, err := s.Hasher.Hash(pw)
	if err != nil {
		return wrap("set password", err)
	}
	e, err := s.Entry(ctx, m.Space, m.Identifier, ActionPasswordSet, m.Identifier, "")
	if err != nil {
		return wrap("set password", err)
	}
	switch err := s.Store.SetMemberPassword(ctx, tok, hash, e); {
	case errors.Is(err, ErrTokenSpent):
		return linkExpired()
	case err != nil:
		return wrap("set password", err)
	}
	return nil
}

// NewMember is a member ops creates.
type NewMember struct {
	Space, Identifier, Role string
	// Secret and Password are for the local demo only: a fixed TOTP secret and a known
	// password instead of a random secret and a set-password link.
	Secret, Password string
}

// Enrolment is what ops hands the new member: the set-password link's token (none when
// a password was given) and the TOTP secret.
type Enrolment struct {
	Member Member
	Token  string
	Secret string
}

// Add creates a member. It returns a not_found fault for an unknown space, an invalid
// fault for a malformed identifier or role, and ErrIdentifierTaken.
func (s *Service) Add(ctx context.Context, n NewMember) (Enrolment, error) {
	sp, err := s.Store.Space(ctx, n.Space)
	if err != nil {
		return Enrolment{}, err
	}
	id := Key(n.Identifier)
	if !ValidIdentifier(id) {
		return Enrolment{}, fault.Invalid("identifier", "3 to 64 of a-z 0-9 . _ -, or an e-mail address")
	}
	if n.Role != RoleAdvisor && n.Role != RoleSupervisor {
		return Enrolment{}, fault.Invalid("role", "advisor or supervisor")
	}
	secret := n.Secret
	if secret == "" {
		secret = NewSecret()
	} else if _, err := DecodeSecret(secret); err != nil {
		return Enrolment{}, fault.Invalid("secret", err.Error())
	}
	now := s.Now().UTC()
	m := Member{Space: sp.ID, Identifier: id, Role: n.Role, Active: true, TOTPSecret: secret, CreatedAt: now}
	var tok PasswordToken
	raw := ""
	if n.Password != "" {
		if err := password.Check(n.Password, n.Password, id); err != nil {
			return Enrolment{}, err
		}
		if m.PasswordHash, err = s.Hasher.Hash(n.Password); err != nil {
			return Enrolment{}, wrap("add", err)
		}
	} else {
		var hash string
		raw, hash = tokens.New()
		tok = PasswordToken{Hash: hash, Space: sp.ID, Identifier: id, ExpiresAt: now.Add(PasswordLinkValidity)}
		m.PasswordToken = hash
	}
	e, err := s.Entry(ctx, sp.ID, "", ActionMemberCreated, id, n.Role)
	if err != nil {
		return Enrolment{}, wrap("add", err)
	}
	if err := s.Store.CreateMember(ctx, m, tok, e); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Member: m, Token: raw, Secret: secret}, nil
}
