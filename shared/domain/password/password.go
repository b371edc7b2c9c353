// Package password holds the password policy of PRODUCT.md §6.3 and the argon2id hashing of
// stored passwords.
package password

import (
	"bufio"
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/efacture/efacture/shared/domain/fault"
)

// Lengths of the policy, counted in Unicode code points.
const (
	MinLength        = 8
	PassphraseLength = 15
	MaxLength        = 256
)

// Rule names one policy rule a password failed; the values are stable codes the API and
// the frontend map to messages.
type Rule string

// The rules of the policy, in the order PolicyError lists them.
const (
	TooShort           Rule = "too_short"
	TooLong            Rule = "too_long"
	NeedsUpper         Rule = "needs_upper"
	NeedsDigit         Rule = "needs_digit"
	NeedsSpecial       Rule = "needs_special"
	Common             Rule = "common"
	ContainsIdentifier Rule = "contains_identifier"
)

// Errors of Check, both invalid input with the reason PRODUCT.md §7 names.
var (
	// ErrPolicy matches every *PolicyError with errors.Is.
	ErrPolicy = &fault.Error{Code: fault.CodeInvalid, Reason: "password_policy", Detail: "password does not meet the policy"}
	// ErrMismatch is returned when the confirmation differs from the password.
	ErrMismatch = &fault.Error{Code: fault.CodeInvalid, Reason: "password_mismatch", Detail: "password and confirmation differ"}
)

// PolicyError lists the rules a password failed.
type PolicyError struct {
	Rules []Rule
}

func (e *PolicyError) Error() string {
	return ErrPolicy.Detail + ": " + strings.Join(e.codes(), ", ")
}

// Unwrap returns e as a fault.Error, the form a transport shows: invalid input with the
// failed rules.
func (e *PolicyError) Unwrap() error {
	return &fault.Error{Code: ErrPolicy.Code, Reason: ErrPolicy.Reason, Rules: e.codes(), Detail: ErrPolicy.Detail}
}

func (e *PolicyError) codes() []string {
	codes := make([]string, len(e.Rules))
	for i, r := range e.Rules {
		codes[i] = string(r)
	}
	return codes
}

// Has reports whether rule r is among the failed rules.
func (e *PolicyError) Has(r Rule) bool {
	for _, got := range e.Rules {
		if got == r {
			return true
		}
	}
	return false
}

// Check validates a new password typed twice for the account identifier. It returns
// ErrMismatch when pw and confirmation differ (checked first, so a typo is reported as
// such), a *PolicyError when pw breaks the policy, or nil.
//
// The policy: at least MinLength characters with an upper-case letter, a digit and a
// special character, or any passphrase of at least PassphraseLength characters; at most
// MaxLength; not a common password (case-insensitive); not containing the identifier, nor
// the local part of an e-mail identifier when it has three characters or more.
func Check(pw, confirmation, identifier string) error {
	if pw != confirmation {
		return ErrMismatch
	}
	var failed []Rule
	n := utf8.RuneCountInString(pw)
	if n < MinLength {
		failed = append(failed, TooShort)
	}
	if n > MaxLength {
		failed = append(failed, TooLong)
	}
	if n < PassphraseLength {
		failed = append(failed, missingClasses(pw)...)
	}
	lower := strings.ToLower(pw)
	if isCommon(lower) {
		failed = append(failed, Common)
	}
	if containsIdentifier(lower, identifier) {
		failed = append(failed, ContainsIdentifier)
	}
	if len(failed) > 0 {
		return &PolicyError{Rules: failed}
	}
	return nil
}

// missingClasses returns the character-class rules a short password fails.
func missingClasses(pw string) []Rule {
	var upper, digit, special bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		case !unicode.IsLetter(r):
			special = true
		}
	}
	var failed []Rule
	if !upper {
		failed = append(failed, NeedsUpper)
	}
	if !digit {
		failed = append(failed, NeedsDigit)
	}
	if !special {
		failed = append(failed, NeedsSpecial)
	}
	return failed
}

// containsIdentifier reports whether the lower-cased password holds the identifier or,
// for an e-mail identifier, its local part.
func containsIdentifier(lowerPw, identifier string) bool {
	id := strings.ToLower(strings.TrimSpace(identifier))
	if id == "" {
		return false
	}
	if strings.Contains(lowerPw, id) {
		return true
	}
	if at := strings.LastIndexByte(id, '@'); at > 0 {
		local := id[:at]
		if utf8.RuneCountInString(local) >= 3 && strings.Contains(lowerPw, local) {
			return true
		}
	}
	return false
}

//go:embed common.txt
var commonText string

var (
	commonOnce sync.Once
	commonSet  map[string]struct{}
)

// isCommon reports whether the lower-cased password is in the embedded list; the list is
// loaded on first use so functions that never check a password pay nothing at start.
func isCommon(lowerPw string) bool {
	commonOnce.Do(func() {
		commonSet = make(map[string]struct{}, 2048)
		sc := bufio.NewScanner(strings.NewReader(commonText))
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" {
				commonSet[line] = struct{}{}
			}
		}
	})
	_, ok := commonSet[lowerPw]
	return ok
}
