package outbox

import (
	"testing"
	"time"
)

// TestRetrySchedule: retries span at least 24 h before a mail is dead (PRODUCT.md §10).
func TestRetrySchedule(t *testing.T) {
	want := []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 12 * time.Hour}
	var total time.Duration
	for i, w := range want {
		got, ok := RetryAfter(i + 1)
		if !ok || got != w {
			t.Errorf("RetryAfter(%d): got %v %v, want %v", i+1, got, ok, w)
		}
		total += got
	}
	if _, ok := RetryAfter(MaxAttempts); ok || MaxAttempts != 8 {
		t.Errorf("attempt %d: want the last, dead", MaxAttempts)
	}
	if _, ok := RetryAfter(0); ok {
		t.Error("RetryAfter(0): want no retry of an attempt never made")
	}
	if total < 24*time.Hour {
		t.Errorf("retries span %v, want at least 24 h", total)
	}
}

func TestShardSpreads(t *testing.T) {
	seen := map[int]int{}
	for i := range 1600 {
		n := Shard(NotifyKey("acme#C"+string(rune('A'+i%26)), time.Unix(int64(i), 0).String()))
		if n < 0 || n >= DueShards {
			t.Fatalf("shard %d out of range", n)
		}
		seen[n]++
	}
	for n := range DueShards {
		if seen[n] < 50 {
			t.Errorf("shard %d holds %d of 1600 keys, want about 100", n, seen[n])
		}
	}
}
