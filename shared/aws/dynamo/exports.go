package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/service/exports"
	"github.com/efacture/efacture/shared/service/listing"
)

var _ exports.Store = (*Store)(nil)

// exportReads bounds the GetItem calls an id selection runs at once.
const exportReads = 8

// LiveDocuments reads the company's documents under sortKeys, a few at a time, and keeps
// those not expired at now, in the order given.
func (s *Store) LiveDocuments(ctx context.Context, company string, sortKeys []string, now time.Time) ([]documents.Document, error) {
	found := make([]*documents.Document, len(sortKeys))
	errs := make([]error, len(sortKeys))
	sem := make(chan struct{}, exportReads)
	var wg sync.WaitGroup
	for i, sk := range sortKeys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			d, err := s.LiveDocument(ctx, company, sk, now)
			switch {
			case err == nil:
				found[i] = &d
			case !errors.Is(err, fault.ErrNotFound):
				errs[i] = err
			}
		}()
	}
	wg.Wait()
	var out []documents.Document
	for i, d := range found {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if d != nil {
			out = append(out, *d)
		}
	}
	return out, nil
}

// PeriodTotals counts a window's unexpired documents of a type and sums their sizes,
// reading only the size of each; it stops once the count passes stopAfter.
func (s *Store) PeriodTotals(ctx context.Context, company string, w listing.Window, typ string, now time.Time, stopAfter int) (int, int64, error) {
	in := s.documentsQuery(company, false, "", false, &w, typ, now)
	in.ExpressionAttributeNames["#size"] = "size"
	in.ProjectionExpression = aws.String("#size")
	count, total := 0, int64(0)
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return 0, 0, fmt.Errorf("count documents: %w", err)
		}
		for _, it := range out.Items {
			var v struct {
				Size int64 `dynamodbav:"size"`
			}
			if err := attributevalue.UnmarshalMap(it, &v); err != nil {
				return 0, 0, err
			}
			count++
			total += v.Size
		}
		if count > stopAfter || out.LastEvaluatedKey == nil {
			return count, total, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// EachDocument calls fn for each unexpired document of a window and type, newest first,
// one Query page at a time.
func (s *Store) EachDocument(ctx context.Context, company string, w listing.Window, typ string, now time.Time, fn func(documents.Document) error) error {
	in := s.documentsQuery(company, false, "", false, &w, typ, now)
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("read documents: %w", err)
		}
		for _, raw := range out.Items {
			d, err := unmarshalDocument(raw)
			if err != nil {
				return err
			}
			if err := fn(d); err != nil {
				return err
			}
		}
		if out.LastEvaluatedKey == nil {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

type exportItem struct {
	PK             string          `dynamodbav:"pk"`
	SK             string          `dynamodbav:"sk"`
	Space          string          `dynamodbav:"space"`
	CustomerNumber string          `dynamodbav:"customerNumber"`
	Identifier     string          `dynamodbav:"identifier"`
	Language       string          `dynamodbav:"language,omitempty"`
	Format         string          `dynamodbav:"format"`
	Request        exportSelection `dynamodbav:"request"`
	Status         string          `dynamodbav:"status"`
	Key            string          `dynamodbav:"key,omitempty"`
	Documents      int             `dynamodbav:"documents"`
	CreatedAt      time.Time       `dynamodbav:"createdAt"`
	ExpiresAt      time.Time       `dynamodbav:"expiresAt"`
	FinishedAt     *time.Time      `dynamodbav:"finishedAt,omitempty"`
	TTL            int64           `dynamodbav:"ttl"`
}

type exportSelection struct {
	SortKeys []string `dynamodbav:"sortKeys,omitempty"`
	From     string   `dynamodbav:"from,omitempty"`
	To       string   `dynamodbav:"to,omitempty"`
	Type     string   `dynamodbav:"type,omitempty"`
}

func exportPK(id string) string { return "EXPORT#" + id }

// exportSlotsPK is the item holding a company's export slots (PRODUCT.md §10).
func exportSlotsPK(company string) string { return "EXPSLOTS#" + company }

const exportSlotsSK = "EXPSLOTS"

// slotValue is a slot as the slots item's string set holds it: the export's creation,
// to the second, then its id; FinishExport rebuilds it from the export alone.
func slotValue(sl exports.Slot) string {
	return sl.Since.UTC().Format(time.RFC3339) + "#" + sl.ID
}

func parseSlot(v string) (exports.Slot, bool) {
	since, id, ok := strings.Cut(v, "#")
	at, err := time.Parse(time.RFC3339, since)
	return exports.Slot{ID: id, Since: at}, ok && err == nil
}

// PutExport records a new export, kept until it expires, and adds it to its company's
// slots in the same transaction, on condition that fewer than max are held. The slots
// item's TTL follows its newest slot by exports.SlotBound: by then every slot it holds
// is stale, so losing it loses nothing.
func (s *Store) PutExport(ctx context.Context, e exports.Export, max int) ([]exports.Slot, error) {
	item, err := attributevalue.MarshalMap(exportItem{
		PK: exportPK(e.ID), SK: "EXPORT", Space: e.Space, CustomerNumber: e.CustomerNumber, Identifier: e.Identifier,
		Language: e.Language, Format: e.Format, Status: e.Status, Key: e.Key, Documents: e.Documents,
		Request: exportSelection{
			SortKeys: e.Selection.SortKeys, From: e.Selection.Window.From, To: e.Selection.Window.To, Type: e.Selection.Type,
		},
		CreatedAt: e.CreatedAt.UTC(), ExpiresAt: e.ExpiresAt.UTC(), TTL: e.ExpiresAt.Unix(),
	})
	if err != nil {
		return nil, err
	}
	slot := exports.Slot{ID: e.ID, Since: e.CreatedAt}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.tables.Main, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Update: &types.Update{
			TableName: &s.tables.Main, Key: key(exportSlotsPK(e.Company()), exportSlotsSK),
			UpdateExpression:         aws.String("ADD pending :slot SET #ttl = :ttl"),
			ConditionExpression:      aws.String("attribute_not_exists(pending) OR size(pending) < :max"),
			ExpressionAttributeNames: map[string]string{"#ttl": "ttl"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":slot": &types.AttributeValueMemberSS{Value: []string{slotValue(slot)}},
				":ttl":  &types.AttributeValueMemberN{Value: strconv.FormatInt(e.CreatedAt.Add(exports.SlotBound).Unix(), 10)},
				":max":  &types.AttributeValueMemberN{Value: strconv.Itoa(max)},
			},
			// A refusal carries the slots held, so the service can free stale ones
			// without reading them again.
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
	}})
	var tc *types.TransactionCanceledException
	if errors.As(err, &tc) && len(tc.CancellationReasons) == 2 && aws.ToString(tc.CancellationReasons[1].Code) == "ConditionalCheckFailed" {
		var held []exports.Slot
		if set, ok := tc.CancellationReasons[1].Item["pending"].(*types.AttributeValueMemberSS); ok {
			for _, v := range set.Value {
				if sl, ok := parseSlot(v); ok {
					held = append(held, sl)
				}
			}
		}
		return held, exports.ErrFull
	}
	if err != nil {
		return nil, fmt.Errorf("put export: %w", err)
	}
	return nil, nil
}

