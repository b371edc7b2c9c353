// Package outbox holds mail records: every mail is first one of these, written in the same
// transaction as its cause and keyed so it exists once (PRODUCT.md §5).
package outbox

import (
	"errors"
	"hash/fnv"
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

// Record is one mail to send. Data holds the template's fields. A mail that carries
// tokens holds no token: Nonce, with the key, derives them under the mail-token secret
// (tokens.MailKey), which the record and its backups never hold.
type Record struct {
	Key       string
	Kind      string
	Space     string
	To        string
	Language  string
	Data      map[string]string
	Nonce     string
	Status    string
	Attempts  int
	LastError string
	CreatedAt time.Time
	SentAt    *time.Time
	// Due is when a pending record waiting for a retry is tried next, and when a dead
	// record died; zero for a record the stream has not handed over yet.
	Due time.Time
}

// Keys of PRODUCT.md §5, so a cause writes its mail at most once.
func ActivationKey(identifierKey string) string { return "activation#" + identifierKey }
func NotifyKey(company, number string) string   { return "notify#" + company + "#" + number }
func DigestKey(company, date string) string     { return "digest#" + company + "#" + date }
func RecoveryKey(random string) string          { return "recovery#" + random }
func PasswordChangedKey(identifierKey string, at time.Time) string {
	return "pwchanged#" + identifierKey + "#" + at.UTC().Format(time.RFC3339Nano)
}

// Retention of settled records.
const Retention = 90 * 24 * time.Hour

// RetryDelays are the waits after each failed attempt that was not a refusal to send
// more (PRODUCT.md §10): 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 12 h, 32 h 36 min in all,
// so a mail is declared dead at its eighth failure, more than 24 h after the first.
var RetryDelays = []time.Duration{
	time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 12 * time.Hour,
}

// MaxAttempts is how many failed attempts make a mail dead.
var MaxAttempts = len(RetryDelays) + 1

// RetryAfter returns the wait after a record's attempts-th failure, or false when that
// failure was its last and the record is dead.
func RetryAfter(attempts int) (time.Duration, bool) {
	if attempts < 1 || attempts > len(RetryDelays) {
		return 0, false
	}
	return RetryDelays[attempts-1], true
}

// ThrottleDelay is how much later a mail SES refused to take now (throttling, quota,
// sending paused) is tried again; such a refusal is not an attempt (PRODUCT.md §10).
const ThrottleDelay = time.Minute

// DueShards is how many partitions the due and dead indexes spread over, so no one key
// takes every write of a busy space.
const DueShards = 16

// Shard returns the due-index shard of a record key, in [0, DueShards).
func Shard(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % DueShards)
}
