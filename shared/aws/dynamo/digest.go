package dynamo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/tokens"
	"github.com/efacture/efacture/shared/service/digest"
)

var _ digest.Store = (*Store)(nil)

// digestEntryItem queues a document for its customer's next digest (DATA.md).
type digestEntryItem struct {
	PK        string `dynamodbav:"pk"`
	SK        string `dynamodbav:"sk"`
	Number    string `dynamodbav:"number"`
	Type      string `dynamodbav:"type"`
	IssueDate string `dynamodbav:"issueDate"`
	Amount    string `dynamodbav:"amount,omitempty"`
	Currency  string `dynamodbav:"currency,omitempty"`
	Duplicate bool   `dynamodbav:"duplicate"`
	Copy      bool   `dynamodbav:"copy"`
	TTL       int64  `dynamodbav:"ttl"`
}

func toDigestEntry(d documents.Document) digestEntryItem {
	return digestEntryItem{
		PK: "DIGESTQ#" + documents.Company(d.Space, d.CustomerNumber), SK: d.IngestedAt.UTC().Format(time.RFC3339Nano) + "#" + d.Number,
		Number: d.Number, Type: d.Type, IssueDate: d.IssueDate, Amount: d.Amount, Currency: d.Currency,
		Duplicate: d.Duplicate, Copy: d.Copy, TTL: d.ExpiresAt.Unix(),
	}
}

// DigestDueShards spreads a space's digest due counters over this many partitions, so
// that month-end ingestion of one space has no hot key (PRODUCT.md §10).
const DigestDueShards = 16

// digestDueKey is a company's due counter: its partition is one shard of the space's,
// chosen by a hash of the customer number.
func digestDueKey(space, customer string) map[string]types.AttributeValue {
	h := fnv.New32a()
	h.Write([]byte(customer))
	return key(digestDuePartition(space, int(h.Sum32()%DigestDueShards)), customer)
}

func digestDuePartition(space string, shard int) string {
	return "DIGESTDUE#" + space + "#" + strconv.Itoa(shard)
}

// digestDue adds n (negative to settle) to a company's count of queued entries; the
// digest lists companies whose count is positive. A counter, not a flag, so an entry
// queued while a digest is being committed is never forgotten.
func digestDue(table, space, customer string, n int) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &table, Key: digestDueKey(space, customer),
		UpdateExpression:          aws.String("ADD pending :n"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":n": &types.AttributeValueMemberN{Value: strconv.Itoa(n)}},
	}}
}

// clearDigestDue deletes a company's due counter once it is back to zero, so the space's
// due partitions hold only companies with queued documents and the hourly Query reads no
// more. An entry queued meanwhile fails the condition, or recreates the counter with its
// ADD, so nothing is forgotten.
func (s *Store) clearDigestDue(ctx context.Context, space, customer string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.tables.Main, Key: digestDueKey(space, customer),
		ConditionExpression:       aws.String("pending <= :z"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":z": &types.AttributeValueMemberN{Value: "0"}},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("clear digest due: %w", err)
	}
	return nil
}

// Due lists the customers of a space with queued documents, reading each shard of the
// space's due counters.
func (s *Store) Due(ctx context.Context, space string) ([]string, error) {
	var out []string
	for shard := range DigestDueShards {
		p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
			TableName: &s.tables.Main, KeyConditionExpression: aws.String("pk = :p"), FilterExpression: aws.String("pending > :z"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": str(digestDuePartition(space, shard)), ":z": &types.AttributeValueMemberN{Value: "0"}},
			ConsistentRead:            aws.Bool(true),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("digest due: %w", err)
			}
			for _, it := range page.Items {
				if v, ok := it["sk"].(*types.AttributeValueMemberS); ok {
					out = append(out, v.Value)
				}
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Entries returns a company's queued documents, oldest first.
func (s *Store) Entries(ctx context.Context, company string) ([]digest.Entry, error) {
	var out []digest.Entry
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.tables.Main, KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": str("DIGESTQ#" + company)},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("digest entries: %w", err)
		}
		for _, raw := range page.Items {
			var it digestEntryItem
			if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
				return nil, err
			}
			out = append(out, digest.Entry{Key: it.SK, Number: it.Number, Type: it.Type, IssueDate: it.IssueDate,
				Amount: it.Amount, Currency: it.Currency, Duplicate: it.Duplicate, Copy: it.Copy})
		}
	}
	return out, nil
}

func splitCompany(company string) (space, customer string) {
	space, customer, _ = strings.Cut(company, "#")
	return space, customer
}

// Commit writes a digest mail, its link tokens and the digest bookkeeping, and dequeues
// its entries, in one transaction. It returns digest.ErrAlreadySent when the mail's key
// exists.
func (s *Store) Commit(ctx context.Context, company string, mail outbox.Record, links []tokens.Record, entries []digest.Entry, done bool, at time.Time) error {
	space, customer := splitCompany(company)
	m, err := attributevalue.MarshalMap(toOutboxItem(mail))
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.tables.Outbox, Item: m, ConditionExpression: aws.String("attribute_not_exists(pk)")}}}
	for _, l := range links {
		t, err := attributevalue.MarshalMap(toTokenItem(l))
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.tables.Main, Item: t}})
	}
	for _, e := range entries {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.tables.Main, Key: key("DIGESTQ#"+company, e.Key)}})
	}
	items = append(items, digestDue(s.tables.Main, space, customer, -len(entries)))
	items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.tables.Main, Item: map[string]types.AttributeValue{
		"pk": str("DIGEST#" + company), "sk": str("DIGEST"), "lastDigestAt": str(at.UTC().Format(time.RFC3339)),
	}}})
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := canceledAt(err); ok && failed[0] {
		return digest.ErrAlreadySent
	}
	if err != nil {
		return fmt.Errorf("commit digest: %w", err)
	}
	if done {
		return s.clearDigestDue(ctx, space, customer)
	}
	return nil
}

// Drop dequeues entries that will never be mailed.
func (s *Store) Drop(ctx context.Context, company string, entries []digest.Entry) error {
	space, customer := splitCompany(company)
	for start := 0; start < len(entries) || start == 0; start += 90 {
		chunk := entries[start:min(len(entries), start+90)]
		var items []types.TransactWriteItem
		for _, e := range chunk {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.tables.Main, Key: key("DIGESTQ#"+company, e.Key)}})
		}
		if len(chunk) == 0 {
			// No entries behind a positive count: reset it so the company stops being listed.
			_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: &s.tables.Main, Key: digestDueKey(space, customer),
				UpdateExpression:          aws.String("SET pending = :z"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":z": &types.AttributeValueMemberN{Value: "0"}},
			})
			if err != nil {
				return err
			}
			return s.clearDigestDue(ctx, space, customer)
		}
		items = append(items, digestDue(s.tables.Main, space, customer, -len(chunk)))
		if _, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
			return fmt.Errorf("drop digest entries: %w", err)
		}
	}
	return s.clearDigestDue(ctx, space, customer)
}
