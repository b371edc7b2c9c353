package eventsource

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// fakeStreams serves shards from memory. Iterators are "shard:position".
type fakeStreams struct {
	shards    []fakeShard
	expireOne bool     // the next GetRecords on a reused iterator fails once
	requests  []string // GetShardIterator calls, as "shard type seq"
	issued    map[string]bool
}

type fakeShard struct {
	id, parent string
	seqs       []string
	ids        map[string]string // event id by sequence number, when not "e"+seq
	closed     bool
}

func (f *fakeStreams) DescribeStream(_ context.Context, in *dynamodbstreams.DescribeStreamInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	// One shard per page, to exercise paging.
	start := 0
	if in.ExclusiveStartShardId != nil {
		for i, s := range f.shards {
			if s.id == *in.ExclusiveStartShardId {
				start = i + 1
			}
		}
	}
	desc := &types.StreamDescription{}
	if start < len(f.shards) {
		s := f.shards[start]
		sh := types.Shard{ShardId: aws.String(s.id)}
		if s.parent != "" {
			sh.ParentShardId = aws.String(s.parent)
		}
		desc.Shards = []types.Shard{sh}
		if start+1 < len(f.shards) {
			desc.LastEvaluatedShardId = aws.String(s.id)
		}
	}
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: desc}, nil
}

func (f *fakeStreams) shard(id string) *fakeShard {
	for i := range f.shards {
		if f.shards[i].id == id {
			return &f.shards[i]
		}
	}
	return nil
}

func (f *fakeStreams) GetShardIterator(_ context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	s := f.shard(aws.ToString(in.ShardId))
	f.requests = append(f.requests, fmt.Sprintf("%s %s %s", s.id, in.ShardIteratorType, aws.ToString(in.SequenceNumber)))
	pos := 0
	if in.ShardIteratorType == types.ShardIteratorTypeLatest {
		pos = len(s.seqs)
	}
	if in.ShardIteratorType == types.ShardIteratorTypeAtSequenceNumber {
		for i, seq := range s.seqs {
			if seq == aws.ToString(in.SequenceNumber) {
				pos = i
			}
		}
	}
	if in.ShardIteratorType == types.ShardIteratorTypeAfterSequenceNumber {
		for i, seq := range s.seqs {
			if seq == aws.ToString(in.SequenceNumber) {
				pos = i + 1
			}
		}
	}
	it := fmt.Sprintf("%s:%d", s.id, pos)
	if f.issued == nil {
		f.issued = map[string]bool{}
	}
	f.issued[it] = true
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(it)}, nil
}

func (f *fakeStreams) GetRecords(_ context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	it := aws.ToString(in.ShardIterator)
	if f.expireOne && !f.issued[it] {
		f.expireOne = false
		return nil, &types.ExpiredIteratorException{Message: aws.String("expired")}
	}
	delete(f.issued, it)
	id, posText, _ := strings.Cut(it, ":")
	pos, _ := strconv.Atoi(posText)
	s := f.shard(id)
	out := &dynamodbstreams.GetRecordsOutput{}
	for _, seq := range s.seqs[pos:] {
		id := "e" + seq
		if s.ids[seq] != "" {
			id = s.ids[seq]
		}
		out.Records = append(out.Records, types.Record{
			EventID:   aws.String(id),
			EventName: types.OperationTypeInsert,
			Dynamodb:  &types.StreamRecord{SequenceNumber: aws.String(seq)},
		})
	}
	if !s.closed {
		out.NextShardIterator = aws.String(fmt.Sprintf("%s:%d", id, len(s.seqs)))
	}
	return out, nil
}

func pollSeqs(t *testing.T, r *StreamReader) []string {
	t.Helper()
	recs, err := r.Poll(context.Background())
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	var seqs []string
	for _, rec := range recs {
		seqs = append(seqs, rec.Change.SequenceNumber)
		if rec.EventSourceArn != "arn:stream" || rec.EventSource != "aws:dynamodb" {
			t.Errorf("record %s: got source %q arn %q", rec.EventID, rec.EventSource, rec.EventSourceArn)
		}
	}
	return seqs
}

func TestStreamReaderFollowsShards(t *testing.T) {
	fake := &fakeStreams{shards: []fakeShard{
		{id: "child", parent: "parent", seqs: []string{"300"}},
		{id: "parent", seqs: []string{"100", "200"}, closed: true},
	}}
	r := NewStreamReader(fake, "arn:stream")

	// The child is listed first but must wait for its parent to drain.
	if got, want := pollSeqs(t, r), []string{"100", "200"}; !reflect.DeepEqual(got, want) {
		t.Errorf("first poll: got %v, want %v", got, want)
	}
	if got, want := pollSeqs(t, r), []string{"300"}; !reflect.DeepEqual(got, want) {
		t.Errorf("second poll: got %v, want %v", got, want)
	}
	if got := pollSeqs(t, r); len(got) != 0 {
		t.Errorf("idle poll: got %v, want nothing", got)
	}

	fake.shards[0].seqs = append(fake.shards[0].seqs, "400", "500")
	fake.expireOne = true
	if got, want := pollSeqs(t, r), []string{"400", "500"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after expiry: got %v, want %v", got, want)
	}
	// Once a shard has given records, each poll resumes after the last one with a fresh
	// iterator (see read).
	wantRequests := []string{
		"parent TRIM_HORIZON ",
		"child TRIM_HORIZON ",
		"child AFTER_SEQUENCE_NUMBER 300",
		"child AFTER_SEQUENCE_NUMBER 300",
	}
	if !reflect.DeepEqual(fake.requests, wantRequests) {
		t.Errorf("iterator requests: got %q, want %q", fake.requests, wantRequests)
	}
}

