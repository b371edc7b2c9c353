package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/spaces"
)

// spaceTTL bounds how stale a container's copy of a space may be after ops apply a file.
const spaceTTL = time.Minute

type cachedSpace struct {
	space spaces.Space
	until time.Time
}

// Space returns a space's settings, or a fault.ErrNotFound.
func (s *Store) Space(ctx context.Context, id string) (spaces.Space, error) {
	now := s.now()
	s.mu.Lock()
	c, ok := s.spaces[id]
	s.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.space, nil
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Main, Key: key("SPACE#"+id, "SPACE")})
	if err != nil {
		return spaces.Space{}, fmt.Errorf("get space %s: %w", id, err)
	}
	if out.Item == nil {
		return spaces.Space{}, fault.NotFound("space")
	}
	cfg, ok := out.Item["config"].(*types.AttributeValueMemberS)
	if !ok {
		return spaces.Space{}, fmt.Errorf("space %s: no config", id)
	}
	var sp spaces.Space
	if err := json.Unmarshal([]byte(cfg.Value), &sp); err != nil {
		return spaces.Space{}, fmt.Errorf("space %s: %w", id, err)
	}
	if err := sp.Normalize(); err != nil {
		return spaces.Space{}, fmt.Errorf("space %s: %w", id, err)
	}
	s.mu.Lock()
	s.spaces[id] = cachedSpace{space: sp, until: now.Add(spaceTTL)}
	s.mu.Unlock()
	return sp, nil
}

// PutSpace stores a normalised space; applying the same file twice changes nothing.
func (s *Store) PutSpace(ctx context.Context, sp spaces.Space) error {
	cfg, err := json.Marshal(sp)
	if err != nil {
		return err
	}
	item := key("SPACE#"+sp.ID, "SPACE")
	item["config"] = str(string(cfg))
	item["updatedAt"] = str(s.now().UTC().Format(time.RFC3339))
	// Listed under one index key, so the hourly digest finds every space without a Scan.
	item["gsi1pk"], item["gsi1sk"] = str("SPACES"), str(sp.ID)
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tables.Main, Item: item})
	return err
}

// Spaces returns every space, for the hourly digest.
func (s *Store) Spaces(ctx context.Context) ([]spaces.Space, error) {
	var out []spaces.Space
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.tables.Main, IndexName: aws.String("gsi1"),
		KeyConditionExpression:    aws.String("gsi1pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str("SPACES")},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list spaces: %w", err)
		}
		for _, it := range page.Items {
			cfg, ok := it["config"].(*types.AttributeValueMemberS)
			if !ok {
				continue
			}
			var sp spaces.Space
			if err := json.Unmarshal([]byte(cfg.Value), &sp); err != nil {
				return nil, err
			}
			if err := sp.Normalize(); err != nil {
				return nil, err
			}
			out = append(out, sp)
		}
	}
	return out, nil
}
