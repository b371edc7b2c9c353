package dynamo_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/customers"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
)

// denied asserts err is Confine's refusal naming the function.
func denied(t *testing.T, err error, function string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" || !strings.Contains(api.ErrorMessage(), function) {
		t.Fatalf("got %v, want AccessDeniedException naming %s", err, function)
	}
}

// TestConfine runs stores confined to several functions' grants against moto: what a
// function's role grants reaches DynamoDB, anything else (another item kind, an index, a
// batch, one item of a transaction) is refused before it is sent and writes nothing.
func TestConfine(t *testing.T) {
	ctx := context.Background()
	le := localaws.MustStart(t)
	tables := dynamo.Tables{Main: le.Stack.Ref("MainTable"), Documents: le.Stack.Ref("DocumentsTable"), Outbox: le.Stack.Ref("OutboxTable")}
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	open := dynamo.New(le.DynamoDB, tables, func() time.Time { return now })
	as := func(function string) *dynamo.Store {
		return dynamo.New(dynamo.Confine(function, le.DynamoDB, tables), tables, func() time.Time { return now })
	}
	company := documents.Company("acme", "C1")
	if err := open.ApplyCustomer(ctx, customers.Customer{Space: "acme", Number: "C1", CompanyName: "Client 1", Email: "c1@example.com"}, now); err != nil {
		t.Fatal(err)
	}

	t.Run("granted kind", func(t *testing.T) {
		if err := as("MailEventsFunction").SetMailStatus(ctx, "acme", "C1", "c1@example.com", "bounced", now); err != nil {
			t.Fatal(err)
		}
		c, err := open.Customer(ctx, "acme", "C1")
		if err != nil || c.MailStatus != "bounced" {
			t.Fatalf("got %+v, %v, want the mail status set", c, err)
		}
	})

	t.Run("other kind", func(t *testing.T) {
		e := audit.New(company, now, "x", audit.ActionLogin, "x", "", now.AddDate(1, 0, 0))
		denied(t, as("MailEventsFunction").PutAudit(ctx, e), "MailEventsFunction")
		_, err := as("MailEventsFunction").Account(ctx, "c1@example.com")
		denied(t, err, "MailEventsFunction")
		entries, _, err := open.AuditPage(ctx, company, "", 10)
		if err != nil || len(entries) != 0 {
			t.Fatalf("got audit %v, %v, want nothing written", entries, err)
		}
	})

	t.Run("one item of a transaction", func(t *testing.T) {
		a := accounts.Account{Identifier: "jane", Space: "acme", CustomerNumber: "C1", Email: "jane@example.com", Active: true}
		e := audit.New(company, now, "admin", audit.ActionUserCreated, "jane", "", now.AddDate(1, 0, 0))
		// The auth function may write audit entries but not create accounts: the whole
		// transaction is refused.
		denied(t, as("AuthFunction").CreateAccount(ctx, a, e), "AuthFunction")
		if _, err := open.Account(ctx, "jane"); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("got %v, want no account", err)
		}
		if err := as("AdminFunction").CreateAccount(ctx, a, e); err != nil {
			t.Fatal(err)
		}
		if _, err := open.Account(ctx, "jane"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("index", func(t *testing.T) {
		// The digest lists spaces on gsi1 (SPACES) but may not look up e-mail addresses there.
		if _, err := as("DigestFunction").Spaces(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := as("DigestFunction").AccountsByEmail(ctx, "acme", "jane@example.com")
		denied(t, err, "DigestFunction")
		got, err := as("AuthFunction").AccountsByEmail(ctx, "acme", "jane@example.com")
		if err != nil || len(got) != 1 {
			t.Fatalf("got %v, %v, want jane", got, err)
		}
	})

	t.Run("batch", func(t *testing.T) {
		if _, err := as("IngestFunction").RowMarks(ctx, "acme", []string{"C1", "C2"}); err != nil {
			t.Fatal(err)
		}
		_, err := as("AuthFunction").RowMarks(ctx, "acme", []string{"C1"})
		denied(t, err, "AuthFunction")
	})

	t.Run("unknown function", func(t *testing.T) {
		_, err := as("NoSuchFunction").Customer(ctx, "acme", "C1")
		denied(t, err, "NoSuchFunction")
	})
}

// BenchmarkConfineTransaction measures the check Confine adds to a call: a six-item
// transaction whose last item falls outside the grants, so every item is checked and
// nothing is sent (the inner client is never reached).
func BenchmarkConfineTransaction(b *testing.B) {
	tables := dynamo.Tables{Main: "main", Documents: "documents", Outbox: "outbox"}
	db := dynamo.Confine("IngestFunction", nil, tables)
	put := func(table, pk string) types.TransactWriteItem {
		return types.TransactWriteItem{Put: &types.Put{TableName: aws.String(table),
			Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}}}}
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		put("main", "DOCNUM#acme#C1#F-1"), put("documents", "acme#C1"), put("main", "ACCT#jane"),
		put("main", "TOKEN#abc"), put("outbox", "activation#jane"), put("main", "SESS#abc"),
	}}
	ctx := context.Background()
	for b.Loop() {
		if _, err := db.TransactWriteItems(ctx, in); err == nil {
			b.Fatal("got the transaction through, want it refused")
		}
	}
}
