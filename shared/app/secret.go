package app

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/efacture/efacture/shared/aws/secrets"
	"github.com/efacture/efacture/shared/domain/signing"
)

// secretTimeout bounds one read of the signing secret.
const secretTimeout = 10 * time.Second

// pendingKey is the signing secret being read from Secrets Manager: the read starts at
// init and runs beside the rest of the cold start; requests wait for it. A failed read
// is started again by the next request that waits, so one bad moment at init does not
// leave the container failing until Lambda retires it.
type pendingKey struct {
	read func(context.Context) (*signing.Key, error)

	mu  sync.Mutex
	cur *keyRead // the latest read
}

// keyRead is one read; key and err are set before done is closed.
type keyRead struct {
	done chan struct{}
	key  *signing.Key
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
func (p *pendingKey) start() {
	r := &keyRead{done: make(chan struct{})}
	p.cur = r
	go func() {
		// Not a request's context: a request giving up must not spoil the read.
		ctx, cancel := context.WithTimeout(context.Background(), secretTimeout)
		defer cancel()
		r.key, r.err = p.read(ctx)
		close(r.done)
	}()
}

// Key waits for the latest read and returns its key, or its error (the first caller to
// see it starts another read for later requests), or ctx's.
func (p *pendingKey) Key(ctx context.Context) (*signing.Key, error) {
	p.mu.Lock()
	r := p.cur
	p.mu.Unlock()
	select {
	case <-r.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.err != nil {
		p.mu.Lock()
		if p.cur == r {
			p.start()
		}
		p.mu.Unlock()
		return nil, r.err
	}
	return r.key, nil
}
