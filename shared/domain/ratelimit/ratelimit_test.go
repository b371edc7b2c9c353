package ratelimit

import (
	"context"
	"testing"
	"time"
)

func TestLockFor(t *testing.T) {
	l := Default()
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{0, 0}, {1, 0}, {4, 0},
		{5, time.Minute},
		{6, 2 * time.Minute},
		{7, 4 * time.Minute},
		{8, 8 * time.Minute},
		{9, 15 * time.Minute},
		{10, 15 * time.Minute},
		{1000, 15 * time.Minute},
	}
	for _, tt := range tests {
		if got := l.LockFor(tt.failures); got != tt.want {
			t.Errorf("LockFor(%d): got %v, want %v", tt.failures, got, tt.want)
		}
	}
	off := l
	off.LockAfter = 0
	if got := off.LockFor(50); got != 0 {
		t.Errorf("disabled lock: got %v, want 0", got)
	}
	custom := Limits{LockAfter: 2, LockFirst: 10 * time.Second, LockMax: 30 * time.Second}
	for failures, want := range map[int]time.Duration{1: 0, 2: 10 * time.Second, 3: 20 * time.Second, 4: 30 * time.Second} {
		if got := custom.LockFor(failures); got != want {
			t.Errorf("custom LockFor(%d): got %v, want %v", failures, got, want)
		}
	}
}

// fakeCounter keeps counts in memory and remembers the expiry asked for each key.
type fakeCounter struct {
	counts  map[string]int
	expires map[string]time.Time
}

func (c *fakeCounter) AddCount(_ context.Context, key string, expires time.Time) (int, error) {
	c.counts[key]++
	c.expires[key] = expires
	return c.counts[key], nil
}

func (c *fakeCounter) TakeCount(_ context.Context, key string, max int, expires time.Time) (bool, error) {
	if c.counts[key] >= max {
		return false, nil
	}
	c.counts[key]++
	c.expires[key] = expires
	return true, nil
}

func (c *fakeCounter) ReturnCount(_ context.Context, key string) error {
	if c.counts[key] > 0 {
		c.counts[key]--
	}
	return nil
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 3, 0, 0, time.UTC)
	c := &fakeCounter{counts: map[string]int{}, expires: map[string]time.Time{}}
	lm := Limiter{Counter: c, Now: func() time.Time { return now }}
	ctx := context.Background()
	limit := Limit{Max: 3, Window: 10 * time.Minute}

	for i := 1; i <= 4; i++ {
		ok, err := lm.Hit(ctx, ScopeRecoveryClient, "192.0.2.1", limit)
		if err != nil {
			t.Fatal(err)
		}
		if want := i <= 3; ok != want {
			t.Errorf("hit %d: got allowed %v, want %v", i, ok, want)
		}
	}
	key := ScopeRecoveryClient + "#192.0.2.1#" + "1795687200" // 10:00 UTC, the window's start
	if c.counts[key] != 4 {
		t.Fatalf("got counts %v, want 4 under %s", c.counts, key)
	}
	if want := time.Date(2026, 11, 26, 10, 10, 0, 0, time.UTC); !c.expires[key].Equal(want) {
		t.Errorf("got expiry %v, want the window's end %v", c.expires[key], want)
	}
	if ok, _ := lm.Hit(ctx, ScopeRecoveryClient, "192.0.2.2", limit); !ok {
		t.Error("another client shares the first one's count")
	}

	now = now.Add(7 * time.Minute) // 10:10, a new window
	if ok, _ := lm.Hit(ctx, ScopeRecoveryClient, "192.0.2.1", limit); !ok {
		t.Error("the next window still refuses")
	}
}

func TestTakeAndReturn(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	c := &fakeCounter{counts: map[string]int{}, expires: map[string]time.Time{}}
	lm := Limiter{Counter: c, Now: func() time.Time { return now }}
	ctx := context.Background()
	limit := Limit{Max: 2, Window: time.Minute}
	var slots []string
	for i := 0; i < 2; i++ {
		slot, ok, err := lm.Take(ctx, ScopeLoginClient, "ip", limit)
		if err != nil || !ok || slot == "" {
			t.Fatalf("take %d: got %q %v %v, want a slot", i, slot, ok, err)
		}
		slots = append(slots, slot)
	}
	if slot, ok, _ := lm.Take(ctx, ScopeLoginClient, "ip", limit); ok || slot != "" {
		t.Fatalf("third take: got %q %v, want refused", slot, ok)
	}
	if got := c.counts[slots[0]]; got != 2 {
		t.Errorf("a refused take counted: got %d, want 2", got)
	}
	if err := lm.Return(ctx, slots[1]); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := lm.Take(ctx, ScopeLoginClient, "ip", limit); !ok {
		t.Error("a returned slot was not free again")
	}
	if err := lm.Return(ctx, ""); err != nil {
		t.Errorf("returning nothing: %v", err)
	}

	unlimited := Limit{}
	for i := 0; i < 5; i++ {
		if ok, _ := lm.Hit(ctx, ScopeLink, "t", unlimited); !ok {
			t.Fatal("a disabled limit refused")
		}
		if slot, ok, _ := lm.Take(ctx, ScopeLoginClient, "other", unlimited); !ok || slot != "" {
			t.Fatal("a disabled limit refused or counted")
		}
	}
	if len(c.counts) != 1 {
		t.Errorf("a disabled limit wrote counters: %v", c.counts)
	}
}
