package app

import (
	"context"
	"errors"
	"net/http"

	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/aws/objects"
	"github.com/efacture/efacture/shared/aws/queue"
	"github.com/efacture/efacture/shared/aws/secrets"
	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/signing"
	"github.com/efacture/efacture/shared/domain/tokens"
	"github.com/efacture/efacture/shared/service/listing"
	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/httpapi"
)

// AuthFunction is the auth function: health, spaces, sign-in, recovery and profile.
func AuthFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	st := store("AuthFunction", env, c, o)
	svc := accountsService(st, o)
	svc.MailKey = lazyMailKey(env, c)
	return api(env, o, httpapi.NewAuth(httpapi.AuthDeps{
		Store: st, Accounts: svc, Sessions: httpapi.NewSessions(svc, st, o.Log), Spaces: st,
		PortalBaseURL: env.PortalBaseURL, Log: o.Log, Now: o.Now,
	}))
}

// AdminFunction is the admin function: a company's users and audit log. It starts
// reading the signing secret and serves requests once it is read (withKey).
func AdminFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	pending, err := startSigningKey(env, c)
	if err != nil {
		return nil, err
	}
	st := store("AdminFunction", env, c, o)
	svc := accountsService(st, o)
	return api(env, o, withKey(pending, o, func(key *signing.Key) http.Handler {
		return httpapi.NewAdmin(httpapi.AdminDeps{
			Accounts: svc, Sessions: httpapi.NewSessions(svc, st, o.Log), Cursors: key,
			PortalBaseURL: env.PortalBaseURL, Log: o.Log, Now: o.Now,
		})
	}))
}

// DocumentsFunction is the documents function: listing, downloads, no-login links and
// export requests. It starts reading the signing secret and serves requests once it is
// read (withKey); it needs EXPORTS_QUEUE_URL.
func DocumentsFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	if env.ExportsQueueURL == "" {
		return nil, errors.New("missing environment: EXPORTS_QUEUE_URL")
	}
	if c.SQS == nil {
		return nil, errors.New("no SQS client")
	}
	pending, err := startSigningKey(env, c)
	if err != nil {
		return nil, err
	}
	st := store("DocumentsFunction", env, c, o)
	limits := ratelimit.Default()
	if o.Limits != nil {
		limits = *o.Limits
	}
	presign := objects.NewPresigner(c.S3, env.ArchiveBucket)
	exp := exportsService(env, c, o, st, presign)
	exp.Queue = queue.NewExports(c.SQS, env.ExportsQueueURL)
	return api(env, o, withKey(pending, o, func(key *signing.Key) http.Handler {
		docs := &listing.Service{
			Store: st, Audit: st, Spaces: st, Presigner: presign, Cursors: key,
			Limiter: ratelimit.Limiter{Counter: st, Now: o.Now}, LinkUses: limits.LinkUsesPerToken,
			Now: o.Now, Log: o.Log,
		}
		return httpapi.NewDocuments(httpapi.DocumentsDeps{
			Sessions: httpapi.NewSessions(accountsService(st, o), st, o.Log), PortalBaseURL: env.PortalBaseURL,
			Documents: docs, Exports: exp, Log: o.Log, Now: o.Now,
		})
	}))
}

// withKey builds routes on the signing key once its read, started at init, is done: the
// Secrets Manager round trip overlaps the rest of the cold start instead of preceding
// the runtime's first /next.
func withKey(pending *pendingKey, o Options, routes func(*signing.Key) http.Handler) http.Handler {
	return httpapi.Deferred(func(ctx context.Context) (http.Handler, error) {
		key, err := pending.Key(ctx)
		if err != nil {
			return nil, err
		}
		return routes(key), nil
	}, o.Log)
}

// ErrNoOriginSecret is why an API function refuses to start without ORIGIN_VERIFY: it
// would otherwise serve anyone who reaches the API directly, past CloudFront.
var ErrNoOriginSecret = errors.New("missing environment: ORIGIN_VERIFY (the secret CloudFront sends as X-Origin-Verify); an API function does not start without it")

// api turns an API function's routes into its Lambda handler, refusing requests that did
// not come through CloudFront (httpapi.FromCloudFront). Without the origin secret it
// fails, so the function's init fails and Lambda serves nothing.
func api(env Env, o Options, routes http.Handler) (any, error) {
	if env.OriginVerify == "" {
		return nil, ErrNoOriginSecret
	}
	h := httpapi.FromCloudFront(env.OriginVerify, env.ClientIPHop, routes)
	if o.HTTP != nil {
		o.HTTP(h)
	}
	return apigw.Handler(h), nil
}

// accountsService is the accounts' behaviour on the DynamoDB store.
func accountsService(st *dynamo.Store, o Options) *accounts.Service {
	limits := ratelimit.Default()
	if o.Limits != nil {
		limits = *o.Limits
	}
	var hasher accounts.Hasher = password.Hasher{Params: password.Default}
	if o.Hasher != nil {
		hasher = o.Hasher(hasher)
	}
	return &accounts.Service{
		Store:    st,
		Limiter:  ratelimit.Limiter{Counter: st, Now: o.Now},
		Limits:   limits,
		Hasher:   hasher,
		Sessions: sessions.DefaultPolicy,
		Now:      o.Now,
		Log:      o.Log,
	}
}

// mailKey reads the mail-token secret (MAIL_TOKEN_SECRET_ARN), once per cold start.
func mailKey(env Env, c Clients) (*tokens.MailKey, error) {
	if env.MailTokenSecretARN == "" {
		return nil, errors.New("missing environment: MAIL_TOKEN_SECRET_ARN")
	}
	if c.Secrets == nil {
		return nil, errors.New("no Secrets Manager client")
	}
	ctx, cancel := context.WithTimeout(context.Background(), secretTimeout)
	defer cancel()
	return secrets.MailKey(ctx, c.Secrets, env.MailTokenSecretARN)
}

// lazyMailKey reads the mail-token secret at its first use and keeps it, as pending
// does. The auth function needs it for recovery requests only, so sign-ins never wait
// for Secrets Manager.
func lazyMailKey(env Env, c Clients) func(context.Context) (*tokens.MailKey, error) {
	return (&pending[*tokens.MailKey]{read: func(context.Context) (*tokens.MailKey, error) {
		return mailKey(env, c)
	}}).Key
}
