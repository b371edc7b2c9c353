package dynamo

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/service/ingest"
)

// The space's referential job is one item: it is the space's lock as well as the job's
// state, so a second file cannot start while one is applied (PRODUCT.md §10).
func jobKey(space string) map[string]types.AttributeValue { return key("REFJOB#"+space, "REFJOB") }

// jobState is the job's item attribute state; its errors go apart, compressed, as a
// thousand of them may weigh a few hundred kilobytes.
type jobState struct {
	Key       string             `json:"key"`
	Principal string             `json:"principal,omitempty"`
	ID        string             `json:"id"`
	ETag      string             `json:"etag"`
	Pos       customers.Position `json:"pos"`
	Rows      int                `json:"rows"`
	Applied   int                `json:"applied"`
	Unchanged int                `json:"unchanged"`
	Rejected  int                `json:"rejected"`
	Done      string             `json:"done,omitempty"`
}

// Job returns the space's referential job.
func (s *Store) Job(ctx context.Context, space string) (ingest.Job, bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.tables.Main, Key: jobKey(space), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return ingest.Job{}, false, fmt.Errorf("get referential job: %w", err)
	}
	if out.Item == nil {
		return ingest.Job{}, false, nil
	}
	var st jobState
	stateAttr, _ := out.Item["state"].(*types.AttributeValueMemberS)
	versionAttr, _ := out.Item["version"].(*types.AttributeValueMemberN)
	updatedAttr, _ := out.Item["updatedAt"].(*types.AttributeValueMemberS)
	if stateAttr == nil || versionAttr == nil || updatedAttr == nil {
		return ingest.Job{}, false, fmt.Errorf("referential job of %s: malformed item", space)
	}
	if err := json.Unmarshal([]byte(stateAttr.Value), &st); err != nil {
		return ingest.Job{}, false, fmt.Errorf("referential job of %s: %w", space, err)
	}
	job := ingest.Job{Space: space, Key: st.Key, Principal: st.Principal, ID: st.ID, ETag: st.ETag, Pos: st.Pos, Rows: st.Rows,
		Applied: st.Applied, Unchanged: st.Unchanged, Rejected: st.Rejected, Done: st.Done}
	job.Version, _ = strconv.ParseInt(versionAttr.Value, 10, 64)
	job.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updatedAttr.Value)
	if b, ok := out.Item["errors"].(*types.AttributeValueMemberB); ok {
		zr, err := gzip.NewReader(bytes.NewReader(b.Value))
		if err == nil {
			err = json.NewDecoder(zr).Decode(&job.Errors)
		}
		if err != nil {
			return ingest.Job{}, false, fmt.Errorf("referential job of %s: errors: %w", space, err)
		}
	}
	return job, true, nil
}

// SaveJob writes the job if nobody saved it since its previous version.
func (s *Store) SaveJob(ctx context.Context, job ingest.Job) error {
	state, err := json.Marshal(jobState{Key: job.Key, Principal: job.Principal, ID: job.ID, ETag: job.ETag, Pos: job.Pos, Rows: job.Rows,
		Applied: job.Applied, Unchanged: job.Unchanged, Rejected: job.Rejected, Done: job.Done})
	if err != nil {
		return err
	}
	item := jobKey(job.Space)
	item["key"] = str(job.Key)
	item["version"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(job.Version, 10)}
	item["state"] = str(string(state))
	item["updatedAt"] = str(job.UpdatedAt.UTC().Format(time.RFC3339Nano))
	if len(job.Errors) > 0 {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		json.NewEncoder(zw).Encode(job.Errors)
		zw.Close()
		item["errors"] = &types.AttributeValueMemberB{Value: buf.Bytes()}
	}
	in := &dynamodb.PutItemInput{TableName: &s.tables.Main, Item: item}
	if job.Version <= 1 {
		in.ConditionExpression = aws.String("attribute_not_exists(pk)")
	} else {
		in.ConditionExpression = aws.String("version = :prev")
		in.ExpressionAttributeValues = map[string]types.AttributeValue{
			":prev": &types.AttributeValueMemberN{Value: strconv.FormatInt(job.Version-1, 10)},
		}
	}
	_, err = s.db.PutItem(ctx, in)
	if conditionFailed(err) {
		return ingest.ErrStale
	}
	if err != nil {
		return fmt.Errorf("save referential job: %w", err)
	}
	return nil
}

