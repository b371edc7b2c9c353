package runner

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/efacture/efacture/infra/local/eventsource"
	"github.com/efacture/efacture/infra/local/localaws"
)

// streamPollInterval is how often Lambda polls a stream's shards: four
// times a second.
const streamPollInterval = 250 * time.Millisecond

// maxRetryDelay caps the wait between retries of a failing stream batch.
const maxRetryDelay = 30 * time.Second

// streamPoller plays a DynamoDB stream event source mapping: records in
// order per shard, filtered, in batches; a failing batch is retried (split
// in two first when BisectBatchOnFunctionError is set) and the shard waits;
// after MaximumRetryAttempts the batch's description goes to the OnFailure
// queue and the shard moves on.
type streamPoller struct {
	r         *Runner
	fn        *function
	src       localaws.StreamSource
	streamARN string
	reader    *eventsource.StreamReader
	failQueue string // OnFailure queue URL, "" for none
	pending   map[string][]events.DynamoDBEventRecord
	order     []string // shards in the order they were seen
	swept     *sweptKeys
}

func (p *streamPoller) run(ctx context.Context) {
	t := time.NewTicker(streamPollInterval)
	defer t.Stop()
	for {
		shards, err := p.reader.PollShards(ctx)
		if err != nil && ctx.Err() == nil {
			p.r.log.Warn("stream read failed", "table", p.src.TableID, "error", err.Error())
		}
		for _, sh := range shards {
			p.accept(sh)
		}
		for _, id := range p.order {
			p.drain(ctx, id)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// accept queues a shard's new records that pass the filters. Lambda drops
// the others as processed.
func (p *streamPoller) accept(sh eventsource.ShardRecords) {
	if _, seen := p.pending[sh.ShardID]; !seen {
		p.order = append(p.order, sh.ShardID)
	}
	queue := p.pending[sh.ShardID]
	for _, rec := range sh.Records {
		if rec.EventName == string(events.DynamoDBOperationTypeRemove) && p.swept.take(rec.Change.Keys) {
			// moto never deletes by TTL, so its REMOVE records lack the
			// service principal the runner's sweeper stands for.
			rec.UserIdentity = &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}
		}
		if p.matches(rec) {
			queue = append(queue, rec)
		}
	}
	p.pending[sh.ShardID] = queue
}

func (p *streamPoller) matches(rec events.DynamoDBEventRecord) bool {
	if len(p.src.Filters) == 0 {
		return true
	}
	for _, f := range p.src.Filters {
		ok, err := eventsource.MatchFilter(f, rec)
		if err != nil {
			p.r.log.Error("filter", "function", p.fn.id, "error", err.Error())
			return false
		}
		if ok {
			return true
		}
	}
	return false
}

// drain delivers a shard's pending records until they are done or
// shutdown begins.
func (p *streamPoller) drain(ctx context.Context, shard string) {
	limit, failures := p.batchSize(), 0
	for len(p.pending[shard]) > 0 && ctx.Err() == nil {
		queue := p.pending[shard]
		batch := queue[:min(limit, len(queue))]
		ok, funcErr := p.deliver(ctx, batch)
		if ok == len(batch) {
			p.pending[shard] = queue[len(batch):]
			limit, failures = p.batchSize(), 0
			continue
		}
		// Records before the first failure are done.
		queue = queue[ok:]
		p.pending[shard] = queue
		rest := len(batch) - ok
		if p.src.BisectBatchOnFunctionError && ok == 0 && rest > 1 {
			// Splitting does not use up a retry.
			limit = rest / 2
			continue
		}
		limit = rest
		failures++
		if max := p.src.MaximumRetryAttempts; max >= 0 && failures > max {
			p.discard(ctx, shard, queue[:rest], failures, funcErr)
			p.pending[shard] = queue[rest:]
			limit, failures = p.batchSize(), 0
			continue
		}
		sleep(ctx, min(p.r.opts.RetryDelay<<(failures-1), maxRetryDelay))
	}
}

func (p *streamPoller) batchSize() int { return max(p.src.BatchSize, 1) }

// deliver invokes the function with batch and returns how many records,
// from the start, succeeded, and "Unhandled" for a function error.
func (p *streamPoller) deliver(ctx context.Context, batch []events.DynamoDBEventRecord) (int, string) {
	payload, err := json.Marshal(events.DynamoDBEvent{Records: batch})
	if err != nil {
		p.r.log.Error("encode stream event", "table", p.src.TableID, "error", err.Error())
		return 0, "Unhandled"
	}
	out, err := p.r.invokeAlone(context.WithoutCancel(ctx), p.fn, payload)
	ok, funcErr := succeeded(batch, out, err, p.src.ReportBatchItemFailures)
	p.r.logInvoke(p.fn.id, "stream "+p.src.TableID, len(batch), len(batch)-ok, err)
	return ok, funcErr
}

// succeeded reads a stream batch's outcome as Lambda does: a function
// error fails the whole batch; with ReportBatchItemFailures the lowest
// reported sequence number is the checkpoint, and an empty or unknown one
// fails the whole batch.
func succeeded(batch []events.DynamoDBEventRecord, out []byte, invokeErr error, reportFailures bool) (int, string) {
	if invokeErr != nil {
		return 0, "Unhandled"
	}
	if !reportFailures {
		return len(batch), ""
	}
	var resp events.DynamoDBEventResponse
	if len(out) > 0 && json.Unmarshal(out, &resp) != nil {
		return 0, ""
	}
	ok := len(batch)
	for _, f := range resp.BatchItemFailures {
		i := slices.IndexFunc(batch, func(r events.DynamoDBEventRecord) bool {
			return f.ItemIdentifier != "" && r.Change.SequenceNumber == f.ItemIdentifier
		})
		if i < 0 {
			return 0, ""
		}
		ok = min(ok, i)
	}
	return ok, ""
}

// onFailureRecord is what Lambda sends to a stream source's OnFailure
// destination: where the discarded records are, not the records.
type onFailureRecord struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionARN            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError,omitempty"`
	} `json:"responseContext"`
	Version            string `json:"version"`
	Timestamp          string `json:"timestamp"`
	DDBStreamBatchInfo struct {
		ShardID                         string `json:"shardId"`
		StartSequenceNumber             string `json:"startSequenceNumber"`
		EndSequenceNumber               string `json:"endSequenceNumber"`
		ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
		ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
		BatchSize                       int    `json:"batchSize"`
		StreamARN                       string `json:"streamArn"`
	} `json:"DDBStreamBatchInfo"`
}

