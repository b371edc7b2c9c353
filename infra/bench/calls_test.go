package bench_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/infra/bench"
)

// cannedDynamoDB answers every DynamoDB request without a network: a Query reads 7
// items and returns 2, anything else returns nothing.
type cannedDynamoDB struct{}

func (cannedDynamoDB) Do(r *http.Request) (*http.Response, error) {
	body := `{}`
	if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".Query") {
		body = `{"Count":2,"ScannedCount":7,"Items":[]}`
	}
	return &http.Response{
		StatusCode: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body: io.NopCloser(bytes.NewReader([]byte(body))), Request: r,
	}, nil
}

func TestCalls(t *testing.T) {
	cfg := aws.Config{
		Region: "eu-west-3", BaseEndpoint: aws.String("http://127.0.0.1:1"), HTTPClient: cannedDynamoDB{},
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""),
	}
	calls := bench.NewCalls(map[string]string{"t-main": "main", "t-docs": "documents"})
	calls.Install(&cfg)
	ctx := context.Background()
	db := dynamodb.NewFromConfig(cfg)
	k := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "x"}}
	if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t-main"), Key: k}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("t-docs")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("t-docs"), Item: k}}, {Put: &types.Put{TableName: aws.String("t-main"), Item: k}},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3.NewPresignClient(s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })).
		PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}

	seq, scanned := calls.Take()
	if got, want := bench.Sequence(seq), "GetItem main, Query documents, Query documents, TransactWriteItems documents, presign GetObject"; got != want {
		t.Errorf("sequence: got %q, want %q", got, want)
	}
	if scanned != 14 {
		t.Errorf("items read: got %d, want 14", scanned)
	}
	if got := bench.CountSent(seq); got != 4 {
		t.Errorf("calls sent: got %d, want 4 (a presign sends nothing)", got)
	}
	if got := bench.CountTable(seq, "documents"); got != 3 {
		t.Errorf("documents-table calls: got %d, want 3", got)
	}
	if seq, scanned := calls.Take(); len(seq) != 0 || scanned != 0 {
		t.Errorf("second take: got %v and %d, want nothing", seq, scanned)
	}
}

func TestRounds(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	at := func(op string, from, to int) bench.Call {
		return bench.Call{Op: op, Start: t0.Add(time.Duration(from) * time.Millisecond), End: t0.Add(time.Duration(to) * time.Millisecond)}
	}
	cases := []struct {
		name  string
		calls []bench.Call
		want  int
	}{
		{"none", nil, 0},
		{"one after another", []bench.Call{at("GetItem", 0, 5), at("GetItem", 5, 9), at("UpdateItem", 10, 12)}, 3},
		{"writes at once", []bench.Call{at("GetItem", 0, 5), at("GetItem", 6, 9), at("UpdateItem", 40, 45), at("PutItem", 40, 50), at("UpdateItem", 41, 55)}, 3},
		{"listed out of order", []bench.Call{at("PutItem", 40, 50), at("GetItem", 0, 5), at("UpdateItem", 41, 55)}, 2},
		{"a presign is no round trip", []bench.Call{at("GetItem", 0, 5), at("presign GetObject", 6, 6), at("PutItem", 7, 9)}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := bench.Rounds(c.calls); got != c.want {
				t.Errorf("got %d, want %d", got, c.want)
			}
		})
	}
}
