// Package accounts holds login accounts and the identifier rules of PRODUCT.md §4.
package accounts

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/efacture/efacture/shared/domain/fault"
)

// Errors returned by account stores, besides a fault.ErrNotFound for an unknown account.
var (
	// ErrIdentifierTaken is returned when creating an account whose identifier exists.
	ErrIdentifierTaken = &fault.Error{Code: fault.CodeConflict, Reason: "identifier_taken", Detail: "identifier taken"}
	// ErrConflict is returned when an update's conditions on the account no longer hold:
	// it vanished, left the company, was deactivated or its session epoch moved on.
	// The Service turns it into what it means for the caller; it never reaches a client.
	ErrConflict = errors.New("account changed meanwhile")
	// ErrTokenSpent is returned when the token an update spends is already gone; the
	// Service answers a fault.ErrGone.
	ErrTokenSpent = errors.New("token already spent")
)

// Account is a login identifier bound to exactly one (space, customer).
type Account struct {
	Identifier      string
	Space           string
	CustomerNumber  string
	Email           string
	FirstName       string
	LastName        string
	Phone           string
	Mobile          string
	Active          bool
	Admin           bool
	RegisteredAdmin bool
	Profile         string
	PasswordHash    string // "" until the first set-password
	SessionEpoch    int64  // bumped to end every session of the account at once
	Failures        int
	LockedUntil     time.Time
	LastLoginAt     *time.Time
	PreviousLoginAt *time.Time
	HistoryMonths   int
	Language        string
	CreatedAt       time.Time
	// ActivationToken is the hash of the newest activation link the supplier's console
	// sent, which voids every older one; "" when none was sent (PRODUCT.md §11).
	ActivationToken     string
	ActivationExpiresAt *time.Time
}

// Key is the case-insensitive form identifiers are unique under.
func Key(identifier string) string { return strings.ToLower(identifier) }

// Company is the key of the account's company, {space}#{customerNumber}.
func (a Account) Company() string { return a.Space + "#" + a.CustomerNumber }

// Locked reports whether failed logins keep the account locked at now.
func (a Account) Locked(now time.Time) bool { return now.Before(a.LockedUntil) }

// Lang is the account's language, French unless it chose English.
func (a Account) Lang() string {
	if a.Language == LangEnglish {
		return LangEnglish
	}
	return LangFrench
}

// Languages of the portal.
const (
	LangFrench  = "fr"
	LangEnglish = "en"
)

// CandidateIdentifier is the n-th identifier tried for an account created for email:
// the address itself first (n = 0), then local part + "_n" (PRODUCT.md §4).
func CandidateIdentifier(email string, n int) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if n == 0 {
		return email
	}
	local, _, _ := strings.Cut(email, "@")
	return fmt.Sprintf("%s_%d", local, n)
}

// ValidChosenIdentifier checks an identifier an admin picks: 3–64 of a-z 0-9 . _ -. An
// address is never one: identifiers with "@" are the ones ingestion derives from a
// registered e-mail (PRODUCT.md §4), so an admin cannot make one that reads as, or later
// collides with, an address's own. A loop, not a regexp: compiling one at every
// function's cold start cost more than the checks (docs/BENCHMARKS.md, R9).
func ValidChosenIdentifier(identifier string) bool {
	id := strings.ToLower(identifier)
	if len(id) < 3 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// DefaultHistoryMonths is the documents page's default period (FAQ §7).
const DefaultHistoryMonths = 3

// HistoryChoices are the display-history preference's values.
var HistoryChoices = []int{1, 3, 6, 12, 24}
