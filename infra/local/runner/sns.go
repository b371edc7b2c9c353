package runner

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// ErrNoSubscriber is returned by Publish for a topic no function of the
// template subscribes to.
var ErrNoSubscriber = errors.New("no function subscribes to this topic")

// Publish delivers message to every function subscribed to the SNS topic
// with logical id topicID, as SNS would, and returns their errors. No
// emulator here plays SNS, nor sends SES bounce or complaint events: tests
// publish those through this method.
func (r *Runner) Publish(ctx context.Context, topicID, subject, message string) error {
	st := r.AWS.Stack
	topicARN := st.Ref(topicID)
	var errs []error
	n := 0
	for _, id := range slices.Sorted(maps.Keys(r.functions)) {
		fn := r.functions[id]
		for _, src := range fn.def.SNS {
			if src.TopicID != topicID {
				continue
			}
			n++
			ev := events.SNSEvent{Records: []events.SNSEventRecord{{
				EventVersion:         "1.0",
				EventSource:          "aws:sns",
				EventSubscriptionArn: topicARN + ":" + requestID(),
				SNS: events.SNSEntity{
					Type: "Notification", MessageID: requestID(), TopicArn: topicARN, Subject: subject, Message: message,
					Timestamp: time.Now().UTC().Truncate(time.Millisecond), SignatureVersion: "1",
					Signature:         base64.StdEncoding.EncodeToString([]byte("local")),
					SigningCertURL:    r.PortalURL + "/_local/sns.pem",
					UnsubscribeURL:    r.PortalURL + "/_local/unsubscribe",
					MessageAttributes: map[string]any{},
				},
			}}}
			payload, err := json.Marshal(ev)
			if err == nil {
				_, err = r.invokeAlone(ctx, fn, payload)
			}
			r.logInvoke(id, "SNS "+topicID, 1, failedIf(err), err)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", id, err))
			}
		}
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", topicID, ErrNoSubscriber)
	}
	return errors.Join(errs...)
}
