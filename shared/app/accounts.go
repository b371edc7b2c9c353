package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/signing"
	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/httpapi"
)

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

// SessionMiddleware is the middleware that resolves the session cookie to the signed-in
// caller (httpapi.CallerFrom), for every API function whose routes need one.
func SessionMiddleware(env Env, c Clients, o Options) *httpapi.Sessions {
	o = o.withDefaults(env)
	st := store(env, c, o)
	return httpapi.NewSessions(accountsService(st, o), st, o.Log)
}

// SigningKey reads the deployment's signing secret (SIGNING_SECRET_ARN) from Secrets
// Manager; functions call it once, at cold start.
func SigningKey(ctx context.Context, env Env, c Clients) (*signing.Key, error) {
	if env.SigningSecretARN == "" {
		return nil, errors.New("missing environment: SIGNING_SECRET_ARN")
	}
	if c.Secrets == nil {
		return nil, errors.New("no Secrets Manager client")
	}
	out, err := c.Secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(env.SigningSecretARN)})
	if err != nil {
		return nil, fmt.Errorf("read signing secret: %w", err)
	}
	key, err := signing.NewKey([]byte(aws.ToString(out.SecretString)))
	if err != nil {
		return nil, fmt.Errorf("signing secret: %w", err)
	}
	return key, nil
}

// AdminHTTP is the admin function's routes as an http.Handler. It reads the signing
// secret, so it fails when Secrets Manager does.
func AdminHTTP(env Env, c Clients, o Options) (http.Handler, error) {
	o = o.withDefaults(env)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key, err := SigningKey(ctx, env, c)
	if err != nil {
		return nil, err
	}
	st := store(env, c, o)
	svc := accountsService(st, o)
	return httpapi.NewAdmin(httpapi.AdminDeps{
		Accounts: svc, Sessions: httpapi.NewSessions(svc, st, o.Log), Cursors: key,
		PortalBaseURL: env.PortalBaseURL, Log: o.Log, Now: o.Now,
	}), nil
}

// Admin is the admin function's Lambda handler.
func Admin(env Env, c Clients, o Options) (HTTPHandler, error) {
	h, err := AdminHTTP(env, c, o)
	if err != nil {
		return nil, err
	}
	return apigw.Handler(h), nil
}
