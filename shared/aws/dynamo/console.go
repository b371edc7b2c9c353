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
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/service/console"
)

var _ console.Store = (*Store)(nil)

// consoleCustomer is a customer item as the console shows it.
func consoleCustomer(it customerItem) (console.Customer, error) {
	c, err := it.customer()
	if err != nil {
		return console.Customer{}, err
	}
	out := console.Customer{
		Number: c.Number, CompanyName: c.CompanyName, SIREN: c.SIREN, Email: c.Email,
		Notification: c.Notification, Delivery: c.Delivery, Language: c.Language,
		AdminIdentifier: c.AdminID, UpdatedAt: c.UpdatedAt,
	}
	// A status recorded against an address the customer no longer has holds nothing.
	if c.MailHeld() {
		at := c.MailStatusAt
		out.MailStatus, out.MailStatusAt = c.MailStatus, &at
	}
	return out, nil
}

// ConsoleCustomer reads a customer (consistent), or a fault.ErrNotFound.
func (s *Store) ConsoleCustomer(ctx context.Context, space, number string) (console.Customer, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key(customerPK(space, number), "CUST"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return console.Customer{}, fmt.Errorf("get customer: %w", err)
	}
	if out.Item == nil {
		return console.Customer{}, fault.NotFound("customer")
	}
	var it customerItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return console.Customer{}, err
	}
	return consoleCustomer(it)
}

// customerIndexes are the main table's indexes of customers, by search.
var customerIndexes = map[console.Index]struct{ index, pk, sk, prefix string }{
	console.ByNumber: {"gsi1", "gsi1pk", "gsi1sk", "CUSTNO#"},
	console.ByName:   {"gsi2", "gsi2pk", "gsi2sk", "CUSTNAME#"},
	console.BySIREN:  {"gsi3", "gsi3pk", "gsi3sk", "CUSTSIREN#"},
	console.ByEmail:  {"gsi4", "gsi4pk", "gsi4sk", "CUSTEMAIL#"},
}

// SearchCustomers is one Query of a customer index: begins_with on the sort key within
// the space's partition (number, name), or the partition of one SIREN or address.
func (s *Store) SearchCustomers(ctx context.Context, space string, by console.Index, value, after string, limit int) ([]console.Customer, bool, error) {
	ix, ok := customerIndexes[by]
	if !ok {
		return nil, false, fmt.Errorf("search customers: no index %q", by)
	}
	in := &dynamodb.QueryInput{
		TableName: &s.tables.Main, IndexName: aws.String(ix.index),
		ExpressionAttributeNames: map[string]string{"#pk": ix.pk},
		Limit:                    aws.Int32(int32(limit)),
	}
	switch by {
	case console.ByNumber, console.ByName:
		in.KeyConditionExpression = aws.String("#pk = :pk")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":pk": str(ix.prefix + space)}
		if value != "" {
			in.KeyConditionExpression = aws.String("#pk = :pk AND begins_with(#sk, :v)")
			in.ExpressionAttributeNames["#sk"] = ix.sk
			in.ExpressionAttributeValues[":v"] = str(value)
		}
		if after != "" {
			in.ExclusiveStartKey = map[string]types.AttributeValue{
				"pk": str(customerPK(space, numberOfIndexKey(after))), "sk": str("CUST"),
				ix.pk: str(ix.prefix + space), ix.sk: str(after),
			}
		}
	default:
		in.KeyConditionExpression = aws.String("#pk = :pk")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":pk": str(ix.prefix + space + "#" + value)}
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, false, fmt.Errorf("search customers: %w", err)
	}
	items := make([]console.Customer, 0, len(out.Items))
	for _, raw := range out.Items {
		var it customerItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, false, err
		}
		c, err := consoleCustomer(it)
		if err != nil {
			return nil, false, err
		}
		items = append(items, c)
	}
	return items, out.LastEvaluatedKey != nil, nil
}

func numberOfIndexKey(k string) string {
	for i := len(k) - 1; i >= 0; i-- {
		if k[i] == '#' {
			return k[i+1:]
		}
	}
	return k
}

// maxCountPages bounds the documents a view counts: a COUNT Query reads up to 1 MB of
// items a page (some 2,000 documents) without returning them.
const maxCountPages = 20

