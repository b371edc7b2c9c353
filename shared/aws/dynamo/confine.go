package dynamo

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// Confine returns db limited to function's grants in Access, checked as IAM checks them:
// per table or index, per action (each item of a transaction under its own action), on
// the partition keys of the request. A call outside them fails with AccessDeniedException
// before reaching DynamoDB, so local runs and tests fail where the deployed role would.
// An unknown function may do nothing.
func Confine(function string, db DB, tables Tables) DB {
	ids := map[string]string{}
	for name, id := range map[string]string{tables.Main: MainTable, tables.Documents: DocumentsTable, tables.Outbox: OutboxTable} {
		if name != "" {
			ids[name] = id
		}
	}
	return &confined{db: db, function: function, grants: Access[function], ids: ids}
}

type confined struct {
	db       DB
	function string
	grants   []Grant
	ids      map[string]string // table name → logical id
}

// access is one authorisation IAM makes: an action on a resource for some leading keys.
type access struct {
	action, table, index string
	keys                 []string
}

func (c *confined) check(reqs ...access) error {
	for _, r := range reqs {
		resource := c.resource(r.table, r.index)
		ok := false
		for _, g := range c.grants {
			if g.allows(r.action, resource, r.keys) {
				ok = true
				break
			}
		}
		if !ok {
			return &smithy.GenericAPIError{Code: "AccessDeniedException", Fault: smithy.FaultClient,
				Message: fmt.Sprintf("%s may not dynamodb:%s on %s for partition keys %q (dynamo.Access)", c.function, r.action, resource, r.keys)}
		}
	}
	return nil
}

// resource maps a table name to the logical id grants use.
func (c *confined) resource(table, index string) string {
	id, ok := c.ids[table]
	if !ok {
		id = "table " + table
	}
	if index != "" {
		return id + "/" + index
	}
	return id
}

// leading is the partition key of an item or key of a table.
func (c *confined) leading(table string, item map[string]types.AttributeValue) []string {
	attr := PartitionKeys[c.resource(table, "")]
	if v, ok := item[attr].(*types.AttributeValueMemberS); ok {
		return []string{v.Value}
	}
	return []string{""}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (c *confined) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	t := deref(in.TableName)
	if err := c.check(access{"GetItem", t, "", c.leading(t, in.Key)}); err != nil {
		return nil, err
	}
	return c.db.GetItem(ctx, in, o...)
}

func (c *confined) PutItem(ctx context.Context, in *dynamodb.PutItemInput, o ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	t := deref(in.TableName)
	if err := c.check(access{"PutItem", t, "", c.leading(t, in.Item)}); err != nil {
		return nil, err
	}
	return c.db.PutItem(ctx, in, o...)
}

func (c *confined) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, o ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	t := deref(in.TableName)
	if err := c.check(access{"UpdateItem", t, "", c.leading(t, in.Key)}); err != nil {
		return nil, err
	}
	return c.db.UpdateItem(ctx, in, o...)
}

func (c *confined) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	t := deref(in.TableName)
	if err := c.check(access{"DeleteItem", t, "", c.leading(t, in.Key)}); err != nil {
		return nil, err
	}
	return c.db.DeleteItem(ctx, in, o...)
}

func (c *confined) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	var reqs []access
	for t, ka := range in.RequestItems {
		r := access{action: "BatchGetItem", table: t}
		for _, k := range ka.Keys {
			r.keys = append(r.keys, c.leading(t, k)...)
		}
		reqs = append(reqs, r)
	}
	if err := c.check(reqs...); err != nil {
		return nil, err
	}
	return c.db.BatchGetItem(ctx, in, o...)
}

func (c *confined) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, o ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	var reqs []access
	for t, ws := range in.RequestItems {
		r := access{action: "BatchWriteItem", table: t}
		for _, w := range ws {
			switch {
			case w.PutRequest != nil:
				r.keys = append(r.keys, c.leading(t, w.PutRequest.Item)...)
			case w.DeleteRequest != nil:
				r.keys = append(r.keys, c.leading(t, w.DeleteRequest.Key)...)
			}
		}
		reqs = append(reqs, r)
	}
	if err := c.check(reqs...); err != nil {
		return nil, err
	}
	return c.db.BatchWriteItem(ctx, in, o...)
}

// TransactWriteItems is authorised item by item, each under its own action.
func (c *confined) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	var reqs []access
	for _, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			t := deref(it.Put.TableName)
			reqs = append(reqs, access{"PutItem", t, "", c.leading(t, it.Put.Item)})
		case it.Update != nil:
			t := deref(it.Update.TableName)
			reqs = append(reqs, access{"UpdateItem", t, "", c.leading(t, it.Update.Key)})
		case it.Delete != nil:
			t := deref(it.Delete.TableName)
			reqs = append(reqs, access{"DeleteItem", t, "", c.leading(t, it.Delete.Key)})
		case it.ConditionCheck != nil:
			t := deref(it.ConditionCheck.TableName)
			reqs = append(reqs, access{"ConditionCheckItem", t, "", c.leading(t, it.ConditionCheck.Key)})
		}
	}
	if err := c.check(reqs...); err != nil {
		return nil, err
	}
	return c.db.TransactWriteItems(ctx, in, o...)
}

// equality matches "name = :value" in a key condition.
var equality = regexp.MustCompile(`(#?[A-Za-z0-9_]+)\s*=\s*(:[A-Za-z0-9_]+)`)

// Query's leading key is the value its key condition gives the partition key of the
// table or index it reads.
func (c *confined) Query(ctx context.Context, in *dynamodb.QueryInput, o ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	t, index := deref(in.TableName), deref(in.IndexName)
	attr := PartitionKeys[c.resource(t, index)]
	key := ""
	for _, m := range equality.FindAllStringSubmatch(deref(in.KeyConditionExpression), -1) {
		name := m[1]
		if strings.HasPrefix(name, "#") {
			name = in.ExpressionAttributeNames[name]
		}
		if v, ok := in.ExpressionAttributeValues[m[2]].(*types.AttributeValueMemberS); ok && name == attr && attr != "" {
			key = v.Value
		}
	}
	if err := c.check(access{"Query", t, index, []string{key}}); err != nil {
		return nil, err
	}
	return c.db.Query(ctx, in, o...)
}