func TestStreamReaderLatest(t *testing.T) {
	fake := &fakeStreams{shards: []fakeShard{{id: "a", seqs: []string{"100", "200"}}}}
	r, err := NewStreamReaderAt(fake, "arn:stream", "LATEST")
	if err != nil {
		t.Fatal(err)
	}
	if got := pollSeqs(t, r); len(got) != 0 {
		t.Errorf("first poll: got %v, want nothing (records older than the reader)", got)
	}
	fake.shards[0].seqs = append(fake.shards[0].seqs, "300")
	// A shard born after the first poll is read from its start.
	fake.shards = append(fake.shards, fakeShard{id: "b", seqs: []string{"400"}})
	got, err := r.PollShards(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var flat []string
	for _, sh := range got {
		for _, rec := range sh.Records {
			flat = append(flat, sh.ShardID+":"+rec.Change.SequenceNumber)
		}
	}
	if want := []string{"a:300", "b:400"}; !reflect.DeepEqual(flat, want) {
		t.Errorf("second poll: got %v, want %v", flat, want)
	}
	if _, err := NewStreamReaderAt(fake, "arn:stream", "AT_TIMESTAMP"); err == nil {
		t.Error("AT_TIMESTAMP: got nil, want an error")
	}
}

func TestStreamReaderDetectsRollbacks(t *testing.T) {
	fake := &fakeStreams{shards: []fakeShard{{id: "a", seqs: []string{"100", "200", "300"}}}}
	r := NewStreamReader(fake, "arn:stream")
	r.DetectRollbacks(10)
	if got, want := pollSeqs(t, r), []string{"100", "200", "300"}; !reflect.DeepEqual(got, want) {
		t.Errorf("first poll: got %v, want %v", got, want)
	}
	// moto's failed transaction: the stream goes back to 200, then 300 is
	// handed out again to another record.
	fake.shards[0].ids = map[string]string{"300": "other"}
	fake.shards[0].seqs = []string{"100", "200", "300", "400"}
	if got, want := pollSeqs(t, r), []string{"300", "400"}; !reflect.DeepEqual(got, want) {
		t.Errorf("after the rollback: got %v, want %v", got, want)
	}
	if got := pollSeqs(t, r); len(got) != 0 {
		t.Errorf("idle poll: got %v, want nothing", got)
	}
}

func TestConvertStreamRecord(t *testing.T) {
	at := time.Unix(1795674424, 0)
	rec := types.Record{
		AwsRegion:    aws.String("eu-west-3"),
		EventID:      aws.String("ev1"),
		EventName:    types.OperationTypeRemove,
		EventSource:  aws.String("aws:dynamodb"),
		EventVersion: aws.String("1.1"),
		UserIdentity: &types.Identity{Type: aws.String("Service"), PrincipalId: aws.String("dynamodb.amazonaws.com")},
		Dynamodb: &types.StreamRecord{
			ApproximateCreationDateTime: &at,
			Keys:                        map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "k"}},
			OldImage: map[string]types.AttributeValue{
				"s":    &types.AttributeValueMemberS{Value: "é"},
				"n":    &types.AttributeValueMemberN{Value: "12.5"},
				"b":    &types.AttributeValueMemberB{Value: []byte{1, 2}},
				"bool": &types.AttributeValueMemberBOOL{Value: true},
				"null": &types.AttributeValueMemberNULL{Value: true},
				"m":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"x": &types.AttributeValueMemberN{Value: "1"}}},
				"l":    &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "a"}, &types.AttributeValueMemberBOOL{Value: false}}},
				"ss":   &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
				"ns":   &types.AttributeValueMemberNS{Value: []string{"1", "2"}},
				"bs":   &types.AttributeValueMemberBS{Value: [][]byte{{3}}},
			},
			SequenceNumber: aws.String("42"),
			SizeBytes:      aws.Int64(99),
			StreamViewType: types.StreamViewTypeNewAndOldImages,
		},
	}
	got, err := ConvertStreamRecord(rec, "arn:aws:dynamodb:eu-west-3:123456789012:table/t/stream/x")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	// The JSON Lambda hands a function for such a record.
	want := `{"awsRegion":"eu-west-3","dynamodb":{"ApproximateCreationDateTime":1795674424,"Keys":{"pk":{"S":"k"}},` +
		`"OldImage":{"b":{"B":"AQI="},"bool":{"BOOL":true},"bs":{"BS":["Aw=="]},"l":{"L":[{"S":"a"},{"BOOL":false}]},` +
		`"m":{"M":{"x":{"N":"1"}}},"n":{"N":"12.5"},"ns":{"NS":["1","2"]},"null":{"NULL":true},"s":{"S":"é"},"ss":{"SS":["a","b"]}},` +
		`"SequenceNumber":"42","SizeBytes":99,"StreamViewType":"NEW_AND_OLD_IMAGES"},"eventID":"ev1","eventName":"REMOVE",` +
		`"eventSource":"aws:dynamodb","eventVersion":"1.1","eventSourceARN":"arn:aws:dynamodb:eu-west-3:123456789012:table/t/stream/x",` +
		`"userIdentity":{"type":"Service","principalId":"dynamodb.amazonaws.com"}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
