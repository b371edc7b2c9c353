package app

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/service/delivery"
	"github.com/efacture/efacture/shared/service/exports"
	"github.com/efacture/efacture/shared/service/ingest"
)

// Options are what differs between Lambda, the local runner and tests.
type Options struct {
	// inLambda is set by Start: in Lambda the role's IAM policy refuses what
	// dynamo.Confine would, so the store goes without it there.
	inLambda bool
	// Now is the clock of the functions' business: expiries, due times of mail retries.
	Now func() time.Time
	Log *slog.Logger
	// Sleep waits for the mailers' next send slot, counted on the wall clock as SES
	// counts (PRODUCT.md §10); time.Sleep by default.
	Sleep func(time.Duration)
	// Limits are the throttling thresholds; nil means PRODUCT.md §6's (ratelimit.Default).
	Limits *ratelimit.Limits
	// ExportLimits bound exports; nil means PRODUCT.md §7's (exports.DefaultLimits).
	ExportLimits *exports.Limits
	// Hasher wraps the password hasher (argon2id with password.Default), so tests can
	// count what each password check costs; nil keeps it as it is.
	Hasher func(accounts.Hasher) accounts.Hasher
	// ReadFacturX reads an inbox PDF's Factur-X XML, which the ingest function needs. It
	// is passed in so that only the ingest binary links the PDF library.
	ReadFacturX ingest.FacturXReader

	// The hooks below, when set, receive what a constructor built before it becomes the
	// Lambda handler, for tests and the soak: they serve requests without API Gateway
	// events, or swap a service's adapters for failing ones.

	// HTTP receives an API function's routes as an http.Handler, behind the CloudFront
	// check.
	HTTP func(http.Handler)
	// Ingest, Delivery and Exports receive the service of the ingest, mailer and
	// exports functions.
	Ingest   func(*ingest.Service)
	Delivery func(*delivery.Service)
	Exports  func(*exports.Service)
}

func (o Options) withDefaults(env Env) Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = Logger()
	}
	if o.Sleep == nil {
		o.Sleep = time.Sleep
	}
	return o
}

func tables(env Env) dynamo.Tables {
	return dynamo.Tables{Main: env.MainTable, Documents: env.DocumentsTable, Outbox: env.OutboxTable}
}

// store is the function's DynamoDB store. Outside Lambda (the runner, the tests) it is
// confined to what the function's role grants (dynamo.Access), so a call the role would
// refuse fails there as IAM refuses it in AWS; in Lambda, IAM itself does, and requests
// skip the check.
func store(function string, env Env, c Clients, o Options) *dynamo.Store {
	if o.inLambda {
		return dynamo.New(c.DynamoDB, tables(env), o.Now)
	}
	return dynamo.New(dynamo.Confine(function, c.DynamoDB, tables(env)), tables(env), o.Now)
}
