package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/outbox"
)

func outboxKey(k string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(k)}
}

// OutboxRecord reads a mail record with a consistent read, or a fault.ErrNotFound.
func (s *Store) OutboxRecord(ctx context.Context, k string) (outbox.Record, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Outbox, Key: outboxKey(k), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return outbox.Record{}, fmt.Errorf("get outbox record: %w", err)
	}
	if out.Item == nil {
		return outbox.Record{}, fault.NotFound("outbox record")
	}
	var it outboxItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return outbox.Record{}, err
	}
	return it.record(), nil
}

// MarkSent settles a pending record and takes it out of the due index. It returns outbox.ErrNotPending when another delivery settled it first.
func (s *Store) MarkSent(ctx context.Context, k string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Outbox, Key: outboxKey(k),
		UpdateExpression:          aws.String("SET #s = :sent, sentAt = :at REMOVE dueShard, dueAt"),
		ConditionExpression:       aws.String("#s = :pending"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sent": str(outbox.StatusSent), ":pending": str(outbox.StatusPending), ":at": str(at.UTC().Format(time.RFC3339Nano))},
	})
	if conditionFailed(err) {
		return outbox.ErrNotPending
	}
	return err
}

// Index byDue of the outbox table holds the records waiting for a retry, under
// dueShard "DUE#{n}", and the dead ones, under "DEAD#{n}"; dueAt is epoch milliseconds.
// Records the stream has not handed over have neither attribute (a sparse index).
const dueIndex = "byDue"

func dueShard(k string) string  { return "DUE#" + strconv.Itoa(outbox.Shard(k)) }
func deadShard(k string) string { return "DEAD#" + strconv.Itoa(outbox.Shard(k)) }
func millis(t time.Time) types.AttributeValue {
	return numValue(t.UnixMilli())
}

// Reschedule keeps a pending record pending and puts it in the due index at due.
func (s *Store) Reschedule(ctx context.Context, k string, due time.Time, attempts int, reason string) error {
	expr := "SET attempts = :a, dueShard = :shard, dueAt = :due"
	vals := map[string]types.AttributeValue{
		":a": numValue(int64(attempts)), ":shard": str(dueShard(k)), ":due": millis(due), ":pending": str(outbox.StatusPending),
	}
	if reason != "" {
		expr += ", lastError = :r"
		vals[":r"] = str(reason)
	}
	return s.updatePending(ctx, k, expr, "#s = :pending", vals)
}

// MarkDead settles a pending record as dead and lists it under the dead shards; its
// nonce stays, so that a re-driven mail derives its links again.
func (s *Store) MarkDead(ctx context.Context, k string, attempts int, reason string, at time.Time) error {
	return s.updatePending(ctx, k, "SET #s = :dead, attempts = :a, lastError = :r, dueShard = :shard, dueAt = :at", "#s = :pending",
		map[string]types.AttributeValue{
			":dead": str(outbox.StatusDead), ":a": numValue(int64(attempts)), ":r": str(reason),
			":shard": str(deadShard(k)), ":at": millis(at), ":pending": str(outbox.StatusPending),
		})
}

// Claim moves a pending record's due time from seen to until and returns the record as
// written; outbox.ErrNotPending when it is settled or another re-drive moved it first.
func (s *Store) Claim(ctx context.Context, k string, seen, until time.Time) (outbox.Record, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Outbox, Key: outboxKey(k),
		UpdateExpression:          aws.String("SET dueAt = :until"),
		ConditionExpression:       aws.String("#s = :pending AND dueAt = :seen"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":until": millis(until), ":seen": millis(seen), ":pending": str(outbox.StatusPending)},
		ReturnValues:              types.ReturnValueAllNew,
	})
	if conditionFailed(err) {
		return outbox.Record{}, outbox.ErrNotPending
	}
	if err != nil {
		return outbox.Record{}, fmt.Errorf("claim outbox record: %w", err)
	}
	var it outboxItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return outbox.Record{}, err
	}
	return it.record(), nil
}

// DueRecords queries one shard of the due index for records due at or before now, the
// earliest first.
func (s *Store) DueRecords(ctx context.Context, shard int, now time.Time, limit int) ([]outbox.Record, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.tables.Outbox, IndexName: aws.String(dueIndex),
		KeyConditionExpression:    aws.String("dueShard = :shard AND dueAt <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":shard": str("DUE#" + strconv.Itoa(shard)), ":now": millis(now)},
		Limit:                     aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("query due mail: %w", err)
	}
	return indexRecords(out.Items)
}

// DeadRecords lists the dead records of every shard (all pages), oldest death first
// within a shard; space, when set, keeps that space's only.
func (s *Store) DeadRecords(ctx context.Context, space string) ([]outbox.Record, error) {
	var recs []outbox.Record
	for shard := range outbox.DueShards {
		in := &dynamodb.QueryInput{
			TableName: &s.tables.Outbox, IndexName: aws.String(dueIndex),
			KeyConditionExpression:    aws.String("dueShard = :shard"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":shard": str("DEAD#" + strconv.Itoa(shard))},
		}
		if space != "" {
			in.FilterExpression = aws.String("#sp = :space")
			in.ExpressionAttributeNames = map[string]string{"#sp": "space"}
			in.ExpressionAttributeValues[":space"] = str(space)
		}
		for {
			out, err := s.db.Query(ctx, in)
			if err != nil {
				return nil, fmt.Errorf("query dead mail: %w", err)
			}
			page, err := indexRecords(out.Items)
			if err != nil {
				return nil, err
			}
			recs = append(recs, page...)
			if len(out.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
	}
	return recs, nil
}

// Redrive makes a dead record pending again, due at due, with a fresh set of attempts;
// outbox.ErrNotPending when it is not dead.
func (s *Store) Redrive(ctx context.Context, k string, due time.Time) error {
	return s.updatePending(ctx, k, "SET #s = :pending, attempts = :zero, dueShard = :shard, dueAt = :due", "#s = :dead",
		map[string]types.AttributeValue{
			":pending": str(outbox.StatusPending), ":dead": str(outbox.StatusDead), ":zero": numValue(0),
			":shard": str(dueShard(k)), ":due": millis(due),
		})
}

// updatePending runs one conditional update of an outbox record; a failed condition is
// outbox.ErrNotPending.
func (s *Store) updatePending(ctx context.Context, k, expr, cond string, vals map[string]types.AttributeValue) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Outbox, Key: outboxKey(k), UpdateExpression: &expr,
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: vals,
	})
	if conditionFailed(err) {
		return outbox.ErrNotPending
	}
	if err != nil {
		return fmt.Errorf("update outbox record: %w", err)
	}
	return nil
}

// indexRecords reads the due index's projection: the key, the due time and what ops
// list.
func indexRecords(items []map[string]types.AttributeValue) ([]outbox.Record, error) {
	recs := make([]outbox.Record, 0, len(items))
	for _, item := range items {
		var it outboxItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, err
		}
		recs = append(recs, it.record())
	}
	return recs, nil
}

// PutOutbox writes a mail record once; a second write of the same key is a no-op.
func (s *Store) PutOutbox(ctx context.Context, r outbox.Record) error {
	item, err := attributevalue.MarshalMap(toOutboxItem(r))
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tables.Outbox, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")})
	if conditionFailed(err) {
		return nil
	}
	return err
}
