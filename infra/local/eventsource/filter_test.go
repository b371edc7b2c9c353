package eventsource

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestMatchFilter(t *testing.T) {
	insert := events.DynamoDBEventRecord{
		EventName:   "INSERT",
		EventSource: "aws:dynamodb",
		Change: events.DynamoDBStreamRecord{
			NewImage: map[string]events.DynamoDBAttributeValue{
				"status": events.NewStringAttribute("pending"),
				"kind":   events.NewStringAttribute("activation"),
			},
		},
	}
	userRemove := events.DynamoDBEventRecord{EventName: "REMOVE"}
	ttlRemove := events.DynamoDBEventRecord{
		EventName:    "REMOVE",
		UserIdentity: &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"},
	}
	sqsJSON := events.SQSMessage{EventSource: "aws:sqs", Body: `{"kind":"zip","count":3,"tags":["a","b"]}`}
	sqsText := events.SQSMessage{EventSource: "aws:sqs", Body: `plain`}
	const ttlPattern = `{"eventName":["REMOVE"],"userIdentity":{"type":["Service"],"principalId":["dynamodb.amazonaws.com"]}}`

	tests := []struct {
		name    string
		pattern string
		record  any
		want    bool
	}{
		{"event name matches", `{"eventName":["INSERT"]}`, insert, true},
		{"event name differs", `{"eventName":["MODIFY","REMOVE"]}`, insert, false},
		{"nested image value", `{"dynamodb":{"NewImage":{"status":{"S":["pending"]}}}}`, insert, true},
		{"nested image value differs", `{"dynamodb":{"NewImage":{"status":{"S":["sent"]}}}}`, insert, false},
		{"ttl removal", ttlPattern, ttlRemove, true},
		{"user removal is not ttl", ttlPattern, userRemove, false},
		{"insert is not ttl", ttlPattern, insert, false},
		{"prefix", `{"dynamodb":{"NewImage":{"kind":{"S":[{"prefix":"activ"}]}}}}`, insert, true},
		{"suffix", `{"dynamodb":{"NewImage":{"kind":{"S":[{"suffix":"xyz"}]}}}}`, insert, false},
		{"equals ignore case", `{"eventName":[{"equals-ignore-case":"insert"}]}`, insert, true},
		{"anything but", `{"eventName":[{"anything-but":["REMOVE"]}]}`, insert, true},
		{"anything but excluded", `{"eventName":[{"anything-but":"INSERT"}]}`, insert, false},
		{"exists", `{"userIdentity":{"type":[{"exists":true}]}}`, ttlRemove, true},
		{"not exists", `{"userIdentity":[{"exists":false}]}`, userRemove, true},
		{"exists but absent", `{"userIdentity":{"type":[{"exists":true}]}}`, userRemove, false},
		{"sqs json body", `{"body":{"kind":["zip"]}}`, sqsJSON, true},
		{"sqs body number", `{"body":{"count":[3]}}`, sqsJSON, true},
		{"sqs body numeric range", `{"body":{"count":[{"numeric":[">",1,"<=",3]}]}}`, sqsJSON, true},
		{"sqs body numeric out of range", `{"body":{"count":[{"numeric":[">",3]}]}}`, sqsJSON, false},
		{"sqs body list field", `{"body":{"tags":["b"]}}`, sqsJSON, true},
		{"sqs plain body", `{"body":["plain"]}`, sqsText, true},
		{"several keys all needed", `{"eventName":["INSERT"],"eventSource":["aws:sqs"]}`, insert, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MatchFilter([]byte(tc.pattern), tc.record)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestMatchFilterErrors(t *testing.T) {
	for _, pattern := range []string{
		`not json`,
		`{"eventName":"INSERT"}`,
		`{"eventName":[{"wildcard":"IN*"}]}`,
		`{"eventName":[["INSERT"]]}`,
	} {
		t.Run(pattern, func(t *testing.T) {
			if _, err := MatchFilter([]byte(pattern), events.DynamoDBEventRecord{EventName: "INSERT"}); err == nil {
				t.Errorf("got no error for %s", pattern)
			}
		})
	}
}
