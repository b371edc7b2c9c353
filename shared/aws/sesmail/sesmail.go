// Package sesmail sends raw MIME messages through SES v2.
package sesmail

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
)

// Client is the part of the SES v2 client used here.
type Client interface {
	SendEmail(context.Context, *sesv2.SendEmailInput, ...func(*sesv2.Options)) (*sesv2.SendEmailOutput, error)
}

// Sender sends from the platform address with the deployment's configuration set, so
// bounce and complaint events reach the mail-events function.
type Sender struct {
	client           Client
	from             string
	configurationSet string
}

// New returns a sender; configurationSet may be empty locally.
func New(client Client, from, configurationSet string) *Sender {
	return &Sender{client: client, from: from, configurationSet: configurationSet}
}

// Send sends one raw message to one recipient.
func (s *Sender) Send(ctx context.Context, to string, raw []byte) error {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: &s.from,
		Destination:      &types.Destination{ToAddresses: []string{to}},
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: raw}},
	}
	if s.configurationSet != "" {
		in.ConfigurationSetName = &s.configurationSet
	}
	if _, err := s.client.SendEmail(ctx, in); err != nil {
		return fmt.Errorf("ses send: %w", err)
	}
	return nil
}