// EndJob deletes the space's job, unless another delivery saved it since.
func (s *Store) EndJob(ctx context.Context, space string, version int64) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: &s.tables.Main, Key: jobKey(space), ConditionExpression: aws.String("version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: strconv.FormatInt(version, 10)}},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("end referential job: %w", err)
	}
	return nil
}

// RowMarks reads the row marks of up to 100 customers in one BatchGetItem, projected
// on the mark; unprocessed keys are asked again.
func (s *Store) RowMarks(ctx context.Context, space string, numbers []string) (map[string]ingest.RowMark, error) {
	keys := make([]map[string]types.AttributeValue, len(numbers))
	for i, n := range numbers {
		keys[i] = key(customerPK(space, n), "CUST")
	}
	marks := make(map[string]ingest.RowMark, len(numbers))
	prefix := customerPK(space, "")
	for attempt := 0; len(keys) > 0; attempt++ {
		if attempt > 0 {
			if err := sleepCtx(ctx, backoff(attempt)); err != nil {
				return nil, err
			}
		}
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			s.tables.Main: {Keys: keys, ConsistentRead: aws.Bool(true), ProjectionExpression: aws.String("pk, rowHash, rowJob")},
		}})
		if err != nil {
			return nil, fmt.Errorf("read row marks: %w", err)
		}
		for _, it := range out.Responses[s.tables.Main] {
			pk, _ := it["pk"].(*types.AttributeValueMemberS)
			if pk == nil {
				continue
			}
			var m ingest.RowMark
			if v, ok := it["rowHash"].(*types.AttributeValueMemberS); ok {
				m.Hash = v.Value
			}
			if v, ok := it["rowJob"].(*types.AttributeValueMemberS); ok {
				m.Job = v.Value
			}
			marks[strings.TrimPrefix(pk.Value, prefix)] = m
		}
		keys = out.UnprocessedKeys[s.tables.Main].Keys
	}
	return marks, nil
}