// DocumentStats counts a company's live documents with COUNT Queries on its partition
// (no item comes back), and reads its newest live issue date with a Query newest first.
func (s *Store) DocumentStats(ctx context.Context, company string, now time.Time) (console.DocumentStats, error) {
	var st console.DocumentStats
	vals := map[string]types.AttributeValue{":pk": str(company), ":now": numValue(now.Unix())}
	in := &dynamodb.QueryInput{
		TableName: &s.tables.Documents, KeyConditionExpression: aws.String("pk = :pk"),
		FilterExpression: aws.String("#ttl > :now"), ExpressionAttributeNames: map[string]string{"#ttl": "ttl"},
		ExpressionAttributeValues: vals, Select: types.SelectCount,
	}
	for page := 0; page < maxCountPages; page++ {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return st, fmt.Errorf("count documents: %w", err)
		}
		st.Count += int(out.Count)
		if out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	last := &dynamodb.QueryInput{
		TableName: &s.tables.Documents, KeyConditionExpression: aws.String("pk = :pk"),
		FilterExpression: aws.String("#ttl > :now"), ExpressionAttributeNames: map[string]string{"#ttl": "ttl"},
		ExpressionAttributeValues: vals, ScanIndexForward: aws.Bool(false), Limit: aws.Int32(10),
		ProjectionExpression: aws.String("issueDate"),
	}
	for page := 0; page < 5 && st.Count > 0; page++ {
		out, err := s.db.Query(ctx, last)
		if err != nil {
			return st, fmt.Errorf("newest document: %w", err)
		}
		if len(out.Items) > 0 {
			if v, ok := out.Items[0]["issueDate"].(*types.AttributeValueMemberS); ok {
				st.LastIssueDate = v.Value
			}
			break
		}
		if out.LastEvaluatedKey == nil {
			break
		}
		last.ExclusiveStartKey = out.LastEvaluatedKey
	}
	return st, nil
}

// CompanyMails is one Query of the outbox index byCompany, newest first.
func (s *Store) CompanyMails(ctx context.Context, company string, limit int) ([]outbox.Record, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.tables.Outbox, IndexName: aws.String("byCompany"),
		KeyConditionExpression:    aws.String("company = :c"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(company)},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(limit)),
	})
	if err != nil {
		return nil, fmt.Errorf("company mails: %w", err)
	}
	recs := make([]outbox.Record, 0, len(out.Items))
	for _, raw := range out.Items {
		var it outboxItem
		if err := attributevalue.UnmarshalMap(raw, &it); err != nil {
			return nil, err
		}
		recs = append(recs, it.record())
	}
	return recs, nil
}

// ResendActivation is one transaction: the token, the account's mark of its newest
// activation link (active, still the company's), the mail and the audit entries.
func (s *Store) ResendActivation(ctx context.Context, r console.Resend) error {
	tok, err := attributevalue.MarshalMap(toTokenItem(r.Token))
	if err != nil {
		return err
	}
	mail, err := attributevalue.MarshalMap(toOutboxItem(r.Mail))
	if err != nil {
		return err
	}
	a := r.Account
	writes := []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.tables.Main, Key: key(accountPK(a.Identifier), "ACCT"),
			UpdateExpression:         aws.String("SET activationToken = :h, activationExpiresAt = :e"),
			ConditionExpression:      aws.String("attribute_exists(pk) AND active = :true AND #space = :s AND customerNumber = :c"),
			ExpressionAttributeNames: map[string]string{"#space": "space"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":h": str(r.Token.Hash), ":e": timeValue(r.Token.ExpiresAt), ":true": &types.AttributeValueMemberBOOL{Value: true},
				":s": str(a.Space), ":c": str(a.CustomerNumber),
			},
		}},
		{Put: &types.Put{TableName: &s.tables.Main, Item: tok, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Put: &types.Put{TableName: &s.tables.Outbox, Item: mail, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
	}
	for _, e := range r.Audit {
		item, err := attributevalue.MarshalMap(toAuditItem(e))
		if err != nil {
			return err
		}
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{TableName: &s.tables.Main, Item: item}})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if failed, ok := canceledAt(err); ok && failed[0] {
		return console.ErrAccountChanged
	}
	if err != nil {
		return fmt.Errorf("resend activation: %w", err)
	}
	return nil
}