// FreeSlots removes slots from the company's slots item; removing one twice is harmless,
// so racing requests may free the same stale slot.
func (s *Store) FreeSlots(ctx context.Context, company string, slots []exports.Slot) error {
	if len(slots) == 0 {
		return nil
	}
	var values []string
	for _, sl := range slots {
		values = append(values, slotValue(sl))
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Main, Key: key(exportSlotsPK(company), exportSlotsSK),
		UpdateExpression:          aws.String("DELETE pending :gone"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":gone": &types.AttributeValueMemberSS{Value: values}},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("free export slots: %w", err)
	}
	return nil
}

// Export returns an export, or a fault.ErrNotFound. The read is consistent: the exports
// function reads right after the request wrote.
func (s *Store) Export(ctx context.Context, id string) (exports.Export, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key(exportPK(id), "EXPORT"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return exports.Export{}, fmt.Errorf("get export: %w", err)
	}
	if out.Item == nil {
		return exports.Export{}, fault.NotFound("export")
	}
	var it exportItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return exports.Export{}, fmt.Errorf("decode export: %w", err)
	}
	return exports.Export{
		ID: id, Space: it.Space, CustomerNumber: it.CustomerNumber, Identifier: it.Identifier, Language: it.Language,
		Format: it.Format, Status: it.Status, Key: it.Key, Documents: it.Documents,
		Selection: exports.Selection{
			SortKeys: it.Request.SortKeys, Window: listing.Window{From: it.Request.From, To: it.Request.To}, Type: it.Request.Type,
		},
		CreatedAt: it.CreatedAt, ExpiresAt: it.ExpiresAt,
	}, nil
}

// FinishExport moves a pending export to status and frees its slot in one transaction;
// one already finished is left alone, so a redelivered message changes nothing. An
// export known by its id only has no slot named: SlotBound frees it.
func (s *Store) FinishExport(ctx context.Context, e exports.Export, status, objectKey string, count int, at time.Time) error {
	names := map[string]string{"#status": "status"}
	values := map[string]types.AttributeValue{
		":s": str(status), ":pending": str(exports.StatusPending), ":at": str(at.UTC().Format(time.RFC3339Nano)),
	}
	update := "SET #status = :s, finishedAt = :at"
	if objectKey != "" {
		update += ", #key = :k, documents = :n"
		names["#key"] = "key"
		values[":k"], values[":n"] = str(objectKey), &types.AttributeValueMemberN{Value: fmt.Sprint(count)}
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName: &s.tables.Main, Key: key(exportPK(e.ID), "EXPORT"),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("#status = :pending"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}}}
	if e.Space != "" {
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.tables.Main, Key: key(exportSlotsPK(e.Company()), exportSlotsSK),
			UpdateExpression: aws.String("DELETE pending :slot"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":slot": &types.AttributeValueMemberSS{Value: []string{slotValue(exports.Slot{ID: e.ID, Since: e.CreatedAt})}},
			},
		}})
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := canceledAt(err); ok && failed[0] {
		return nil // finished already, and its slot freed with it
	}
	if err != nil {
		return fmt.Errorf("finish export: %w", err)
	}
	return nil
}
