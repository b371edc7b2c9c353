package objects_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/shared/aws/objects"
	"github.com/efacture/efacture/shared/service/ingest"
)

// TestOpenFromOffset reads an inbox object from offsets, as a referential resumes: the
// object's ETag and size come with every part, and its end reads as nothing.
func TestOpenFromOffset(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const bucket, key = "inbox-test", "inbox/acme/customers/x.csv"
	client := motoBucket(ctx, t, bucket)
	body := []byte("customer_number\nC1\nC2\n")
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	st := objects.New(client, bucket, "archive-test")
	var etag string
	for _, offset := range []int64{0, 16, int64(len(body)) - 1, int64(len(body))} {
		s, err := st.Open(ctx, key, offset)
		if err != nil {
			t.Fatalf("offset %d: %v", offset, err)
		}
		got, err := io.ReadAll(s.Body)
		s.Body.Close()
		if err != nil || !bytes.Equal(got, body[offset:]) || s.Size != int64(len(body)) {
			t.Errorf("offset %d: got %q size %d (%v), want %q size %d", offset, got, s.Size, err, body[offset:], len(body))
		}
		if offset == 0 {
			etag = s.ETag
		} else if s.ETag != etag && offset < int64(len(body)) {
			t.Errorf("offset %d: ETag %q, want %q", offset, s.ETag, etag)
		}
	}
	if _, err := st.Open(ctx, "inbox/acme/customers/none.csv", 0); !errors.Is(err, ingest.ErrGone) {
		t.Errorf("missing object: got %v, want ErrGone", err)
	}
}
