package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/audit"
)

var _ audit.Store = (*Store)(nil)

type auditItem struct {
	PK     string    `dynamodbav:"pk"`
	SK     string    `dynamodbav:"sk"`
	At     time.Time `dynamodbav:"at"`
	Actor  string    `dynamodbav:"actor,omitempty"`
	Action string    `dynamodbav:"action"`
	Target string    `dynamodbav:"target,omitempty"`
	Detail string    `dynamodbav:"detail,omitempty"`
	TTL    int64     `dynamodbav:"ttl"`
}

func auditPK(company string) string { return "AUDIT#" + company }

func toAuditItem(e audit.Entry) auditItem {
	return auditItem{
		PK: auditPK(e.Company), SK: e.SortKey, At: e.At.UTC(), Actor: e.Actor, Action: e.Action,
		Target: e.Target, Detail: e.Detail, TTL: e.ExpiresAt.Unix(),
	}
}

func (it auditItem) entry() audit.Entry {
	return audit.Entry{
		Company: it.PK[len("AUDIT#"):], SortKey: it.SK, At: it.At, Actor: it.Actor, Action: it.Action,
		Target: it.Target, Detail: it.Detail, ExpiresAt: time.Unix(it.TTL, 0).UTC(),
	}
}

// PutAudit writes one entry.
func (s *Store) PutAudit(ctx context.Context, e audit.Entry) error {
	item, err := attributevalue.MarshalMap(toAuditItem(e))
	if err != nil {
		return err
	}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.tables.Main, Item: item}); err != nil {
		return fmt.Errorf("put audit entry: %w", err)
	}
	return nil
}

// AuditPage is one Query on the company's partition, newest first, reading limit+1
// items so the last page is known without an extra call. Entries past their retention
// but not yet swept by the TTL are left out.
func (s *Store) AuditPage(ctx context.Context, company, after string, limit int) ([]audit.Entry, string, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.tables.Main,
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(auditPK(company))},
		ScanIndexForward:          aws.Bool(false),
		Limit:                     aws.Int32(int32(limit + 1)),
	}
	if after != "" {
		in.ExclusiveStartKey = key(auditPK(company), after)
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query audit: %w", err)
	}
	now := s.now()
	var entries []audit.Entry
	next, last := "", ""
	for i, item := range out.Items {
		if i == limit {
			next = last
			break
		}
		var it auditItem
		if err := attributevalue.UnmarshalMap(item, &it); err != nil {
			return nil, "", err
		}
		last = it.SK
		if e := it.entry(); e.ExpiresAt.After(now) {
			entries = append(entries, e)
		}
	}
	return entries, next, nil
}
