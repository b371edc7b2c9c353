package accounts

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/spaces"
	"github.com/efacture/efacture/shared/domain/tokens"
)

// Errors the Service returns whose reason PRODUCT.md §7 names; they match with
// errors.Is by code and reason. Every other refusal is a plain fault.Error.
var (
	// ErrInvalidCredentials is every refused login.
	ErrInvalidCredentials = &fault.Error{Code: fault.CodeUnauthenticated, Reason: "invalid_credentials", Detail: "invalid credentials"}
	// ErrNoAccount is an address without accounts, in a space that says so.
	ErrNoAccount = &fault.Error{Code: fault.CodeNotFound, Reason: "no_account", Detail: "no account for this address"}
	// ErrWrongPassword is a wrong current password.
	ErrWrongPassword = &fault.Error{Code: fault.CodeInvalid, Reason: "wrong_password", Detail: "wrong current password"}
)

// Refusals without a finer reason.
func invalid(field string) error { return fault.Invalid(field, "") }
func unauthenticated() error     { return fault.New(fault.CodeUnauthenticated, "not signed in") }
func tooManyRequests() error     { return fault.New(fault.CodeTooMany, "too many requests") }
func linkExpired() error         { return fault.New(fault.CodeGone, "link expired or no longer valid") }
func forbidden() error           { return fault.New(fault.CodeForbidden, "forbidden") }
func notFound() error            { return fault.NotFound("account") }

// noAccount is ErrNoAccount naming the address, which the client is shown.
func noAccount(email string) error {
	e := *ErrNoAccount
	e.Args = []string{email}
	return &e
}

// Store is what the Service reads and writes.
type Store interface {
	sessions.Store
	audit.Store

	Space(ctx context.Context, id string) (spaces.Space, error)
	Customer(ctx context.Context, space, number string) (customers.Customer, error)

	// Account returns an account by identifier (any case), or a fault.ErrNotFound.
	Account(ctx context.Context, identifier string) (Account, error)
	// AccountsByEmail returns the accounts of an address in a space, by identifier.
	AccountsByEmail(ctx context.Context, space, email string) ([]Account, error)
	// AccountsOfCompany returns a company's accounts, by identifier.
	AccountsOfCompany(ctx context.Context, space, customerNumber string) ([]Account, error)
	// CreateAccount stores a new account with its audit entry, or returns
	// ErrIdentifierTaken.
	CreateAccount(ctx context.Context, a Account, entry audit.Entry) error
	// Apply makes an Update and its side effects in one transaction. It returns
	// ErrConflict when a condition on the account fails and ErrTokenSpent when the token
	// to spend is gone.
	Apply(ctx context.Context, u Update) error
	// ReserveAttempt counts a password attempt on an account before the password is
	// checked (PRODUCT.md §6): its count of consecutive failures goes up by one, and the
	// attempt that brings it to l.LockAfter or beyond also locks the account for
	// l.LockFor(count), in the same atomic write. While a lock holds at now it writes
	// nothing and returns false with the account as it is. Otherwise it returns true and
	// the account as the write left it, locked only by a lock this attempt set. An
	// unknown identifier is a fault.ErrNotFound.
	ReserveAttempt(ctx context.Context, identifier string, now time.Time, l ratelimit.Limits) (Account, bool, error)

	// Token returns a stored token by hash, or a fault.ErrNotFound.
	Token(ctx context.Context, hash string) (tokens.Record, error)
	// CurrentRecovery returns the hash of the newest recovery token of an address in a
	// space, "" when there is none.
	CurrentRecovery(ctx context.Context, space, email string) (string, error)
	// StartRecovery stores a recovery token as the address's current one, with its mail.
	StartRecovery(ctx context.Context, token tokens.Record, mail outbox.Record) error
}

// Fields are optional changes of an account; nil leaves a field alone, "" removes it.
type Fields struct {
	FirstName, LastName, Email, Phone, Mobile, Profile, Language *string
	Active, Admin                                                *bool
	HistoryMonths                                                *int
}

// RecoveryKey names the current-recovery pointer of an address in a space.
type RecoveryKey struct {
	Space, Email string
}

// Update is one change of an account and everything that must happen with it, at once.
type Update struct {
	Identifier string

	// Conditions besides the account's existence.
	Space, CustomerNumber string // when set, the account must belong to this company
	Epoch                 *int64 // when set, the account's session epoch must still be this
	MustBeActive          bool
	// UnlockedAt, when set, requires that no lock holds at that instant but OwnLock, the
	// one the attempt being applied set itself when it reserved its place.
	UnlockedAt *time.Time
	OwnLock    time.Time

	Set             Fields
	PasswordHash    string // a new hash; "" keeps the current one
	ResetFailures   bool   // no failure counted, no lock
	EndSessions     bool   // moves the session epoch on: every session of the account ends
	LoginAt         *time.Time
	PreviousLoginAt *time.Time // with LoginAt: the login before it, nil when none

	SpendToken    string       // hash of a token deleted with the change; it must exist
	SpendRecovery *RecoveryKey // deleted when it still names SpendToken
	EndSession    string       // hash of a session deleted with the change
	StartSession  *sessions.Session
	Mails         []outbox.Record
	Audit         []audit.Entry
}

