package app

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/efacture/efacture/shared/domain/signing"
)

// TestPendingKeyConcurrentWaiters: requests arriving together during the read all wait
// for the one read and get its key; a failed read fails the waiting request and the
// next one reads again.
func TestPendingKeyConcurrentWaiters(t *testing.T) {
	want, err := signing.NewKey([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var reads atomic.Int32
	fail := true
	p := &pendingKey{read: func(ctx context.Context) (*signing.Key, error) {
		n := reads.Add(1)
		if n == 1 {
			<-release
			if fail {
				return nil, errors.New("secrets manager unreachable")
			}
		}
		return want, nil
	}}
	p.mu.Lock()
	p.start()
	p.mu.Unlock()

	const waiters = 16
	var wg sync.WaitGroup
	errs := make([]error, waiters)
	keys := make([]*signing.Key, waiters)
	for i := range waiters {
		wg.Go(func() { keys[i], errs[i] = p.Key(context.Background()) })
	}
	close(release)
	wg.Wait()
	// A waiter that came before the read ended gets its error; one that came after the
	// retry started gets the retry's key. Either way the failure is retried once, not
	// once per waiter.
	failed := 0
	for i, err := range errs {
		switch {
		case err != nil && err.Error() == "secrets manager unreachable":
			failed++
		case err == nil && keys[i] == want:
		default:
			t.Errorf("waiter %d: got %v, %v", i, keys[i], err)
		}
	}
	if failed == 0 || reads.Load() != 2 {
		t.Fatalf("first read failing: %d of %d waiters failed, %d reads; want some, and 2 reads", failed, waiters, reads.Load())
	}
	// The failure started a second read, which succeeds, for every later request.
	for i := range waiters {
		wg.Go(func() {
			got, err := p.Key(context.Background())
			if err != nil || got != want {
				errs[i] = errors.Join(err, errors.New("wrong key"))
			} else {
				errs[i] = nil
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Errorf("after the retry: %v", err)
		}
	}
	if reads.Load() != 2 {
		t.Errorf("got %d reads, want 2 (one failed, one retried)", reads.Load())
	}
}
