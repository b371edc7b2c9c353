package sessions

import (
	"errors"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/tokens"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func TestNew(t *testing.T) {
	id, s := New("pierre.durand_1", "acme", "C002", 4, t0, DefaultPolicy)
	if !Valid(id) {
		t.Fatalf("id %q is not well formed", id)
	}
	if s.Hash != tokens.Hash(id) || s.Hash == id {
		t.Errorf("got hash %q, want the SHA-256 of the id", s.Hash)
	}
	if s.Identifier != "pierre.durand_1" || s.Space != "acme" || s.CustomerNumber != "C002" || s.Epoch != 4 {
		t.Errorf("got %+v", s)
	}
	if !s.CreatedAt.Equal(t0) || !s.LastSeenAt.Equal(t0) {
		t.Errorf("got created %v last seen %v, want %v", s.CreatedAt, s.LastSeenAt, t0)
	}
	if want := t0.Add(12 * time.Hour); !s.ExpiresAt.Equal(want) {
		t.Errorf("got expiry %v, want %v", s.ExpiresAt, want)
	}
	id2, _ := New("pierre.durand_1", "acme", "C002", 4, t0, DefaultPolicy)
	if id2 == id {
		t.Error("two sessions got the same id")
	}
}

func TestRenew(t *testing.T) {
	id, s := New("alice", "acme", "C010", 1, t0, DefaultPolicy)
	later := t0.Add(3 * time.Hour)
	id2, r := s.Renew(2, later)
	if id2 == id || r.Hash == s.Hash || r.Hash != tokens.Hash(id2) {
		t.Errorf("renewed session kept its id or hash")
	}
	if r.Epoch != 2 || !r.LastSeenAt.Equal(later) {
		t.Errorf("got epoch %d last seen %v, want 2 and %v", r.Epoch, r.LastSeenAt, later)
	}
	if !r.CreatedAt.Equal(s.CreatedAt) || !r.ExpiresAt.Equal(s.ExpiresAt) {
		t.Errorf("got created %v expires %v, want the original %v and %v", r.CreatedAt, r.ExpiresAt, s.CreatedAt, s.ExpiresAt)
	}
	if r.Identifier != "alice" || r.Space != "acme" || r.CustomerNumber != "C010" {
		t.Errorf("renewal changed the owner: %+v", r)
	}
}

func TestCheck(t *testing.T) {
	p := DefaultPolicy
	s := Session{Epoch: 2, CreatedAt: t0, LastSeenAt: t0, ExpiresAt: t0.Add(p.Absolute)}
	tests := []struct {
		name     string
		lastSeen time.Duration // after t0
		at       time.Duration // after t0
		active   bool
		epoch    int64
		want     error
	}{
		{"fresh", 0, time.Second, true, 2, nil},
		{"idle 29 min", 0, 29 * time.Minute, true, 2, nil},
		{"idle exactly 30 min", 0, 30 * time.Minute, true, 2, ErrIdle},
		{"idle 31 min", 0, 31 * time.Minute, true, 2, ErrIdle},
		{"recently seen late in the day", 11*time.Hour + 50*time.Minute, 11*time.Hour + 59*time.Minute, true, 2, nil},
		{"12 h reached though active", 11*time.Hour + 55*time.Minute, 12 * time.Hour, true, 2, ErrTooOld},
		{"account deactivated", 0, time.Minute, false, 2, ErrRevoked},
		{"epoch moved on", 0, time.Minute, true, 3, ErrRevoked},
		{"older epoch", 0, time.Minute, true, 1, ErrRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := s
			s.LastSeenAt = t0.Add(tt.lastSeen)
			got := s.Check(p, t0.Add(tt.at), tt.active, tt.epoch)
			if !errors.Is(got, tt.want) || (tt.want == nil && got != nil) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNeedsTouch(t *testing.T) {
	s := Session{CreatedAt: t0, LastSeenAt: t0}
	for _, tt := range []struct {
		after time.Duration
		want  bool
	}{
		{0, false}, {59 * time.Second, false}, {time.Minute, true}, {10 * time.Minute, true},
	} {
		if got := s.NeedsTouch(DefaultPolicy, t0.Add(tt.after)); got != tt.want {
			t.Errorf("after %v: got %v, want %v", tt.after, got, tt.want)
		}
	}
}
