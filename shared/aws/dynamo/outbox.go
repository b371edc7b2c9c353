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

// MarkSent settles a pending record and erases the secret it carried. It returns
// outbox.ErrNotPending when another delivery settled it first.
func (s *Store) MarkSent(ctx context.Context, k string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Outbox, Key: outboxKey(k),
		UpdateExpression:          aws.String("SET #s = :sent, sentAt = :at REMOVE secret"),
		ConditionExpression:       aws.String("#s = :pending"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":sent": str(outbox.StatusSent), ":pending": str(outbox.StatusPending), ":at": str(at.UTC().Format(time.RFC3339Nano))},
	})
	if conditionFailed(err) {
		return outbox.ErrNotPending
	}
	return err
}

// MarkFailed records a failed attempt; dead settles the record for good (secret erased).
func (s *Store) MarkFailed(ctx context.Context, k string, attempts int, reason string, dead bool) error {
	expr := "SET attempts = :a, lastError = :r"
	vals := map[string]types.AttributeValue{
		":a": &types.AttributeValueMemberN{Value: strconv.Itoa(attempts)}, ":r": str(reason), ":pending": str(outbox.StatusPending),
	}
	if dead {
		expr = "SET attempts = :a, lastError = :r, #s = :dead REMOVE secret"
		vals[":dead"] = str(outbox.StatusDead)
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Outbox, Key: outboxKey(k), UpdateExpression: &expr,
		ConditionExpression:       aws.String("#s = :pending"),
		ExpressionAttributeNames:  map[string]string{"#s": "status"},
		ExpressionAttributeValues: vals,
	})
	if conditionFailed(err) {
		return outbox.ErrNotPending
	}
	return err
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
