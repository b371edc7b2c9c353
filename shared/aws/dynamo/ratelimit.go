package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/ratelimit"
)

var _ ratelimit.Counter = (*Store)(nil)

func ratePK(k string) string { return "RATE#" + k }

// AddCount adds one to a counter item with UpdateItem ADD, which DynamoDB applies
// atomically however many containers count at once; the TTL removes it after its window.
func (s *Store) AddCount(ctx context.Context, k string, expires time.Time) (int, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Main, Key: key(ratePK(k), "RATE"),
		UpdateExpression:         aws.String("ADD #c :one SET #ttl = if_not_exists(#ttl, :ttl)"),
		ExpressionAttributeNames: map[string]string{"#c": "count", "#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": numValue(1), ":ttl": numValue(expires.Unix()),
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	n, ok := out.Attributes["count"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, errors.New("count: no count returned")
	}
	return strconv.Atoi(n.Value)
}

// TakeCount adds one to a counter item on condition that its count is below max, one
// conditional write: parallel requests cannot all read "below" and all pass.
func (s *Store) TakeCount(ctx context.Context, k string, max int, expires time.Time) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Main, Key: key(ratePK(k), "RATE"),
		UpdateExpression:         aws.String("ADD #c :one SET #ttl = if_not_exists(#ttl, :ttl)"),
		ConditionExpression:      aws.String("attribute_not_exists(#c) OR #c < :max"),
		ExpressionAttributeNames: map[string]string{"#c": "count", "#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": numValue(1), ":ttl": numValue(expires.Unix()), ":max": numValue(int64(max)),
		},
	})
	if conditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take count: %w", err)
	}
	return true, nil
}

// ReturnCount takes one back from a positive count; a counter that expired meanwhile is
// not brought back as a negative one.
func (s *Store) ReturnCount(ctx context.Context, k string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Main, Key: key(ratePK(k), "RATE"),
		UpdateExpression:          aws.String("ADD #c :minus"),
		ConditionExpression:       aws.String("#c > :zero"),
		ExpressionAttributeNames:  map[string]string{"#c": "count"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":minus": numValue(-1), ":zero": numValue(0)},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("return count: %w", err)
	}
	return nil
}
