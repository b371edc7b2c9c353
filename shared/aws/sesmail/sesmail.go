// Package sesmail sends raw MIME messages through SES v2.
package sesmail

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/efacture/efacture/shared/domain/fault"
)

// Client is the part of the SES v2 client used here.
type Client interface {
	SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
	GetAccount(context.Context, *sesv2.GetAccountInput, ...func(*sesv2.Options)) (*sesv2.GetAccountOutput, error)
}

// Sender sends from the platform address with the deployment's configuration set, so
// bounce and complaint events reach the mail-events function.
type Sender struct {
	client           Client
	from             string
	configurationSet string
	retryer          aws.Retryer
}

// New returns a sender; configurationSet may be empty locally.
func New(client Client, from, configurationSet string) *Sender {
	// The SDK's own retries would resend a refused mail within the same second and
	// spend the send rate; the mailer reschedules refusals itself (PRODUCT.md §10).
	retryer := retry.NewStandard(func(o *retry.StandardOptions) {
		o.Retryables = append([]retry.IsErrorRetryable{retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if Throttled(err) {
				return aws.FalseTernary
			}
			return aws.UnknownTernary
		})}, o.Retryables...)
	})
	return &Sender{client: client, from: from, configurationSet: configurationSet, retryer: retryer}
}

// Send sends one raw message to one recipient. SES refusing to take more mail now
// (throttling, quota, sending paused) comes back as a fault.CodeTooMany error, which is
// not the mail's fault; any other failure is returned as it is.
func (s *Sender) Send(ctx context.Context, to string, raw []byte) error {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: &s.from,
		Destination:      &types.Destination{ToAddresses: []string{to}},
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
	}
	if s.configurationSet != "" {
		in.ConfigurationSetName = &s.configurationSet
	}
	_, err := s.client.SendEmail(ctx, in, func(o *sesv2.Options) { o.Retryer = s.retryer })
	if err == nil {
		return nil
	}
	if Throttled(err) {
		return &fault.Error{Code: fault.CodeTooMany, Op: "ses send", Detail: "SES refused to send more now", Cause: err}
	}
	return fmt.Errorf("ses send: %w", err)
}

// MaxSendRate returns the account's sending quota in mails per second (GetAccount).
func (s *Sender) MaxSendRate(ctx context.Context) (float64, error) {
	out, err := s.client.GetAccount(ctx, &sesv2.GetAccountInput{})
	if err != nil {
		return 0, fmt.Errorf("ses account: %w", err)
	}
	if out.SendQuota == nil {
		return 0, errors.New("ses account: no send quota")
	}
	return out.SendQuota.MaxSendRate, nil
}

// throttleCodes are the SES v2 answers that refuse more mail now rather than this mail:
// the send rate or daily quota is used up, or sending is paused for the account or the
// configuration set.
var throttleCodes = map[string]bool{
	"TooManyRequestsException": true,
	"LimitExceededException":   true,
	"SendingPausedException":   true,
	"ThrottlingException":      true,
	"Throttling":               true,
}

// Throttled reports whether err is SES refusing to send more now.
func Throttled(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) && throttleCodes[api.ErrorCode()] {
		return true
	}
	var resp *smithyhttp.ResponseError
	return errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusTooManyRequests
}
