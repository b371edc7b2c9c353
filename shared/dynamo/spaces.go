package dynamo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/spaces"
)

// spaceTTL bounds how stale a container's copy of a space may be after ops apply a file.
const spaceTTL = time.Minute

type cachedSpace struct {
	space spaces.Space
	until time.Time
}

// Space returns a space's settings, or spaces.ErrNotFound.
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
		return spaces.Space{}, spaces.ErrNotFound
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
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tables.Main, Item: item})
	return err
}
