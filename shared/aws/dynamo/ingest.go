package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/service/ingest"
)

var _ ingest.Store = (*Store)(nil)

// ClaimOf returns the SHA-256 of the document filed under a company's number, or "".
func (s *Store) ClaimOf(ctx context.Context, company, number string) (string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key(claimPK(company, number), "DOCNUM"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("get claim: %w", err)
	}
	if v, ok := out.Item["sha256"].(*types.AttributeValueMemberS); ok {
		return v.Value, nil
	}
	return "", nil
}

// maxIdentifierTries bounds the search for a free "_N" identifier.
const maxIdentifierTries = 50

// File writes the document, its number claim, its mails and, when due, the registered
// admin account with its activation token and mail, in one transaction (DATA.md).
func (s *Store) File(ctx context.Context, req ingest.FileRequest) (bool, error) {
	d := req.Document
	company := documents.Company(d.Space, d.CustomerNumber)
	n := 0
	for tries := 0; tries < maxIdentifierTries; tries++ {
		items, accountAt, customerAt, err := s.fileItems(req, n)
		if err != nil {
			return false, err
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return true, nil
		}
		failed, ok := canceledAt(err)
		if !ok {
			return false, fmt.Errorf("file document: %w", err)
		}
		switch {
		case failed[0] || failed[1]:
			sum, err := s.ClaimOf(ctx, company, d.Number)
			if err != nil {
				return false, err
			}
			if sum == d.SHA256 {
				return false, nil
			}
			return false, ingest.ErrConflict
		case customerAt >= 0 && failed[customerAt]:
			// Another delivery already created this e-mail's registered admin.
			req.Activation = nil
		case accountAt >= 0 && failed[accountAt]:
			if n == 0 {
				if n, err = s.identifierHint(ctx, req.Activation.Email); err != nil {
					return false, err
				}
			} else {
				n++
			}
		default:
			return false, fmt.Errorf("file document: %w", err)
		}
	}
	return false, errors.New("file document: no free identifier found")
}

// fileItems builds the transaction; it returns where the account and customer items sit
// (-1 when absent) so a cancellation can be read.
func (s *Store) fileItems(req ingest.FileRequest, n int) ([]types.TransactWriteItem, int, int, error) {
	d := req.Document
	company := documents.Company(d.Space, d.CustomerNumber)
	notExists := aws.String("attribute_not_exists(pk)")
	put := func(table string, v any) (types.TransactWriteItem, error) {
		item, err := attributevalue.MarshalMap(v)
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table), Item: item, ConditionExpression: notExists}}, nil
	}
	var items []types.TransactWriteItem
	add := func(table string, v any) error {
		it, err := put(table, v)
		items = append(items, it)
		return err
	}
	if err := add(s.tables.Main, claimItem{PK: claimPK(company, d.Number), SK: "DOCNUM", SHA256: d.SHA256, DocSK: d.SortKey(), TTL: d.ExpiresAt.Unix()}); err != nil {
		return nil, 0, 0, err
	}
	if err := add(s.tables.Documents, toDocumentItem(d)); err != nil {
		return nil, 0, 0, err
	}
	accountAt, customerAt := -1, -1
	if a := req.Activation; a != nil {
		identifier := accounts.CandidateIdentifier(a.Email, n)
		acct, tok, mail := a.Make(identifier)
		accountAt = len(items)
		if err := add(s.tables.Main, toAccountItem(acct)); err != nil {
			return nil, 0, 0, err
		}
		customerAt = len(items)
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName:           &s.tables.Main,
			Key:                 key(customerPK(d.Space, d.CustomerNumber), "CUST"),
			UpdateExpression:    aws.String("SET adminEmail = :e, adminIdentifier = :i"),
			ConditionExpression: aws.String("attribute_exists(pk) AND (attribute_not_exists(adminEmail) OR adminEmail <> :e)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":e": str(accounts.Key(a.Email)), ":i": str(identifier),
			},
		}})
		if err := add(s.tables.Main, toTokenItem(tok)); err != nil {
			return nil, 0, 0, err
		}
		if err := add(s.tables.Outbox, toOutboxItem(mail)); err != nil {
			return nil, 0, 0, err
		}
		if n > 0 {
			items = append(items, types.TransactWriteItem{Put: &types.Put{
				TableName: &s.tables.Main,
				Item: map[string]types.AttributeValue{
					"pk": str("EMAILIDS#" + accounts.Key(a.Email)), "sk": str("EMAILIDS"),
					"next": &types.AttributeValueMemberN{Value: strconv.Itoa(n + 1)},
				},
			}})
		}
		if a.PreviousAdmin != "" && accounts.Key(a.PreviousAdmin) != accounts.Key(identifier) {
			// The replaced registered admin stops working at once: bumping the epoch ends its sessions.
			items = append(items, types.TransactWriteItem{Update: &types.Update{
				TableName:           &s.tables.Main,
				Key:                 key(accountPK(a.PreviousAdmin), "ACCT"),
				UpdateExpression:    aws.String("SET active = :f, registeredAdmin = :f, sessionEpoch = sessionEpoch + :one"),
				ConditionExpression: aws.String("attribute_exists(pk)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":f": &types.AttributeValueMemberBOOL{Value: false}, ":one": &types.AttributeValueMemberN{Value: "1"},
				},
			}})
		}
	}
	for _, m := range req.Mails {
		if err := add(s.tables.Outbox, toOutboxItem(m)); err != nil {
			return nil, 0, 0, err
		}
	}
	if req.Digest {
		q, err := attributevalue.MarshalMap(toDigestEntry(d))
		if err != nil {
			return nil, 0, 0, err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.tables.Main, Item: q}}, digestDue(s.tables.Main, d.Space, d.CustomerNumber, 1))
	}
	return items, accountAt, customerAt, nil
}

// identifierHint returns the first "_N" worth trying for an e-mail.
func (s *Store) identifierHint(ctx context.Context, email string) (int, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key("EMAILIDS#"+accounts.Key(email), "EMAILIDS"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return 0, err
	}
	if v, ok := out.Item["next"].(*types.AttributeValueMemberN); ok {
		if n, err := strconv.Atoi(v.Value); err == nil && n > 0 {
			return n, nil
		}
	}
	return 1, nil
}
