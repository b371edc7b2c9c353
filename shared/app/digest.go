package app

import (
	"context"
	"encoding/json"

	"github.com/efacture/efacture/shared/service/digest"
)

// DigestService is the digest's service on real adapters.
func DigestService(env Env, c Clients, o Options) *digest.Service {
	o = o.withDefaults(env)
	return &digest.Service{Store: store(env, c, o), Now: o.Now, Log: o.Log}
}

// Digest is the digest function's handler for the hourly schedule; the event's content
// does not matter, only the hour it runs at.
func Digest(svc *digest.Service) func(context.Context, json.RawMessage) error {
	return func(ctx context.Context, _ json.RawMessage) error { return svc.Run(ctx) }
}