// With returns a as it is once u is applied.
func (a Account) With(u Update) Account {
	f := u.Set
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&a.FirstName, f.FirstName)
	set(&a.LastName, f.LastName)
	set(&a.Email, f.Email)
	set(&a.Phone, f.Phone)
	set(&a.Mobile, f.Mobile)
	set(&a.Profile, f.Profile)
	set(&a.Language, f.Language)
	if f.Active != nil {
		a.Active = *f.Active
	}
	if f.Admin != nil {
		a.Admin = *f.Admin
	}
	if f.HistoryMonths != nil {
		a.HistoryMonths = *f.HistoryMonths
	}
	if u.PasswordHash != "" {
		a.PasswordHash = u.PasswordHash
	}
	if u.ResetFailures {
		a.Failures, a.LockedUntil = 0, time.Time{}
	}
	if u.EndSessions {
		a.SessionEpoch++
	}
	if u.LoginAt != nil {
		at := *u.LoginAt
		a.LastLoginAt, a.PreviousLoginAt = &at, u.PreviousLoginAt
	}
	return a
}

// Hasher hashes and checks passwords; password.Hasher is the one that ships. Tests wrap it
// to count verifications, which is what brute force costs.
type Hasher interface {
	Hash(pw string) (string, error)
	Verify(phc, pw string) (ok bool, needsRehash bool, err error)
	VerifyDummy(pw string)
}

var _ Hasher = password.Hasher{}

// Service is the accounts' behaviour of PRODUCT.md §6: login, sessions, recovery, profile and
// company user administration.
type Service struct {
	Store    Store
	Limiter  ratelimit.Limiter
	Limits   ratelimit.Limits
	Hasher   Hasher
	Sessions sessions.Policy
	// MailKey returns the key that derives recovery tokens; only recovery requests call
	// it, so a function that never sends one need not read the secret.
	MailKey func(context.Context) (*tokens.MailKey, error)
	Now     func() time.Time
	Log     *slog.Logger
}

// RecoveryValidity is how long a recovery link sets a password (PRODUCT.md §5).
const RecoveryValidity = tokens.RecoveryValidity

// maxIdentifierLen bounds identifiers looked up: longer ones exist nowhere.
const maxIdentifierLen = 254

// entry returns an audit entry of a's company, kept for the space's retention.
func (s *Service) entry(ctx context.Context, a Account, actor, action, target, detail string) (audit.Entry, error) {
	sp, err := s.Store.Space(ctx, a.Space)
	if err != nil {
		return audit.Entry{}, err
	}
	now := s.Now()
	until := spaces.AddMonthsClamped(now.In(sp.Location()), sp.RetentionMonths)
	return audit.New(a.Company(), now, actor, action, target, detail, until), nil
}

// passwordChangedMail is the "password changed" mail to the account's own address, or
// nil when it has none.
func passwordChangedMail(a Account, at time.Time) []outbox.Record {
	if a.Email == "" {
		return nil
	}
	at = at.UTC()
	return []outbox.Record{{
		Key: outbox.PasswordChangedKey(Key(a.Identifier), at), Kind: outbox.KindPasswordChanged,
		Space: a.Space, To: a.Email, Language: a.Lang(), Status: outbox.StatusPending, CreatedAt: at,
		Data: map[string]string{"identifier": a.Identifier, "at": at.Format(time.RFC3339)},
	}}
}

// NormalizeEmail trims and lower-cases an address.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidEmail reports whether s is a bare e-mail address (no display name).
func ValidEmail(s string) bool {
	if s == "" || len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// maxTextLen bounds names and phone numbers, in characters.
const maxTextLen = 100

// cleanText trims a free-text field and checks its length and characters.
func cleanText(field string, v *string) (*string, error) {
	if v == nil {
		return nil, nil
	}
	s := strings.TrimSpace(*v)
	if utf8.RuneCountInString(s) > maxTextLen || !utf8.ValidString(s) {
		return nil, invalid(field)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return nil, invalid(field)
		}
	}
	return &s, nil
}

// checkPreferences validates the preferences of the profile page.
func checkPreferences(historyMonths *int, language *string) error {
	if historyMonths != nil && !slices.Contains(HistoryChoices, *historyMonths) {
		return invalid("historyMonths")
	}
	if language != nil && *language != LangFrench && *language != LangEnglish {
		return invalid("language")
	}
	return nil
}

func wrap(op string, err error) error { return fmt.Errorf("%s: %w", op, err) }
