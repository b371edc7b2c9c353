// Package sessions holds portal sessions (PRODUCT.md §6): an opaque random id in a cookie, only
// its SHA-256 stored, ending after 30 minutes idle or 12 hours in all, and whenever the
// account's session epoch moves on.
package sessions

import (
	"context"
	"errors"
	"time"

	"github.com/efacture/efacture/shared/domain/tokens"
)

// Errors of session checks; they never reach a client, which sees unauthenticated.
var (
	ErrIdle    = errors.New("session idle for too long")
	ErrTooOld  = errors.New("session past its absolute lifetime")
	ErrRevoked = errors.New("session revoked by its account")
)

// Policy is how long sessions last.
type Policy struct {
	Idle       time.Duration // without a request
	Absolute   time.Duration // since the login
	TouchEvery time.Duration // lastSeenAt is written at most this often, to save writes
}

// DefaultPolicy is PRODUCT.md §6's: 30 minutes idle, 12 hours absolute.
var DefaultPolicy = Policy{Idle: 30 * time.Minute, Absolute: 12 * time.Hour, TouchEvery: time.Minute}

// Session is a signed-in browser. Space and CustomerNumber are the account's, copied at
// login so the session never takes them from a request.
type Session struct {
	Hash           string // SHA-256 of the cookie's id, the only form stored
	Identifier     string
	Space          string
	CustomerNumber string
	Epoch          int64 // the account's sessionEpoch when the session began
	CreatedAt      time.Time
	LastSeenAt     time.Time
	ExpiresAt      time.Time // the absolute end, whatever the use; stores set their TTL to it
}

// New starts a session for an account whose session epoch is epoch. It returns the id
// the cookie carries and the session to store.
func New(identifier, space, customerNumber string, epoch int64, now time.Time, p Policy) (id string, s Session) {
	id, hash := tokens.New()
	now = now.UTC()
	return id, Session{
		Hash: hash, Identifier: identifier, Space: space, CustomerNumber: customerNumber,
		Epoch: epoch, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(p.Absolute),
	}
}

// Renew returns the same session under a new id for session epoch epoch, keeping its
// start and absolute end: changing one's password keeps the caller signed in but never
// extends the session.
func (s Session) Renew(epoch int64, now time.Time) (id string, renewed Session) {
	id, hash := tokens.New()
	s.Hash, s.Epoch, s.LastSeenAt = hash, epoch, now.UTC()
	return id, s
}

// Check reports whether the session is still alive at now for an account that is active
// (or not) with session epoch epoch. It returns ErrTooOld, ErrIdle, ErrRevoked or nil.
func (s Session) Check(p Policy, now time.Time, active bool, epoch int64) error {
	switch {
	case !now.Before(s.ExpiresAt):
		return ErrTooOld
	case now.Sub(s.LastSeenAt) >= p.Idle:
		return ErrIdle
	case !active || epoch != s.Epoch:
		return ErrRevoked
	}
	return nil
}

// NeedsTouch reports whether lastSeenAt is stale enough to be written again at now.
func (s Session) NeedsTouch(p Policy, now time.Time) bool {
	return now.Sub(s.LastSeenAt) >= p.TouchEvery
}

// Store keeps sessions under their hash.
type Store interface {
	// Session returns the session stored under hash, or a fault.ErrNotFound.
	Session(ctx context.Context, hash string) (Session, error)
	// TouchSession records a request at at; a vanished session is not an error.
	TouchSession(ctx context.Context, hash string, at time.Time) error
	// DeleteSession ends a session; a vanished session is not an error.
	DeleteSession(ctx context.Context, hash string) error
}

// Valid reports whether id can be a session id New made.
func Valid(id string) bool { return tokens.WellFormed(id) }
