package eventsource

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// StreamsAPI is the part of the dynamodbstreams client a StreamReader uses.
type StreamsAPI interface {
	DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(context.Context, *dynamodbstreams.GetShardIteratorInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(context.Context, *dynamodbstreams.GetRecordsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

var _ StreamsAPI = (*dynamodbstreams.Client)(nil)

// StreamReader reads a DynamoDB stream the way a Lambda event source
// mapping does: every shard from its trim horizon, parents before children,
// remembering where it stopped. It is not safe for concurrent use.
type StreamReader struct {
	client    StreamsAPI
	streamARN string
	latest    bool // start the shards open at the first Poll at their end
	polled    bool
	window    int // records re-read per shard to detect rollbacks; 0: off
	shards    map[string]*shardState
	order     []string // shard ids in discovery order
}

type shardState struct {
	parent   string
	iterator *string
	lastSeq  string
	latest   bool // no sequence number yet: start at the shard's end
	done     bool // closed and drained
	recent   []seen
}

// seen is a record already returned, for rollback detection.
type seen struct{ seq, eventID string }

// DetectRollbacks makes each Poll re-read up to the last n records it
// returned from each shard and return again a sequence number only when
// the record under it changed. moto puts back a copy of the whole table,
// stream included, when a transaction fails, and then hands out the
// rolled-back sequence numbers again: a reader that only moves forward
// would skip the records written after a failed transaction. On a real
// stream the check finds nothing and costs one more read per Poll.
func (r *StreamReader) DetectRollbacks(n int) { r.window = n }

// NewStreamReader returns a reader of the stream streamARN from its trim
// horizon.
func NewStreamReader(client StreamsAPI, streamARN string) *StreamReader {
	return &StreamReader{client: client, streamARN: streamARN, shards: map[string]*shardState{}}
}

// NewStreamReaderAt returns a reader of the stream streamARN from position,
// an event source mapping's StartingPosition: TRIM_HORIZON (or "") reads
// every record still in the stream, LATEST only those written after the
// first Poll began.
func NewStreamReaderAt(client StreamsAPI, streamARN, position string) (*StreamReader, error) {
	r := NewStreamReader(client, streamARN)
	switch position {
	case "", string(types.ShardIteratorTypeTrimHorizon):
	case string(types.ShardIteratorTypeLatest):
		r.latest = true
	default:
		return nil, fmt.Errorf("stream %s: starting position %q: want TRIM_HORIZON or LATEST", streamARN, position)
	}
	return r, nil
}

// ShardRecords are the records one Poll read from one shard, in order.
type ShardRecords struct {
	ShardID string
	Records []events.DynamoDBEventRecord
}

// Poll returns the records written since the previous Poll (since the
// starting position on the first), as Lambda would deliver them. It reads
// each open shard once; a child shard is read only after its parent is
// drained.
func (r *StreamReader) Poll(ctx context.Context) ([]events.DynamoDBEventRecord, error) {
	shards, err := r.PollShards(ctx)
	var out []events.DynamoDBEventRecord
	for _, sh := range shards {
		out = append(out, sh.Records...)
	}
	return out, err
}

// PollShards is Poll with the records grouped by shard, for a consumer that
// keeps order per shard. Shards without new records are left out.
func (r *StreamReader) PollShards(ctx context.Context) ([]ShardRecords, error) {
	if err := r.discover(ctx); err != nil {
		return nil, err
	}
	r.polled = true
	var out []ShardRecords
	for _, id := range r.order {
		s := r.shards[id]
		if s.done {
			continue
		}
		if p, known := r.shards[s.parent]; known && !p.done {
			continue
		}
		recs, err := r.read(ctx, id, s)
		if len(recs) > 0 {
			out = append(out, ShardRecords{ShardID: id, Records: recs})
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func (r *StreamReader) discover(ctx context.Context) error {
	var start *string
	for {
		got, err := r.client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{
			StreamArn:             aws.String(r.streamARN),
			ExclusiveStartShardId: start,
		})
		if err != nil {
			return fmt.Errorf("describe stream %s: %w", r.streamARN, err)
		}
		if got.StreamDescription == nil {
			return fmt.Errorf("describe stream %s: no description", r.streamARN)
		}
		var fresh []types.Shard
		for _, sh := range got.StreamDescription.Shards {
			if _, ok := r.shards[aws.ToString(sh.ShardId)]; !ok {
				fresh = append(fresh, sh)
			}
		}
		// Within one page, start with the oldest shards.
		sort.SliceStable(fresh, func(i, j int) bool {
			return startSeq(fresh[i]) < startSeq(fresh[j])
		})
		for _, sh := range fresh {
			id := aws.ToString(sh.ShardId)
			// Shards found after the first Poll hold only new records.
			r.shards[id] = &shardState{parent: aws.ToString(sh.ParentShardId), latest: r.latest && !r.polled}
			r.order = append(r.order, id)
		}
		start = got.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return nil
		}
	}
}

func startSeq(sh types.Shard) string {
	if sh.SequenceNumberRange == nil {
		return ""
	}
	s := aws.ToString(sh.SequenceNumberRange.StartingSequenceNumber)
	// Sequence numbers are decimal strings of varying length.
	return fmt.Sprintf("%040s", s)
}

func (r *StreamReader) read(ctx context.Context, shardID string, s *shardState) ([]events.DynamoDBEventRecord, error) {
	if r.window > 0 && len(s.recent) > 0 {
		return r.reread(ctx, shardID, s)
	}
	if s.lastSeq != "" {
		// moto rolls a failed transaction back by restoring a copy of the table, stream shard
		// included, which orphans open iterators: resume from the last sequence number instead.
		s.iterator = nil
	}
	for attempt := 0; ; attempt++ {
		if s.iterator == nil {
			in := &dynamodbstreams.GetShardIteratorInput{
				StreamArn:         aws.String(r.streamARN),
				ShardId:           aws.String(shardID),
				ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
			}
			switch {
			case s.lastSeq != "":
				in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
				in.SequenceNumber = aws.String(s.lastSeq)
			case s.latest:
				in.ShardIteratorType = types.ShardIteratorTypeLatest
			}
			got, err := r.client.GetShardIterator(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("shard iterator %s: %w", shardID, err)
			}
			s.iterator = got.ShardIterator
			if s.iterator == nil {
				s.done = true
				return nil, nil
			}
		}
		got, err := r.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: s.iterator})
		if err != nil {
			var expired *types.ExpiredIteratorException
			if errors.As(err, &expired) && attempt == 0 {
				// Start again from the last sequence number seen.
				s.iterator = nil
				continue
			}
			return nil, fmt.Errorf("get records %s: %w", shardID, err)
		}
		out := make([]events.DynamoDBEventRecord, 0, len(got.Records))
		for _, rec := range got.Records {
			ev, err := ConvertStreamRecord(rec, r.streamARN)
			if err != nil {
				return out, err
			}
			out = append(out, ev)
			s.lastSeq = ev.Change.SequenceNumber
			r.remember(s, ev)
		}
		s.iterator = got.NextShardIterator
		if s.iterator == nil {
			s.done = true
		}
		return out, nil
	}
}

// reread reads a shard again from the oldest record remembered and returns
// the records not returned before: new ones, and rewritten ones whose
// event id changed.
func (r *StreamReader) reread(ctx context.Context, shardID string, s *shardState) ([]events.DynamoDBEventRecord, error) {
	it, err := r.client.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
		StreamArn:         aws.String(r.streamARN),
		ShardId:           aws.String(shardID),
		ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber,
		SequenceNumber:    aws.String(s.recent[0].seq),
	})
	if err != nil {
		return nil, fmt.Errorf("shard iterator %s: %w", shardID, err)
	}
	iterator := it.ShardIterator
	var out []events.DynamoDBEventRecord
	for iterator != nil {
		got, err := r.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iterator})
		if err != nil {
			return out, fmt.Errorf("get records %s: %w", shardID, err)
		}
		for _, rec := range got.Records {
			ev, err := ConvertStreamRecord(rec, r.streamARN)
			if err != nil {
				return out, err
			}
			if slices.Contains(s.recent, seen{ev.Change.SequenceNumber, ev.EventID}) {
				continue
			}
			out = append(out, ev)
			s.lastSeq = ev.Change.SequenceNumber
			r.remember(s, ev)
		}
		iterator = got.NextShardIterator
		if len(got.Records) == 0 {
			break
		}
	}
	if iterator == nil {
		s.done = true
	}
	return out, nil
}

