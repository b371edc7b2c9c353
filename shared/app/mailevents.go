package app

import (
	"context"
	"errors"

	"github.com/aws/aws-lambda-go/events"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/service/mailevents"
)

// MailEvents is the mail-events function's handler: SES bounce and complaint events,
// through SNS, mark the customer's mail status for ops.
func MailEvents(env Env, c Clients, o Options) func(context.Context, events.SNSEvent) error {
	o = o.withDefaults(env)
	st := store(env, c, o)
	return func(ctx context.Context, ev events.SNSEvent) error {
		for _, r := range ev.Records {
			out, ok, err := mailevents.Parse(r.SNS.Message)
			if err != nil {
				o.Log.ErrorContext(ctx, "unreadable SES event", "messageId", r.SNS.MessageID, "error", err.Error())
				continue // retrying cannot make it readable
			}
			if !ok {
				continue
			}
			err = st.SetMailStatus(ctx, out.Company, out.Status, o.Now())
			if errors.Is(err, fault.ErrNotFound) {
				o.Log.WarnContext(ctx, "mail event for unknown customer", "company", out.Company)
				continue
			}
			if err != nil {
				return err
			}
			o.Log.WarnContext(ctx, "customer mail status changed", "company", out.Company, "status", out.Status)
		}
		return nil
	}
}
