package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/sessions"
)

var _ sessions.Store = (*Store)(nil)

type sessionItem struct {
	PK             string    `dynamodbav:"pk"`
	SK             string    `dynamodbav:"sk"`
	Identifier     string    `dynamodbav:"identifier"`
	Space          string    `dynamodbav:"space"`
	CustomerNumber string    `dynamodbav:"customerNumber"`
	Epoch          int64     `dynamodbav:"epoch"`
	CreatedAt      time.Time `dynamodbav:"createdAt"`
	LastSeenAt     time.Time `dynamodbav:"lastSeenAt"`
	ExpiresAt      time.Time `dynamodbav:"expiresAt"`
	TTL            int64     `dynamodbav:"ttl"`
}

func sessionPK(hash string) string { return "SESS#" + hash }

func toSessionItem(s sessions.Session) sessionItem {
	return sessionItem{
		PK: sessionPK(s.Hash), SK: "SESS", Identifier: s.Identifier, Space: s.Space, CustomerNumber: s.CustomerNumber,
		Epoch: s.Epoch, CreatedAt: s.CreatedAt.UTC(), LastSeenAt: s.LastSeenAt.UTC(), ExpiresAt: s.ExpiresAt.UTC(),
		TTL: s.ExpiresAt.Unix(),
	}
}

func (it sessionItem) session() sessions.Session {
	return sessions.Session{
		Hash: it.PK[len("SESS#"):], Identifier: it.Identifier, Space: it.Space, CustomerNumber: it.CustomerNumber,
		Epoch: it.Epoch, CreatedAt: it.CreatedAt, LastSeenAt: it.LastSeenAt, ExpiresAt: it.ExpiresAt,
	}
}

// Session reads a session by its hash with a consistent read, so a logout holds at once.
func (s *Store) Session(ctx context.Context, hash string) (sessions.Session, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key(sessionPK(hash), "SESS"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return sessions.Session{}, fmt.Errorf("get session: %w", err)
	}
	if out.Item == nil {
		return sessions.Session{}, fault.NotFound("session")
	}
	var it sessionItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return sessions.Session{}, err
	}
	return it.session(), nil
}

// TouchSession sets lastSeenAt unless the session vanished meanwhile.
func (s *Store) TouchSession(ctx context.Context, hash string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Main, Key: key(sessionPK(hash), "SESS"),
		UpdateExpression:          aws.String("SET lastSeenAt = :t"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": timeValue(at)},
	})
	if conditionFailed(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession deletes a session; deleting a missing one succeeds.
func (s *Store) DeleteSession(ctx context.Context, hash string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.tables.Main, Key: key(sessionPK(hash), "SESS")})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}
