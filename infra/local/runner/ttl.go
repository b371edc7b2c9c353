package runner

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ttlTable is a table whose TTL is enabled, and what sweeping it needs.
type ttlTable struct {
	id    string // logical id
	name  string
	attr  string   // TTL attribute
	keys  []string // key attribute names
	swept []*sweptKeys
}

// ttlTables finds the provisioned tables with TTL enabled.
func (r *Runner) ttlTables(ctx context.Context) ([]*ttlTable, error) {
	var out []*ttlTable
	for _, id := range slices.Sorted(maps.Keys(r.AWS.Stack.Types)) {
		if r.AWS.Stack.Types[id] != "AWS::DynamoDB::Table" || r.AWS.Stack.Physical[id] == "" {
			continue
		}
		name := r.AWS.Stack.Physical[id]
		ttl, err := r.AWS.DynamoDB.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
		if err != nil {
			// A table the template skipped by condition does not exist.
			var missing *ddbtypes.ResourceNotFoundException
			if errors.As(err, &missing) {
				continue
			}
			return nil, fmt.Errorf("TTL of %s: %w", id, err)
		}
		d := ttl.TimeToLiveDescription
		if d == nil || d.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled && d.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabling {
			continue
		}
		desc, err := r.AWS.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return nil, fmt.Errorf("describe %s: %w", id, err)
		}
		t := &ttlTable{id: id, name: name, attr: aws.ToString(d.AttributeName)}
		for _, k := range desc.Table.KeySchema {
			t.keys = append(t.keys, aws.ToString(k.AttributeName))
		}
		out = append(out, t)
	}
	return out, nil
}

// SweepTTL deletes every item whose TTL attribute is a number of epoch
// seconds before Options.Now, as DynamoDB's TTL would (moto never does),
// and returns how many it deleted. Each deletion's REMOVE stream record
// then carries userIdentity {type: Service, principalId:
// dynamodb.amazonaws.com}, as real TTL deletions do.
func (r *Runner) SweepTTL(ctx context.Context) (int, error) {
	// Deletions too must not overlap a transaction moto may roll back.
	r.writers.Lock()
	defer r.writers.Unlock()
	now := strconv.FormatInt(r.opts.Now().Unix(), 10)
	deleted := 0
	for _, t := range r.ttl {
		names := map[string]string{"#ttl": t.attr}
		var projection []string
		for i, k := range t.keys {
			ph := "#k" + strconv.Itoa(i)
			names[ph] = k
			projection = append(projection, ph)
		}
		in := &dynamodb.ScanInput{
			TableName:                 aws.String(t.name),
			FilterExpression:          aws.String("#ttl < :now"),
			ProjectionExpression:      aws.String(strings.Join(projection, ", ")),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":now": &ddbtypes.AttributeValueMemberN{Value: now}},
			ConsistentRead:            aws.Bool(true),
		}
		for {
			page, err := r.AWS.DynamoDB.Scan(ctx, in)
			if err != nil {
				return deleted, fmt.Errorf("sweep %s: %w", t.id, err)
			}
			for _, key := range page.Items {
				ok, err := r.expire(ctx, t, key, now)
				if err != nil {
					return deleted, err
				}
				if ok {
					deleted++
				}
			}
			if len(page.LastEvaluatedKey) == 0 {
				break
			}
			in.ExclusiveStartKey = page.LastEvaluatedKey
		}
	}
	if deleted > 0 {
		r.log.Info("TTL sweep", "deleted", deleted)
	}
	return deleted, nil
}

// expire deletes one item if it is still expired, marking it first so the
// stream consumers recognise its REMOVE record.
func (r *Runner) expire(ctx context.Context, t *ttlTable, key map[string]ddbtypes.AttributeValue, now string) (bool, error) {
	k := itemKey(key)
	for _, s := range t.swept {
		s.add(k)
	}
	_, err := r.AWS.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 aws.String(t.name),
		Key:                       key,
		ConditionExpression:       aws.String("#ttl < :now"),
		ExpressionAttributeNames:  map[string]string{"#ttl": t.attr},
		ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":now": &ddbtypes.AttributeValueMemberN{Value: now}},
	})
	if err == nil {
		return true, nil
	}
	for _, s := range t.swept {
		s.remove(k)
	}
	var changed *ddbtypes.ConditionalCheckFailedException
	if errors.As(err, &changed) {
		// Updated meanwhile: no longer expired.
		return false, nil
	}
	return false, fmt.Errorf("sweep %s: %w", t.id, err)
}

// itemKey renders key attributes as streamKey does.
func itemKey(key map[string]ddbtypes.AttributeValue) string {
	parts := make([]string, 0, len(key))
	for name, v := range key {
		var text string
		switch v := v.(type) {
		case *ddbtypes.AttributeValueMemberS:
			text = "S:" + v.Value
		case *ddbtypes.AttributeValueMemberN:
			text = "N:" + v.Value
		case *ddbtypes.AttributeValueMemberB:
			text = "B:" + base64.StdEncoding.EncodeToString(v.Value)
		}
		parts = append(parts, name+"="+text)
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x00")
}

// sweepEvery runs SweepTTL every interval until ctx ends.
func (r *Runner) sweepEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := r.SweepTTL(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("TTL sweep failed", "error", err.Error())
		}
	}
}
