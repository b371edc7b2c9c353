package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/tokens"
	"github.com/efacture/efacture/shared/service/listing"
)

var _ listing.Store = (*Store)(nil)

// byNumberIndex is the documents table's (company, number) index.
const byNumberIndex = "byNumber"

// afterLastDay bounds a sort-key range to the end of a day: '$' sorts right after the
// '#' that ends the date in {issueDate}#{number}.
const afterLastDay = "$"

// liveFilter keeps the documents not yet expired at :now; DynamoDB's TTL deletes days late.
const liveFilter = "#ttl > :now"

func epoch(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.Unix(), 10)}
}

// documentsQuery is a Query of a company's unexpired documents, newest first: by issue
// date within w, or, with number set, on the number index (w then filters when given).
func (s *Store) documentsQuery(company string, byNumber bool, number string, exact bool, w *listing.Window, typ string, now time.Time) *dynamodb.QueryInput {
	names := map[string]string{"#pk": "pk", "#ttl": "ttl"}
	values := map[string]types.AttributeValue{":c": str(company), ":now": epoch(now)}
	filters := []string{liveFilter}
	in := &dynamodb.QueryInput{TableName: &s.tables.Documents, ScanIndexForward: aws.Bool(false)}
	if byNumber {
		in.IndexName = aws.String(byNumberIndex)
		names["#number"] = "number"
		values[":n"] = str(number)
		if exact {
			in.KeyConditionExpression = aws.String("#pk = :c AND #number = :n")
		} else {
			in.KeyConditionExpression = aws.String("#pk = :c AND begins_with(#number, :n)")
		}
		if w != nil {
			names["#issueDate"] = "issueDate"
			values[":from"], values[":to"] = str(w.From), str(w.To)
			filters = append(filters, "#issueDate BETWEEN :from AND :to")
		}
	} else {
		names["#sk"] = "sk"
		values[":from"], values[":to"] = str(w.From), str(w.To+afterLastDay)
		in.KeyConditionExpression = aws.String("#pk = :c AND #sk BETWEEN :from AND :to")
	}
	if typ != "" {
		names["#type"] = "type"
		values[":type"] = str(typ)
		filters = append(filters, "#type = :type")
	}
	in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	in.ExpressionAttributeNames, in.ExpressionAttributeValues = names, values
	return in
}

// ListDocuments runs one page of a listing as a single Query (PRODUCT.md §7). It reads at most
// q.Limit+1 items so that a full page knows whether another follows.
func (s *Store) ListDocuments(ctx context.Context, q listing.Query) (listing.Page, error) {
	var w *listing.Window
	if q.HasWindow {
		w = &q.Window
	}
	in := s.documentsQuery(q.Company, q.ByNumber, q.Number, q.Exact, w, q.Type, q.Now)
	in.Limit = aws.Int32(int32(q.Limit + 1))
	if a := q.After; a != nil {
		in.ExclusiveStartKey = key(q.Company, a.SK)
		if q.ByNumber {
			in.ExclusiveStartKey["number"] = str(a.Number)
		}
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return listing.Page{}, fmt.Errorf("list documents: %w", err)
	}
	page := listing.Page{Items: make([]documents.Document, 0, min(len(out.Items), q.Limit))}
	for i, raw := range out.Items {
		if i == q.Limit {
			last := page.Items[q.Limit-1]
			page.Next = &listing.Key{SK: last.SortKey()}
			if q.ByNumber {
				page.Next.Number = last.Number
			}
			return page, nil
		}
		d, err := unmarshalDocument(raw)
		if err != nil {
			return listing.Page{}, err
		}
		page.Items = append(page.Items, d)
	}
	// A short page may still stop before the end: filters and the 1 MB page size leave
	// items unread, which the next page starts after.
	if lek := out.LastEvaluatedKey; lek != nil {
		page.Next = &listing.Key{SK: attrString(lek["sk"])}
		if q.ByNumber {
			page.Next.Number = attrString(lek["number"])
		}
	}
	return page, nil
}

func attrString(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func unmarshalDocument(raw map[string]types.AttributeValue) (documents.Document, error) {
	var it documentItem
	if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
		return documents.Document{}, fmt.Errorf("decode document: %w", err)
	}
	return it.document(), nil
}

// LiveDocument returns a company's document by sort key, or a fault.ErrNotFound when
// there is none or it has expired at now (its item may outlive expiry by days).
func (s *Store) LiveDocument(ctx context.Context, company, sortKey string, now time.Time) (documents.Document, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Documents, Key: key(company, sortKey)})
	if err != nil {
		return documents.Document{}, fmt.Errorf("get document: %w", err)
	}
	if out.Item == nil {
		return documents.Document{}, fault.NotFound("document")
	}
	d, err := unmarshalDocument(out.Item)
	if err != nil {
		return documents.Document{}, err
	}
	if !d.ExpiresAt.After(now) {
		return documents.Document{}, fault.NotFound("document")
	}
	return d, nil
}

// MarkDownloaded sets downloadedAt on the first portal download only; a document deleted
// meanwhile is a fault.ErrNotFound.
func (s *Store) MarkDownloaded(ctx context.Context, company, sortKey string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.tables.Documents,
		Key:                       key(company, sortKey),
		UpdateExpression:          aws.String("SET #d = if_not_exists(#d, :at)"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeNames:  map[string]string{"#d": "downloadedAt"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(at.UTC().Format(time.RFC3339Nano))},
	})
	if conditionFailed(err) {
		return fault.NotFound("document")
	}
	if err != nil {
		return fmt.Errorf("mark downloaded: %w", err)
	}
	return nil
}

// LinkToken returns the no-login link stored under hash, or a fault.ErrNotFound.
func (s *Store) LinkToken(ctx context.Context, hash string) (tokens.Record, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Main, Key: key("TOKEN#"+hash, "TOKEN")})
	if err != nil {
		return tokens.Record{}, fmt.Errorf("get link: %w", err)
	}
	if out.Item == nil {
		return tokens.Record{}, fault.NotFound("link")
	}
	var it tokenItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return tokens.Record{}, fmt.Errorf("decode link: %w", err)
	}
	if it.Kind != tokens.KindLink {
		return tokens.Record{}, fault.NotFound("link")
	}
	return it.record(), nil
}

// PutLinkToken stores a no-login link; a hash already stored is an error.
func (s *Store) PutLinkToken(ctx context.Context, r tokens.Record) error {
	if r.Kind != tokens.KindLink {
		return errors.New("put link: not a link token")
	}
	item, err := attributevalue.MarshalMap(toTokenItem(r))
	if err != nil {
		return err
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.tables.Main, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)"),
	})
	if err != nil {
		return fmt.Errorf("put link: %w", err)
	}
	return nil
}

// RegisteredEmail reads a customer's registered e-mail, "" when it has none or the
// customer is unknown.
func (s *Store) RegisteredEmail(ctx context.Context, space, customerNumber string) (string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key(customerPK(space, customerNumber), "CUST"),
		ProjectionExpression: aws.String("email"),
	})
	if err != nil {
		return "", fmt.Errorf("get registered e-mail: %w", err)
	}
	var it struct {
		Email string `dynamodbav:"email"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return "", fmt.Errorf("decode registered e-mail: %w", err)
	}
	return it.Email, nil
}
