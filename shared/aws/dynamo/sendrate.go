package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TakeSend takes one of the SES sends of the second starting at second: a conditional
// ADD on that second's counter item, which DynamoDB applies atomically across every
// mailer container, so no second counts more than limit sends (PRODUCT.md §10). It
// reports false when the second's sends are all taken. The item receives at most limit
// successful writes a second, well under a partition's 1,000, and its TTL removes it.
func (s *Store) TakeSend(ctx context.Context, second time.Time, limit int) (bool, error) {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(s.tables.Main),
		Key:                      key("SENDRATE#"+strconv.FormatInt(second.Unix(), 10), "SENDRATE"),
		UpdateExpression:         aws.String("ADD #c :one SET #ttl = if_not_exists(#ttl, :ttl)"),
		ConditionExpression:      aws.String("attribute_not_exists(#c) OR #c < :limit"),
		ExpressionAttributeNames: map[string]string{"#c": "count", "#ttl": "ttl"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": numValue(1), ":limit": numValue(int64(limit)), ":ttl": numValue(second.Add(time.Hour).Unix()),
		},
	})
	if conditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take send slot: %w", err)
	}
	return true, nil
}