func backoff(attempt int) time.Duration {
	return min(time.Duration(1<<min(attempt, 6))*25*time.Millisecond, time.Second)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// applyConcurrency bounds the UpdateItems in flight for one batch of rows.
const applyConcurrency = 16

// ApplyRows upserts each customer's referential fields and row mark with one UpdateItem,
// sixteen at a time. UpdateItem, not BatchWriteItem, because a batch write replaces whole
// items and would lose what ingestion and SES events set (admin, mail status).
func (s *Store) ApplyRows(ctx context.Context, cs []customers.Customer, jobID string, now time.Time) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	sem := make(chan struct{}, applyConcurrency)
	for _, c := range cs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := s.applyRow(ctx, c, jobID, now); err != nil {
				mu.Lock()
				if first == nil {
					first = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// CreateRows puts customers that did not exist at the batch's consistent read, 25 to a
// BatchWriteItem; unprocessed items are sent again. A batch write has no condition and
// replaces whole items, which is safe here only because customers are created by
// nothing but the space's referential job, one at a time (docs/DATA.md). A transaction
// of conditional Puts would cost twice the writes.
func (s *Store) CreateRows(ctx context.Context, cs []customers.Customer, jobID string, now time.Time) error {
	var pending []types.WriteRequest
	for _, c := range cs {
		it := key(customerPK(c.Space, c.Number), "CUST")
		for name, v := range map[string]string{
			"space": c.Space, "customerNumber": c.Number, "companyName": c.CompanyName, "siren": c.SIREN,
			"email": c.Email, "notification": c.Notification, "delivery": c.Delivery, "language": c.Language,
			"updatedAt": now.UTC().Format(time.RFC3339Nano), "rowHash": c.RowHash(), "rowJob": jobID,
		} {
			if v != "" {
				it[name] = str(v)
			}
		}
		for _, f := range customerIndex(c) {
			if f.val != "" {
				it[f.name] = str(f.val)
			}
		}
		pending = append(pending, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
	}
	for attempt := 0; len(pending) > 0; {
		n := min(len(pending), 25)
		out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.tables.Main: pending[:n]}})
		if err != nil {
			return fmt.Errorf("create customers: %w", err)
		}
		pending = append(out.UnprocessedItems[s.tables.Main], pending[n:]...)
		if len(out.UnprocessedItems[s.tables.Main]) > 0 {
			attempt++
			if err := sleepCtx(ctx, backoff(attempt)); err != nil {
				return err
			}
		}
	}
	return nil
}

// ApplyCustomer upserts the referential's fields of one customer, without a row mark.
func (s *Store) ApplyCustomer(ctx context.Context, c customers.Customer, now time.Time) error {
	return s.applyRow(ctx, c, "", now)
}

// applyRow sets the referential's fields; blank values remove the attribute and the
// ingestion-owned fields (admin, mail status) are left alone.
func (s *Store) applyRow(ctx context.Context, c customers.Customer, jobID string, now time.Time) error {
	fields := []struct{ name, val string }{
		{"space", c.Space}, {"customerNumber", c.Number}, {"companyName", c.CompanyName},
		{"siren", c.SIREN}, {"email", c.Email}, {"notification", c.Notification},
		{"delivery", c.Delivery}, {"language", c.Language},
		{"updatedAt", now.UTC().Format(time.RFC3339Nano)},
	}
	fields = append(fields, customerIndex(c)...)
	if jobID != "" {
		fields = append(fields, struct{ name, val string }{"rowHash", c.RowHash()}, struct{ name, val string }{"rowJob", jobID})
	} else {
		fields = append(fields, struct{ name, val string }{"rowHash", ""}, struct{ name, val string }{"rowJob", ""})
	}
	var set, remove []string
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	for i, f := range fields {
		n := fmt.Sprintf("#f%d", i)
		names[n] = f.name
		if f.val == "" {
			remove = append(remove, n)
			continue
		}
		v := fmt.Sprintf(":v%d", i)
		values[v] = str(f.val)
		set = append(set, n+" = "+v)
	}
	expr := "SET " + strings.Join(set, ", ")
	if len(remove) > 0 {
		expr += " REMOVE " + strings.Join(remove, ", ")
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Main, Key: key(customerPK(c.Space, c.Number), "CUST"),
		UpdateExpression: &expr, ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		// The old item tells whether a mail status belonged to an address now replaced;
		// returning it costs no extra capacity.
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return fmt.Errorf("apply customer %s: %w", c.Number, err)
	}
	return s.dropStaleMailStatus(ctx, c, out.Attributes)
}

// dropStaleMailStatus clears a mail status recorded against an address the referential
// has just replaced (PRODUCT.md §5): mail to the new address starts afresh. A status
// recorded since the row was written is left alone.
func (s *Store) dropStaleMailStatus(ctx context.Context, c customers.Customer, old map[string]types.AttributeValue) error {
	var it customerItem
	if err := attributevalue.UnmarshalMap(old, &it); err != nil || it.MailStatus == "" {
		return err
	}
	was := it.MailStatusEmail
	if was == "" {
		was = it.Email
	}
	if strings.EqualFold(was, c.Email) {
		return nil
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Main, Key: key(customerPK(c.Space, c.Number), "CUST"),
		UpdateExpression:          aws.String("REMOVE mailStatus, mailStatusAt, mailStatusEmail"),
		ConditionExpression:       aws.String("mailStatusAt = :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": str(it.MailStatusAt)},
	})
	if err != nil && !conditionFailed(err) {
		return fmt.Errorf("clear mail status of customer %s: %w", c.Number, err)
	}
	return nil
}
