package app

import (
	"errors"
	"net/http"

	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/aws/objects"
	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/password"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/signing"
	"github.com/efacture/efacture/shared/domain/staff"
	"github.com/efacture/efacture/shared/service/console"
	"github.com/efacture/efacture/shared/service/listing"
	"github.com/efacture/efacture/shared/transport/httpapi"
)

// StaffFunction is the supplier console's function (PRODUCT.md §11): staff sign-in,
// set-password links, and the customer-service views of the member's space. It reads
// the signing secret for its cursors (started at init, awaited by the first request) and
// the mail-token secret at its first activation resend.
func StaffFunction(env Env, c Clients, o Options) (any, error) {
	o = o.withDefaults(env)
	pending, err := startSigningKey(env, c)
	if err != nil {
		return nil, err
	}
	if c.S3 == nil {
		return nil, errors.New("no S3 client")
	}
	mail := lazyMailKey(env, c)
	st := store("StaffFunction", env, c, o)
	svc := StaffService(st, o)
	return api(env, o, withKey(pending, o, func(key *signing.Key) http.Handler {
		docs := &listing.Service{Store: st, Audit: st, Spaces: st, Cursors: key, Now: o.Now, Log: o.Log}
		con := &console.Service{
			Store: st, Staff: svc, Listing: docs, Cursors: key, MailKey: mail, Now: o.Now, Log: o.Log,
			Rejections: &objects.Rejections{Client: c.S3, Bucket: env.InboxBucket, MaxListed: 10_000},
		}
		return httpapi.NewStaff(httpapi.StaffDeps{
			Staff: svc, Sessions: httpapi.NewStaffSessions(svc, st, o.Log), Console: con, Cursors: key,
			PortalBaseURL: env.PortalBaseURL, Log: o.Log, Now: o.Now,
		})
	}))
}

// StaffService is staff sign-in on the DynamoDB store, with the customers' thresholds
// and hasher; the ops command creates members through it too.
func StaffService(st *dynamo.Store, o Options) *staff.Service {
	if o.Now == nil || o.Log == nil {
		o = o.withDefaults(Env{})
	}
	limits := ratelimit.Default()
	if o.Limits != nil {
		limits = *o.Limits
	}
	var hasher accounts.Hasher = password.Hasher{Params: password.Default}
	if o.Hasher != nil {
		hasher = o.Hasher(hasher)
	}
	return &staff.Service{
		Store: st, Limiter: ratelimit.Limiter{Counter: st, Now: o.Now}, Limits: limits, Hasher: hasher,
		Sessions: staff.Policy, Now: o.Now, Log: o.Log,
	}
}
