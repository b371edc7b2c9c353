package runner

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/principals"
	"github.com/efacture/efacture/shared/domain/spaces"
)

// BillingSession is the session name of the runner's billing drops.
const BillingSession = "efacture-runner"

// billing holds, by space, the session of the billing principal the runner plays.
type billing struct {
	mu       sync.Mutex
	sessions map[string]localaws.Session
}

// ApplySpaces applies a spaces file as the spaces command does, after creating, in the
// emulator's IAM, each billing role it names, tagged with its space as ops would tag
// it. The runner then drops files for each confined space as that space's first
// billing principal (Billing).
func (r *Runner) ApplySpaces(ctx context.Context, path string) ([]spaces.Space, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	file, err := spaces.Parse(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, sp := range file.Spaces {
		for _, arn := range sp.BillingPrincipals {
			if err := r.AWS.EnsureBillingRole(ctx, sp.ID, arn); err != nil {
				return nil, err
			}
		}
	}
	st := app.Store(r.Env, r.clients, app.Options{Now: r.opts.Now, Log: r.functionLogger("spaces")})
	applied, err := app.ApplySpacesWith(ctx, st, principals.New(r.AWS.IAM()), path)
	if err != nil {
		return nil, err
	}
	r.billing.mu.Lock()
	defer r.billing.mu.Unlock()
	if r.billing.sessions == nil {
		r.billing.sessions = map[string]localaws.Session{}
	}
	for _, sp := range applied {
		delete(r.billing.sessions, sp.ID)
		if !sp.Confined() {
			continue
		}
		s, err := r.AWS.Assume(ctx, sp.BillingPrincipals[0], BillingSession)
		if err != nil {
			return nil, err
		}
		r.billing.sessions[sp.ID] = s
	}
	return applied, nil
}

// Billing is the session the runner drops space's files with: a session of its first
// billing principal, so S3 events name that principal, or none (ok false) for a space
// that names no principal, whose files the runner drops with the stack's own key.
func (r *Runner) Billing(space string) (s localaws.Session, ok bool) {
	r.billing.mu.Lock()
	defer r.billing.mu.Unlock()
	s, ok = r.billing.sessions[space]
	return s, ok
}

// billingS3 is the S3 client that drops key as its space's billing.
func (r *Runner) billingS3(key string) *s3.Client {
	space, _, _ := strings.Cut(strings.TrimPrefix(key, "inbox/"), "/")
	if s, ok := r.Billing(space); ok {
		return s.S3
	}
	return r.AWS.S3
}
