// Package outbox holds mail records: every mail is first one of these, written in the same
// transaction as its cause and keyed so it exists once (PRODUCT.md §5).
package outbox

import (
	"errors"
	"time"
)

// Kinds of mail.
const (
	KindActivation      = "activation"
	KindNotify          = "notify"
	KindDigest          = "digest"
	KindRecovery        = "recovery"
	KindPasswordChanged = "pwchanged"
)

// Statuses of a record.
const (
	StatusPending = "pending"
	StatusSent    = "sent"
	StatusDead    = "dead"
)

// ErrNotPending is returned when marking a record that another delivery already settled.
var ErrNotPending = errors.New("outbox record not pending")

// Record is one mail to send. Data holds the template's fields; Secret holds a raw token
// the mail must carry, and is erased once the mail is sent.
type Record struct {
	Key       string
	Kind      string
	Space     string
	To        string
	Language  string
	Data      map[string]string
	Secret    string
	Status    string
	Attempts  int
	CreatedAt time.Time
	SentAt    *time.Time
}

// Keys of PRODUCT.md §5, so a cause writes its mail at most once.
func ActivationKey(identifierKey string) string { return "activation#" + identifierKey }
func NotifyKey(company, number string) string   { return "notify#" + company + "#" + number }
func DigestKey(company, date string) string     { return "digest#" + company + "#" + date }
func RecoveryKey(tokenHash string) string       { return "recovery#" + tokenHash }
func PasswordChangedKey(identifierKey string, at time.Time) string {
	return "pwchanged#" + identifierKey + "#" + at.UTC().Format(time.RFC3339Nano)
}

// Retention of settled records.
const Retention = 90 * 24 * time.Hour
