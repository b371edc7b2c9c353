// Package ratelimit holds the throttling rules of PRODUCT.md §6: counters per client address,
// e-mail address or token over fixed windows, and the lock schedule of accounts after
// consecutive failed logins. Every threshold is in Limits, so tests set their own.
package ratelimit

import (
	"context"
	"strconv"
	"time"
)

// Limit allows Max events per Window. Max ≤ 0 disables the limit.
type Limit struct {
	Max    int
	Window time.Duration
}

// Limits are every threshold of PRODUCT.md §6.
type Limits struct {
	LoginFailuresPerClient Limit // failed logins per client address, known or unknown identifiers alike
	RecoveryPerAddress     Limit // recovery requests per e-mail address
	RecoveryPerClient      Limit // recovery requests per client address
	LinkUsesPerToken       Limit // no-login link uses per token

	LockAfter int           // consecutive failures that lock an account
	LockFirst time.Duration // the first lock; each further failure doubles it
	LockMax   time.Duration // the longest lock
}

// Default returns PRODUCT.md §6's thresholds.
func Default() Limits {
	return Limits{
		LoginFailuresPerClient: Limit{Max: 100, Window: 10 * time.Minute},
		RecoveryPerAddress:     Limit{Max: 5, Window: time.Hour},
		RecoveryPerClient:      Limit{Max: 20, Window: time.Hour},
		LinkUsesPerToken:       Limit{Max: 20, Window: time.Hour},
		LockAfter:              5,
		LockFirst:              time.Minute,
		LockMax:                15 * time.Minute,
	}
}

// LockFor is how long an account stays locked after its failures-th consecutive failed
// login: nothing below LockAfter, then LockFirst, doubling with each further failure up to
// LockMax.
func (l Limits) LockFor(failures int) time.Duration {
	if l.LockAfter <= 0 || failures < l.LockAfter {
		return 0
	}
	d := l.LockFirst
	for i := l.LockAfter; i < failures && d < l.LockMax; i++ {
		d *= 2
	}
	return min(d, l.LockMax)
}

// Scopes of counters.
const (
	ScopeLoginClient     = "login-client"
	ScopeRecoveryAddress = "recovery-address"
	ScopeRecoveryClient  = "recovery-client"
	ScopeLink            = "link"
)

// Counter keeps counts that vanish after a while. Each change is one atomic write, so
// every container counting at once agrees.
type Counter interface {
	// AddCount adds one to the count under key, kept at least until expires, and returns
	// the new count.
	AddCount(ctx context.Context, key string, expires time.Time) (int, error)
	// TakeCount adds one to the count under key, kept at least until expires, unless it
	// already reached max: then it changes nothing and returns false.
	TakeCount(ctx context.Context, key string, max int, expires time.Time) (bool, error)
	// ReturnCount takes one back from a positive count under key; a missing or zero count
	// stays as it is.
	ReturnCount(ctx context.Context, key string) error
}

// Limiter counts events in fixed windows: a window starts at a multiple of its length
// since the Unix epoch, so every container agrees on it without coordination. A burst
// astride two windows may reach twice the limit, which these limits tolerate.
type Limiter struct {
	Counter Counter
	Now     func() time.Time
}

// window returns the counter key of the window holding now, and when that window ends.
func window(scope, key string, l Limit, now time.Time) (string, time.Time) {
	secs := int64(l.Window / time.Second)
	if secs < 1 {
		secs = 1
	}
	start := now.Unix() / secs * secs
	return scope + "#" + key + "#" + strconv.FormatInt(start, 10), time.Unix(start+secs, 0).UTC()
}

// Hit counts one event and reports whether it is within the limit.
func (lm Limiter) Hit(ctx context.Context, scope, key string, l Limit) (bool, error) {
	if l.Max <= 0 {
		return true, nil
	}
	k, end := window(scope, key, l, lm.Now())
	n, err := lm.Counter.AddCount(ctx, k, end)
	if err != nil {
		return false, err
	}
	return n <= l.Max, nil
}

// Take counts one event before it is judged, unless the window's events already reached
// the limit: then it counts nothing and returns false. Counting first is what makes the
// limit hold for parallel requests, each of which sees the others' counts. slot names
// what was counted, for Return; it is "" when nothing was.
func (lm Limiter) Take(ctx context.Context, scope, key string, l Limit) (slot string, ok bool, err error) {
	if l.Max <= 0 {
		return "", true, nil
	}
	k, end := window(scope, key, l, lm.Now())
	ok, err = lm.Counter.TakeCount(ctx, k, l.Max, end)
	if err != nil || !ok {
		return "", ok, err
	}
	return k, true, nil
}

// Return takes back an event Take counted that turned out not to count (a successful
// login, where the limit counts failures).
func (lm Limiter) Return(ctx context.Context, slot string) error {
	if slot == "" {
		return nil
	}
	return lm.Counter.ReturnCount(ctx, slot)
}
