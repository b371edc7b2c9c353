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

// Count reads a counter item; a missing one counts 0.
func (s *Store) Count(ctx context.Context, k string) (int, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key(ratePK(k), "RATE"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, fmt.Errorf("read count: %w", err)
	}
	n, ok := out.Item["count"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	return strconv.Atoi(n.Value)
}
