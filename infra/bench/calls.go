package bench

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// Call is one AWS operation as the SDK issued it: "GetItem main", "CopyObject", or a
// presigned one, which sends nothing: "presign GetObject".
type Call struct {
	Op         string
	Table      string // the DynamoDB table's role (main, documents, outbox), "" otherwise
	Start, End time.Time
}

func (c Call) String() string {
	if c.Table == "" {
		return c.Op
	}
	return c.Op + " " + c.Table
}

// Calls records the operations of every client built from a configuration it was
// installed on, and the items DynamoDB Query calls read. The code under test runs
// unchanged: the recorder is a middleware of the SDK's stack.
type Calls struct {
	mu      sync.Mutex
	tables  map[string]string // physical table name → role
	seq     []Call
	scanned int64
}

// NewCalls returns a recorder that names tables by role (physical name → role).
func NewCalls(tables map[string]string) *Calls {
	return &Calls{tables: tables}
}

// Install adds the recorder to cfg's API options, so every client built from cfg
// reports to it.
func (c *Calls) Install(cfg *aws.Config) {
	cfg.APIOptions = append(cfg.APIOptions, c.register)
}

func (c *Calls) register(st *middleware.Stack) error {
	// A presigned request runs the operation's stack without sending anything.
	_, presign := st.Finalize.Get("PresignHTTPRequest")
	return st.Initialize.Add(middleware.InitializeMiddlewareFunc("benchCalls",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			call := Call{Op: awsmiddleware.GetOperationName(ctx), Table: c.tables[tableOf(in.Parameters)], Start: time.Now()}
			if presign {
				call.Op = "presign " + call.Op
			}
			out, md, err := next.HandleInitialize(ctx, in)
			call.End = time.Now()
			var scanned int64
			if q, ok := out.Result.(*dynamodb.QueryOutput); ok && err == nil {
				scanned = int64(q.ScannedCount)
			}
			c.mu.Lock()
			c.seq = append(c.seq, call)
			c.scanned += scanned
			c.mu.Unlock()
			return out, md, err
		}), middleware.After)
}

// tableOf returns the table a DynamoDB input names, "" for other inputs and for
// multi-table transactions.
func tableOf(params any) string {
	switch in := params.(type) {
	case *dynamodb.GetItemInput:
		return aws.ToString(in.TableName)
	case *dynamodb.PutItemInput:
		return aws.ToString(in.TableName)
	case *dynamodb.UpdateItemInput:
		return aws.ToString(in.TableName)
	case *dynamodb.DeleteItemInput:
		return aws.ToString(in.TableName)
	case *dynamodb.QueryInput:
		return aws.ToString(in.TableName)
	case *dynamodb.TransactWriteItemsInput:
		// A transaction is named by its first item's table: enough to tell calls apart.
		if len(in.TransactItems) > 0 {
			it := in.TransactItems[0]
			switch {
			case it.Put != nil:
				return aws.ToString(it.Put.TableName)
			case it.Update != nil:
				return aws.ToString(it.Update.TableName)
			case it.Delete != nil:
				return aws.ToString(it.Delete.TableName)
			case it.ConditionCheck != nil:
				return aws.ToString(it.ConditionCheck.TableName)
			}
		}
	}
	return ""
}

// Take returns the calls recorded since the previous Take and the items Query calls
// read meanwhile, and starts afresh.
func (c *Calls) Take() ([]Call, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	seq, scanned := c.seq, c.scanned
	c.seq, c.scanned = nil, 0
	return seq, scanned
}

// Sequence writes calls as "GetItem main, Query documents, presign".
func Sequence(calls []Call) string {
	parts := make([]string, len(calls))
	for i, c := range calls {
		parts[i] = c.String()
	}
	return strings.Join(parts, ", ")
}

// Presigned reports whether the call was a presign, which sends nothing.
func (c Call) Presigned() bool { return strings.HasPrefix(c.Op, "presign ") }

// CountSent returns how many of calls went over the network: all but presigns.
func CountSent(calls []Call) int {
	n := 0
	for _, c := range calls {
		if !c.Presigned() {
			n++
		}
	}
	return n
}

// Rounds returns how many round trips calls waited for one after another: a call that
// starts before every earlier one has finished shares their round. Calls issued at once
// count once, however the server schedules them.
func Rounds(calls []Call) int {
	sent := make([]Call, 0, len(calls))
	for _, c := range calls {
		if !c.Presigned() {
			sent = append(sent, c)
		}
	}
	sort.Slice(sent, func(i, j int) bool { return sent[i].Start.Before(sent[j].Start) })
	rounds := 0
	var done time.Time // when every call so far had finished
	for i, c := range sent {
		if i == 0 || !c.Start.Before(done) {
			rounds++
		}
		if c.End.After(done) {
			done = c.End
		}
	}
	return rounds
}

// CountTable returns how many of calls went to the table of role.
func CountTable(calls []Call, role string) int {
	n := 0
	for _, c := range calls {
		if c.Table == role {
			n++
		}
	}
	return n
}