// discard gives up on records after their last retry.
func (p *streamPoller) discard(ctx context.Context, shard string, recs []events.DynamoDBEventRecord, invocations int, funcErr string) {
	first, last := recs[0], recs[len(recs)-1]
	p.r.log.Error("stream records discarded after retries", "function", p.fn.id, "table", p.src.TableID,
		"records", len(recs), "firstSequence", first.Change.SequenceNumber, "onFailure", p.src.OnFailureQueueID)
	if p.failQueue == "" {
		return
	}
	var rec onFailureRecord
	rec.RequestContext.RequestID = requestID()
	rec.RequestContext.FunctionARN = p.fn.arn
	rec.RequestContext.Condition = "RetryAttemptsExhausted"
	rec.RequestContext.ApproximateInvokeCount = invocations
	rec.ResponseContext.StatusCode = 200
	rec.ResponseContext.ExecutedVersion = "$LATEST"
	rec.ResponseContext.FunctionError = funcErr
	rec.Version = "1.0"
	rec.Timestamp = time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	info := &rec.DDBStreamBatchInfo
	info.ShardID = shard
	info.StartSequenceNumber = first.Change.SequenceNumber
	info.EndSequenceNumber = last.Change.SequenceNumber
	info.ApproximateArrivalOfFirstRecord = first.Change.ApproximateCreationDateTime.UTC().Format(time.RFC3339)
	info.ApproximateArrivalOfLastRecord = last.Change.ApproximateCreationDateTime.UTC().Format(time.RFC3339)
	info.BatchSize = len(recs)
	info.StreamARN = p.streamARN
	body, _ := json.Marshal(rec)
	if _, err := p.r.AWS.SQS.SendMessage(context.WithoutCancel(ctx), &sqs.SendMessageInput{
		QueueUrl: aws.String(p.failQueue), MessageBody: aws.String(string(body)),
	}); err != nil {
		p.r.log.Error("on-failure destination", "queue", p.src.OnFailureQueueID, "error", err.Error())
	}
}

// sweptKeys remembers the keys the TTL sweeper deleted from one table, so
// their REMOVE records can carry the service principal.
type sweptKeys struct {
	mu   sync.Mutex
	keys map[string]int
}

func (s *sweptKeys) add(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		s.keys = map[string]int{}
	}
	s.keys[key]++
}

func (s *sweptKeys) remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys[key]--; s.keys[key] <= 0 {
		delete(s.keys, key)
	}
}

// take reports whether keys were swept, forgetting them.
func (s *sweptKeys) take(keys map[string]events.DynamoDBAttributeValue) bool {
	k := streamKey(keys)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys[k] == 0 {
		return false
	}
	if s.keys[k]--; s.keys[k] == 0 {
		delete(s.keys, k)
	}
	return true
}

// streamKey renders a stream record's key attributes canonically.
func streamKey(keys map[string]events.DynamoDBAttributeValue) string {
	parts := make([]string, 0, len(keys))
	for name, v := range keys {
		var text string
		switch v.DataType() {
		case events.DataTypeString:
			text = "S:" + v.String()
		case events.DataTypeNumber:
			text = "N:" + v.Number()
		case events.DataTypeBinary:
			text = "B:" + base64.StdEncoding.EncodeToString(v.Binary())
		}
		parts = append(parts, name+"="+text)
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x00")
}
