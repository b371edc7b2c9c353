package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/efacture/efacture/shared/aws/secrets"
	"github.com/efacture/efacture/shared/domain/signing"
)

// secretTimeout bounds one read of a secret.
const secretTimeout = 10 * time.Second

// pending is a key being read from Secrets Manager, once per container: the signing key
// starts its read at init, beside the rest of the cold start; the mail-token key at its
// first use. Requests wait for the read. A failed read is started again by the next
// request that waits, so one bad moment does not leave the container failing until
// Lambda retires it.
type pending[K any] struct {
	read func(context.Context) (K, error)

	mu  sync.Mutex
	cur *keyRead[K] // the latest read; nil before the first
}

// pendingKey is the signing key's read.
type pendingKey = pending[*signing.Key]

// keyRead is one read; key and err are set before done is closed.
type keyRead[K any] struct {
	done chan struct{}
	key  K
	err  error
}

// startSigningKey checks the configuration and starts reading the deployment's signing
// secret (SIGNING_SECRET_ARN).
func startSigningKey(env Env, c Clients) (*pendingKey, error) {
	if env.SigningSecretARN == "" {
		return nil, errors.New("missing environment: SIGNING_SECRET_ARN")
	}
	if c.Secrets == nil {
		return nil, errors.New("no Secrets Manager client")
	}
	p := &pendingKey{read: func(ctx context.Context) (*signing.Key, error) {
		return secrets.SigningKey(ctx, c.Secrets, env.SigningSecretARN)
	}}
	p.mu.Lock()
	p.start()
	p.mu.Unlock()
	return p, nil
}

// start begins a read; p.mu is held.
func (p *pending[K]) start() {
	r := &keyRead[K]{done: make(chan struct{})}
	p.cur = r
	go func() {
		// Not a request's context: a request giving up must not spoil the read.
		ctx, cancel := context.WithTimeout(context.Background(), secretTimeout)
		defer cancel()
		r.key, r.err = p.read(ctx)
		close(r.done)
	}()
}

// Key waits for the latest read (starting the first if none began) and returns its key,
// or its error (the first caller to see it starts another read for later requests), or
// ctx's.
func (p *pending[K]) Key(ctx context.Context) (K, error) {
	var none K
	p.mu.Lock()
	if p.cur == nil {
		p.start()
	}
	r := p.cur
	p.mu.Unlock()
	select {
	case <-r.done:
	case <-ctx.Done():
		return none, ctx.Err()
	}
	if r.err != nil {
		p.mu.Lock()
		if p.cur == r {
			p.start()
		}
		p.mu.Unlock()
		return none, r.err
	}
	return r.key, nil
}
