package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/service/ingest"
)

// crashingObjects makes the ingest handler panic whenever it reads one inbox key, as a
// PDF that exhausts the function's memory would end it.
type crashingObjects struct {
	ingest.Objects
	key     string
	crashes *atomic.Int64
}

func (c crashingObjects) Get(ctx context.Context, key string) (ingest.Object, error) {
	if key == c.key {
		c.crashes.Add(1)
		panic("injected crash reading " + key)
	}
	return c.Objects.Get(ctx, key)
}

// TestCrashingDocumentIsRejectedUnreadable runs the template's ingest event source with
// a handler that crashes on one of four documents: after 3 crashes its 4th receive
// rejects it as unreadable with its report (PRODUCT.md §3, §10), the other three are
// filed, and nothing reaches the dead-letter queue.
func TestCrashingDocumentIsRejectedUnreadable(t *testing.T) {
	const crashKey = "inbox/acme/documents/CRASH.pdf"
	var crashes atomic.Int64
	r := MustStart(t, Options{Configure: func(id string, o *app.Options) {
		if id == "IngestFunction" {
			o.Ingest = func(s *ingest.Service) {
				s.Objects = crashingObjects{Objects: s.Objects, key: crashKey, crashes: &crashes}
			}
		}
	}})
	ctx := context.Background()
	if _, err := r.ApplySpaces(ctx, filepath.Join(r.root, DemoDir, "spaces.json")); err != nil {
		t.Fatal(err)
	}
	// Failed batches come back after 1 s instead of the template's 360 s.
	queue := r.AWS.Stack.QueueURL("IngestQueue")
	if _, err := r.AWS.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: aws.String(queue),
		Attributes: map[string]string{string(sqstypes.QueueAttributeNameVisibilityTimeout): "1"}}); err != nil {
		t.Fatal(err)
	}

	today := r.opts.Now().UTC().Format(time.DateOnly)
	for i, name := range []string{"F-1", "CRASH", "F-2", "F-3"} {
		body, err := samplepdf.Generate(samplepdf.Invoice{Number: name, Type: samplepdf.TypeInvoice, IssueDate: today,
			SellerName: "Acme", SellerSIREN: "552100554", BuyerName: "Client", Currency: "EUR",
			Lines: []samplepdf.Line{{Description: "Loyer", Quantity: 1, UnitPriceCents: int64(1000 * (i + 1))}}})
		if err != nil {
			t.Fatal(err)
		}
		meta := map[string]string{"customer-number": "C9", "document-number": name, "document-type": "invoice",
			"issue-date": today, "amount": strconv.Itoa(10*(i+1)) + ".00", "currency": "EUR"}
		if _, err := r.billingS3("inbox/acme/").PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(r.Env.InboxBucket),
			Key: aws.String("inbox/acme/documents/" + name + ".pdf"), Body: bytes.NewReader(body), Metadata: meta}); err != nil {
			t.Fatal(err)
		}
	}

	errorKey := "rejected/acme/documents/CRASH.pdf.error.json"
	var report []byte
	waitFor(t, 45*time.Second, "three documents filed and the crashing one rejected", func() bool {
		docs, err := r.AWS.DynamoDB.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(r.Env.DocumentsTable), Select: "COUNT"})
		if err != nil {
			t.Fatal(err)
		}
		out, err := r.AWS.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(r.Env.InboxBucket), Key: aws.String(errorKey)})
		if err != nil {
			return false
		}
		defer out.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(out.Body)
		report = b.Bytes()
		return docs.Count == 3
	})

	var rej documents.Rejection
	if err := json.Unmarshal(report, &rej); err != nil {
		t.Fatal(err)
	}
	if rej.Code != documents.CodeUnreadable || rej.Key != crashKey {
		t.Errorf("report: got %+v, want unreadable for %s", rej, crashKey)
	}
	if got := crashes.Load(); got != ingest.UnreadableAfter {
		t.Errorf("got %d crashes, want %d: the next receive rejects without reading", got, ingest.UnreadableAfter)
	}
	counts := func(id string) string {
		out, err := r.AWS.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(r.AWS.Stack.QueueURL(id)),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages,
				sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(out.Attributes)
	}
	const empty = "map[ApproximateNumberOfMessages:0 ApproximateNumberOfMessagesNotVisible:0]"
	// The runner deletes the last message once its invocation has returned.
	waitFor(t, 10*time.Second, "the inbox queue empty", func() bool { return counts("IngestQueue") == empty })
	if got := counts("IngestDeadLetterQueue"); got != empty {
		t.Errorf("dead-letter queue: got %s, want empty", got)
	}
	left, err := r.AWS.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(r.Env.InboxBucket), Prefix: aws.String("inbox/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(left.Contents) != 0 {
		t.Errorf("inbox: got %d objects left, want none", len(left.Contents))
	}
}
