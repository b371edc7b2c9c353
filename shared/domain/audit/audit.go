// Package audit holds a company's audit log (PRODUCT.md §6.6): logins, failed logins,
// downloads, link uses, user and password changes. Entries expire with the space's
// retention (PRODUCT.md §8).
package audit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Actions recorded.
const (
	ActionLogin           = "login"
	ActionLoginFailed     = "login_failed"
	ActionPasswordSet     = "password_set"     // from an activation or recovery link
	ActionPasswordChanged = "password_changed" // by the account itself, from its profile
	ActionPasswordReset   = "password_reset"   // by an admin
	ActionUserCreated     = "user_created"
	ActionUserUpdated     = "user_updated"
	ActionDownload        = "download"
	ActionLinkUse         = "link_use"
	ActionExport          = "export"
)

// sortKeyLayout has a fixed width, so sort keys order as instants do.
const sortKeyLayout = "2006-01-02T15:04:05.000000000Z"

// Entry is one line of a company's audit log.
type Entry struct {
	Company   string // {space}#{customerNumber}
	SortKey   string // the instant then a random suffix: unique, newest last in key order
	At        time.Time
	Actor     string // the identifier acting; "" for a no-login link
	Action    string
	Target    string // the identifier or document acted upon
	Detail    string
	ExpiresAt time.Time
}

// UnknownLog is the log that takes the place of a company's for a sign-in with an
// identifier no account has: 256 partitions by the identifier's hash, so that a spray
// of identifiers spreads over them. Such a refusal writes there what a known
// identifier's writes to its company's log, so both cost the same round trips
// (docs/BENCHMARKS.md R7), and ops can see the sprays. No space has an upper-case id, so
// no company's log is one of these.
func UnknownLog(identifier string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(identifier)))
	return "UNKNOWN#" + hex.EncodeToString(sum[:1])
}

// UnknownLogKept is how long an entry of UnknownLog is kept.
const UnknownLogKept = 90 * 24 * time.Hour

// New returns an entry of company at at, kept until expiresAt.
func New(company string, at time.Time, actor, action, target, detail string, expiresAt time.Time) Entry {
	var b [4]byte
	rand.Read(b[:]) // never fails on supported platforms
	at = at.UTC()
	return Entry{
		Company: company, SortKey: at.Format(sortKeyLayout) + "#" + hex.EncodeToString(b[:]), At: at,
		Actor: actor, Action: action, Target: target, Detail: detail, ExpiresAt: expiresAt.UTC(),
	}
}

// Store keeps audit entries per company.
type Store interface {
	// PutAudit records an entry.
	PutAudit(ctx context.Context, e Entry) error
	// AuditPage returns up to limit entries of company, newest first, starting after the
	// sort key after ("" for the newest), and the sort key to continue from ("" at the end).
	AuditPage(ctx context.Context, company, after string, limit int) ([]Entry, string, error)
}
