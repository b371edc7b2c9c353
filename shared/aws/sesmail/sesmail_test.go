package sesmail_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/efacture/efacture/shared/aws/sesmail"
	"github.com/efacture/efacture/shared/domain/fault"
)

// ses answers every request with status and, for an error, SES v2's error type.
func ses(t *testing.T, status int, errType string) (*sesv2.Client, *atomic.Int32) {
	t.Helper()
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		if errType != "" {
			w.Header().Set("X-Amzn-ErrorType", errType)
		}
		w.WriteHeader(status)
		if status == http.StatusOK {
			io.WriteString(w, `{"MessageId":"m-1","SendQuota":{"MaxSendRate":14,"Max24HourSend":50000,"SentLast24Hours":3}}`)
			return
		}
		io.WriteString(w, `{"message":"refused by the test"}`)
	}))
	t.Cleanup(srv.Close)
	client := sesv2.New(sesv2.Options{
		Region: "eu-west-3", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""),
	})
	return client, &calls
}

// TestClassification: refusals to send more now are fault.ErrTooMany and are not retried
// by the SDK (the mailer reschedules them); other failures are plain errors.
func TestClassification(t *testing.T) {
	for _, c := range []struct {
		name      string
		status    int
		errType   string
		throttled bool
		maxCalls  int32
	}{
		{"rate", http.StatusTooManyRequests, "TooManyRequestsException", true, 1},
		{"quota", http.StatusBadRequest, "LimitExceededException", true, 1},
		{"paused", http.StatusBadRequest, "SendingPausedException", true, 1},
		{"unmodelled 429", http.StatusTooManyRequests, "", true, 1},
		{"rejected", http.StatusBadRequest, "MessageRejected", false, 1},
		{"internal", http.StatusInternalServerError, "InternalFailure", false, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			client, calls := ses(t, c.status, c.errType)
			err := sesmail.New(client, "no-reply@mail.example", "").Send(context.Background(), "a@example.fr", []byte("Subject: x\r\n\r\nx"))
			if err == nil {
				t.Fatal("Send: got nil")
			}
			if got := errors.Is(err, fault.ErrTooMany); got != c.throttled || sesmail.Throttled(err) != c.throttled {
				t.Errorf("Send: %v: throttled %v, want %v", err, got, c.throttled)
			}
			if n := calls.Load(); n > c.maxCalls {
				t.Errorf("SES received %d requests, want at most %d", n, c.maxCalls)
			}
		})
	}
}

func TestSendAndQuota(t *testing.T) {
	client, calls := ses(t, http.StatusOK, "")
	s := sesmail.New(client, "no-reply@mail.example", "set")
	if err := s.Send(context.Background(), "a@example.fr", []byte("Subject: x\r\n\r\nx")); err != nil {
		t.Fatal(err)
	}
	rate, err := s.MaxSendRate(context.Background())
	if err != nil || rate != 14 || calls.Load() != 2 {
		t.Errorf("MaxSendRate: got %v, %v after %d calls, want 14", rate, err, calls.Load())
	}
}