// remember records ev as returned. A sequence number already remembered
// means the stream was rewritten from there: what followed it is gone.
func (r *StreamReader) remember(s *shardState, ev events.DynamoDBEventRecord) {
	if r.window <= 0 {
		return
	}
	seq := ev.Change.SequenceNumber
	if i := slices.IndexFunc(s.recent, func(x seen) bool { return !seqLess(x.seq, seq) }); i >= 0 {
		s.recent = s.recent[:i]
	}
	s.recent = append(s.recent, seen{seq, ev.EventID})
	if len(s.recent) > r.window {
		s.recent = s.recent[len(s.recent)-r.window:]
	}
}

// seqLess compares decimal sequence numbers of any length.
func seqLess(a, b string) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}

// ConvertStreamRecord turns a dynamodbstreams record into the record a
// Lambda function receives from the stream streamARN.
func ConvertStreamRecord(rec types.Record, streamARN string) (events.DynamoDBEventRecord, error) {
	out := events.DynamoDBEventRecord{
		AWSRegion:      aws.ToString(rec.AwsRegion),
		EventID:        aws.ToString(rec.EventID),
		EventName:      string(rec.EventName),
		EventSource:    aws.ToString(rec.EventSource),
		EventVersion:   aws.ToString(rec.EventVersion),
		EventSourceArn: streamARN,
	}
	// moto reports us-east-1 whatever the table's region; the stream ARN
	// carries the real one.
	if region := arnRegion(streamARN); strings.Count(streamARN, ":") >= 5 || out.AWSRegion == "" {
		out.AWSRegion = region
	}
	if out.EventSource == "" {
		out.EventSource = "aws:dynamodb"
	}
	if id := rec.UserIdentity; id != nil {
		out.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(id.Type), PrincipalID: aws.ToString(id.PrincipalId)}
	}
	if d := rec.Dynamodb; d != nil {
		var err error
		c := &out.Change
		if d.ApproximateCreationDateTime != nil {
			c.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
		}
		if c.Keys, err = convertItem(d.Keys); err != nil {
			return out, fmt.Errorf("record %s keys: %w", out.EventID, err)
		}
		if c.NewImage, err = convertItem(d.NewImage); err != nil {
			return out, fmt.Errorf("record %s new image: %w", out.EventID, err)
		}
		if c.OldImage, err = convertItem(d.OldImage); err != nil {
			return out, fmt.Errorf("record %s old image: %w", out.EventID, err)
		}
		c.SequenceNumber = aws.ToString(d.SequenceNumber)
		c.SizeBytes = aws.ToInt64(d.SizeBytes)
		c.StreamViewType = string(d.StreamViewType)
	}
	return out, nil
}

func convertItem(item map[string]types.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	if item == nil {
		return nil, nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(item))
	for k, v := range item {
		c, err := convertValue(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = c
	}
	return out, nil
}

func convertValue(v types.AttributeValue) (events.DynamoDBAttributeValue, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value), nil
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value), nil
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value), nil
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value), nil
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute(), nil
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value), nil
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value), nil
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value), nil
	case *types.AttributeValueMemberM:
		m, err := convertItem(v.Value)
		if err != nil {
			return events.DynamoDBAttributeValue{}, err
		}
		if m == nil {
			m = map[string]events.DynamoDBAttributeValue{}
		}
		return events.NewMapAttribute(m), nil
	case *types.AttributeValueMemberL:
		l := make([]events.DynamoDBAttributeValue, 0, len(v.Value))
		for i, x := range v.Value {
			c, err := convertValue(x)
			if err != nil {
				return events.DynamoDBAttributeValue{}, fmt.Errorf("[%d]: %w", i, err)
			}
			l = append(l, c)
		}
		return events.NewListAttribute(l), nil
	default:
		return events.DynamoDBAttributeValue{}, fmt.Errorf("unknown attribute value %T", v)
	}
}
