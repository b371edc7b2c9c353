package dynamo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
)

type customerItem struct {
	Space           string    `dynamodbav:"space"`
	CustomerNumber  string    `dynamodbav:"customerNumber"`
	CompanyName     string    `dynamodbav:"companyName,omitempty"`
	SIREN           string    `dynamodbav:"siren,omitempty"`
	Email           string    `dynamodbav:"email,omitempty"`
	Notification    string    `dynamodbav:"notification,omitempty"`
	Delivery        string    `dynamodbav:"delivery,omitempty"`
	Language        string    `dynamodbav:"language,omitempty"`
	MailStatus      string    `dynamodbav:"mailStatus,omitempty"`
	MailStatusAt    string    `dynamodbav:"mailStatusAt,omitempty"`
	MailStatusEmail string    `dynamodbav:"mailStatusEmail,omitempty"`
	AdminEmail      string    `dynamodbav:"adminEmail,omitempty"`
	AdminIdentifier string    `dynamodbav:"adminIdentifier,omitempty"`
	UpdatedAt       time.Time `dynamodbav:"updatedAt"`
}

func customerPK(space, number string) string { return "CUST#" + documents.Company(space, number) }

// customerIndex are the index keys of a customer's item (docs/DATA.md): number prefix
// (gsi1), company-name prefix (gsi2), SIREN (gsi3) and e-mail (gsi4), all within its
// space. A blank value means no entry in that index.
func customerIndex(c customers.Customer) []struct{ name, val string } {
	name, siren, email := customers.NameKey(c.CompanyName, c.Number), "", ""
	namePK := ""
	if name != "" {
		namePK = "CUSTNAME#" + c.Space
	}
	if c.SIREN != "" {
		siren = "CUSTSIREN#" + c.Space + "#" + c.SIREN
	}
	if c.Email != "" {
		email = "CUSTEMAIL#" + c.Space + "#" + strings.ToLower(c.Email)
	}
	num := func(v string) string {
		if v == "" {
			return ""
		}
		return c.Number
	}
	return []struct{ name, val string }{
		{"gsi1pk", "CUSTNO#" + c.Space}, {"gsi1sk", customers.NumberKey(c.Number)},
		{"gsi2pk", namePK}, {"gsi2sk", name},
		{"gsi3pk", siren}, {"gsi3sk", num(siren)},
		{"gsi4pk", email}, {"gsi4sk", num(email)},
	}
}

// Customer returns a customer, or a fault.ErrNotFound.
func (s *Store) Customer(ctx context.Context, space, number string) (customers.Customer, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key(customerPK(space, number), "CUST"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return customers.Customer{}, fmt.Errorf("get customer: %w", err)
	}
	if out.Item == nil {
		return customers.Customer{}, fault.NotFound("customer")
	}
	var it customerItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return customers.Customer{}, err
	}
	return it.customer()
}

func (it customerItem) customer() (customers.Customer, error) {
	c := customers.Customer{
		Space: it.Space, Number: it.CustomerNumber, CompanyName: it.CompanyName, SIREN: it.SIREN,
		Email: it.Email, Notification: it.Notification, Delivery: it.Delivery, Language: it.Language,
		MailStatus: it.MailStatus, MailStatusEmail: it.MailStatusEmail,
		AdminEmail: it.AdminEmail, AdminID: it.AdminIdentifier, UpdatedAt: it.UpdatedAt,
	}
	if it.MailStatusAt != "" {
		var err error
		if c.MailStatusAt, err = time.Parse(time.RFC3339, it.MailStatusAt); err != nil {
			return customers.Customer{}, fmt.Errorf("customer %s: mailStatusAt: %w", it.CustomerNumber, err)
		}
	}
	return c, nil
}

// mailStatusLayout writes mailStatusAt in RFC 3339 UTC with milliseconds, the precision
// SES gives its event times.
const mailStatusLayout = "2006-01-02T15:04:05.000Z"

// statusAt matches mailStatusAt as written at at, in this layout or, for items written
// before it, in whole seconds.
func statusAt(at time.Time) (string, map[string]types.AttributeValue) {
	at = at.UTC()
	return "mailStatusAt IN (:at1, :at2)", map[string]types.AttributeValue{
		":at1": str(at.Format(mailStatusLayout)), ":at2": str(at.Format(time.RFC3339)),
	}
}

// SetMailStatus records what SES said of a customer's registered e-mail at at. It returns
// a conflict fault, writing nothing, when the customer does not exist (a stray event never
// creates one) or email is no longer its registered e-mail.
func (s *Store) SetMailStatus(ctx context.Context, space, number, email, status string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Main, Key: key(customerPK(space, number), "CUST"),
		UpdateExpression:    aws.String("SET mailStatus = :s, mailStatusAt = :at, mailStatusEmail = :e"),
		ConditionExpression: aws.String("attribute_exists(pk) AND email = :e"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":s": str(status), ":at": str(at.UTC().Format(mailStatusLayout)), ":e": str(email),
		},
	})
	if conditionFailed(err) {
		return fault.New(fault.CodeConflict, "customer gone or registered e-mail changed")
	}
	return err
}

// ClearMailStatus removes the mail status recorded at seenAt, writing entries in the
// same transaction. It returns a conflict fault when the status changed
// since it was read (a newer event, or another clear).
func (s *Store) ClearMailStatus(ctx context.Context, space, number string, seenAt time.Time, entries ...audit.Entry) error {
	cond, values := statusAt(seenAt)
	update := &types.Update{
		TableName: &s.tables.Main, Key: key(customerPK(space, number), "CUST"),
		UpdateExpression:    aws.String("REMOVE mailStatus, mailStatusAt, mailStatusEmail"),
		ConditionExpression: aws.String(cond), ExpressionAttributeValues: values,
	}
	if len(entries) == 0 {
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: update.TableName, Key: update.Key, UpdateExpression: update.UpdateExpression,
			ConditionExpression: update.ConditionExpression, ExpressionAttributeValues: values,
		})
		if conditionFailed(err) {
			return fault.New(fault.CodeConflict, "mail status changed")
		}
		return err
	}
	items := []types.TransactWriteItem{{Update: update}}
	for _, e := range entries {
		item, err := attributevalue.MarshalMap(toAuditItem(e))
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.tables.Main, Item: item}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := canceledAt(err); ok && failed[0] {
		return fault.New(fault.CodeConflict, "mail status changed")
	}
	if err != nil {
		return fmt.Errorf("clear mail status: %w", err)
	}
	return nil
}
