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
	return customers.Customer{
		Space: it.Space, Number: it.CustomerNumber, CompanyName: it.CompanyName, SIREN: it.SIREN,
		Email: it.Email, Notification: it.Notification, Delivery: it.Delivery, Language: it.Language,
		MailStatus: it.MailStatus, AdminEmail: it.AdminEmail, AdminID: it.AdminIdentifier, UpdatedAt: it.UpdatedAt,
	}, nil
}

// SetMailStatus records what SES said of a customer's registered address; the customer
// must exist, so a stray event never creates one.
func (s *Store) SetMailStatus(ctx context.Context, company, status string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Main, Key: key("CUST#"+company, "CUST"),
		UpdateExpression:    aws.String("SET mailStatus = :s, mailStatusAt = :at"),
		ConditionExpression: aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":s": str(status), ":at": str(at.UTC().Format(time.RFC3339)),
		},
	})
	if conditionFailed(err) {
		return fault.NotFound("customer")
	}
	return err
}
