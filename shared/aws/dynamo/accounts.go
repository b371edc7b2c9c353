package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/domain/ratelimit"
	"github.com/efacture/efacture/shared/domain/tokens"
)

var _ accounts.Store = (*Store)(nil)

// Account returns an account with a consistent read, so a change (a deactivation, a new
// session epoch) holds from the next request on.
func (s *Store) Account(ctx context.Context, identifier string) (accounts.Account, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key(accountPK(identifier), "ACCT"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return accounts.Account{}, fmt.Errorf("get account: %w", err)
	}
	if out.Item == nil {
		return accounts.Account{}, fault.NotFound("account")
	}
	var it accountItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return accounts.Account{}, err
	}
	return it.account(), nil
}

// AccountsByEmail queries gsi1 (EMAIL#{space}#{email}).
func (s *Store) AccountsByEmail(ctx context.Context, space, email string) ([]accounts.Account, error) {
	return s.queryAccounts(ctx, "gsi1", "gsi1pk", emailGSI(space, email))
}

// AccountsOfCompany queries gsi2 (COMPANY#{company}).
func (s *Store) AccountsOfCompany(ctx context.Context, space, customerNumber string) ([]accounts.Account, error) {
	return s.queryAccounts(ctx, "gsi2", "gsi2pk", "COMPANY#"+documents.Company(space, customerNumber))
}

func (s *Store) queryAccounts(ctx context.Context, index, attr, value string) ([]accounts.Account, error) {
	in := &dynamodb.QueryInput{
		TableName: &s.tables.Main, IndexName: aws.String(index),
		KeyConditionExpression:    aws.String("#k = :v"),
		ExpressionAttributeNames:  map[string]string{"#k": attr},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": str(value)},
	}
	var out []accounts.Account
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("query accounts on %s: %w", index, err)
		}
		for _, item := range page.Items {
			var it accountItem
			if err := attributevalue.UnmarshalMap(item, &it); err != nil {
				return nil, err
			}
			out = append(out, it.account())
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// CreateAccount puts a new account (attribute_not_exists(pk): identifiers are unique
// platform-wide, in any case) and its audit entry in one transaction.
func (s *Store) CreateAccount(ctx context.Context, a accounts.Account, e audit.Entry) error {
	acct, err := attributevalue.MarshalMap(toAccountItem(a))
	if err != nil {
		return err
	}
	entry, err := attributevalue.MarshalMap(toAuditItem(e))
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.tables.Main, Item: acct, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Put: &types.Put{TableName: &s.tables.Main, Item: entry}},
	}})
	if failed, ok := canceledAt(err); ok && failed[0] {
		return accounts.ErrIdentifierTaken
	}
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	return nil
}

// ReserveAttempt counts a password attempt on an account before the password is checked,
// in conditional writes (docs/DATA.md): below the lock threshold an ADD that fails once a
// lock holds or the threshold is reached; at the threshold a write that sets the count
// and the lock together, on condition that the count is still the one read, so of
// parallel attempts exactly one reaches the threshold and the others find the lock.
func (s *Store) ReserveAttempt(ctx context.Context, identifier string, now time.Time, l ratelimit.Limits) (accounts.Account, bool, error) {
	k := key(accountPK(identifier), "ACCT")
	var old map[string]types.AttributeValue // the item as the last refused write saw it
	for range 8 {
		e := newUpdateExpr()
		e.cond("attribute_exists(" + e.name("pk") + ")")
		lk := e.name("lockedUntil")
		e.cond("(attribute_not_exists(" + lk + ") OR " + lk + " <= " + e.value(str(lockNow(now))) + ")")
		f := e.name("failures")
		n := 0
		if old != nil {
			var it accountItem
			if err := attributevalue.UnmarshalMap(old, &it); err != nil {
				return accounts.Account{}, false, err
			}
			if a := it.account(); a.Locked(now) {
				return a, false, nil
			}
			n = it.Failures
		}
		if l.LockAfter > 0 && n+1 >= l.LockAfter {
			until := lockValue(now.Add(l.LockFor(n + 1)))
			e.set("failures", numValue(int64(n+1)))
			e.set("lockedUntil", str(until))
			e.cond("(attribute_not_exists(" + f + ") OR " + f + " = " + e.value(numValue(int64(n))) + ")")
		} else {
			e.sets = append(e.sets, f+" = if_not_exists("+f+", "+e.value(numValue(0))+") + "+e.value(numValue(1)))
			if l.LockAfter > 0 {
				e.cond("(attribute_not_exists(" + f + ") OR " + f + " < " + e.value(numValue(int64(l.LockAfter-1))) + ")")
			}
		}
		out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.tables.Main, Key: k, UpdateExpression: aws.String(e.update()),
			ConditionExpression:      aws.String(strings.Join(e.conds, " AND ")),
			ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
			ReturnValues: types.ReturnValueAllNew, ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		var cf *types.ConditionalCheckFailedException
		switch {
		case errors.As(err, &cf):
			if cf.Item == nil {
				return accounts.Account{}, false, fault.NotFound("account")
			}
			old = cf.Item
			continue
		case err != nil:
			return accounts.Account{}, false, fmt.Errorf("reserve attempt: %w", err)
		}
		var it accountItem
		if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
			return accounts.Account{}, false, err
		}
		return it.account(), true, nil
	}
	// Still racing after that many rounds: refuse, as a lock would.
	return accounts.Account{}, false, fmt.Errorf("reserve attempt: %w", accounts.ErrConflict)
}

// lockValue is a lock's end as stored: rounded up to the second, in RFC 3339 UTC, a
// fixed-width string that orders as time does in a condition.
func lockValue(t time.Time) string {
	if u := t.Truncate(time.Second); u.Before(t) {
		t = u.Add(time.Second)
	}
	return t.UTC().Format(time.RFC3339)
}

// lockNow is now as a lock condition compares it: a lock ending at a whole second holds
// while now's second is before it.
func lockNow(now time.Time) string { return now.Truncate(time.Second).UTC().Format(time.RFC3339) }

// Token reads a stored token with a consistent read.
func (s *Store) Token(ctx context.Context, hash string) (tokens.Record, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key("TOKEN#"+hash, "TOKEN"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return tokens.Record{}, fmt.Errorf("get token: %w", err)
	}
	if out.Item == nil {
		return tokens.Record{}, fault.NotFound("token")
	}
	var it tokenItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return tokens.Record{}, err
	}
	return it.record(), nil
}

func recoveryPK(space, email string) string {
	return "RECOVERY#" + space + "#" + accounts.NormalizeEmail(email)
}

// CurrentRecovery reads the current-recovery pointer of an address in a space.
func (s *Store) CurrentRecovery(ctx context.Context, space, email string) (string, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key(recoveryPK(space, email), "RECOVERY"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return "", fmt.Errorf("get recovery: %w", err)
	}
	if v, ok := out.Item["tokenHash"].(*types.AttributeValueMemberS); ok {
		return v.Value, nil
	}
	return "", nil
}

// StartRecovery writes the token, the pointer that makes it the address's current one
// (voiding the previous), and its mail, in one transaction.
func (s *Store) StartRecovery(ctx context.Context, t tokens.Record, m outbox.Record) error {
	tok, err := attributevalue.MarshalMap(toTokenItem(t))
	if err != nil {
		return err
	}
	mail, err := attributevalue.MarshalMap(toOutboxItem(m))
	if err != nil {
		return err
	}
	pointer := key(recoveryPK(t.Space, t.Email), "RECOVERY")
	pointer["tokenHash"] = str(t.Hash)
	pointer["ttl"] = numValue(t.ExpiresAt.Unix())
	notExists := aws.String("attribute_not_exists(pk)")
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.tables.Main, Item: tok, ConditionExpression: notExists}},
		{Put: &types.Put{TableName: &s.tables.Main, Item: pointer}},
		{Put: &types.Put{TableName: &s.tables.Outbox, Item: mail, ConditionExpression: notExists}},
	}})
	if err != nil {
		return fmt.Errorf("start recovery: %w", err)
	}
	return nil
}

// Apply writes an account update with its side effects in one transaction (docs/DATA.md).
func (s *Store) Apply(ctx context.Context, u accounts.Update) error {
	first, err := s.accountWrite(u)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{first}
	tokenAt, recoveryAt := -1, -1
	if u.SpendToken != "" {
		tokenAt = len(items)
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{
			TableName: &s.tables.Main, Key: key("TOKEN#"+u.SpendToken, "TOKEN"),
			ConditionExpression: aws.String("attribute_exists(pk)"),
		}})
		if r := u.SpendRecovery; r != nil {
			recoveryAt = len(items)
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{
				TableName: &s.tables.Main, Key: key(recoveryPK(r.Space, r.Email), "RECOVERY"),
				ConditionExpression:       aws.String("tokenHash = :h"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":h": str(u.SpendToken)},
			}})
		}
	}
	if u.EndSession != "" {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.tables.Main, Key: key(sessionPK(u.EndSession), "SESS")}})
	}
	put := func(table string, v any, cond bool) error {
		item, err := attributevalue.MarshalMap(v)
		if err != nil {
			return err
		}
		p := &types.Put{TableName: aws.String(table), Item: item}
		if cond {
			p.ConditionExpression = aws.String("attribute_not_exists(pk)")
		}
		items = append(items, types.TransactWriteItem{Put: p})
		return nil
	}
	if u.StartSession != nil {
		if err := put(s.tables.Main, toSessionItem(*u.StartSession), true); err != nil {
			return err
		}
	}
	for _, m := range u.Mails {
		if err := put(s.tables.Outbox, toOutboxItem(m), true); err != nil {
			return err
		}
	}
	for _, e := range u.Audit {
		if err := put(s.tables.Main, toAuditItem(e), false); err != nil {
			return err
		}
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if failed, ok := canceledAt(err); ok {
		switch {
		case failed[0]:
			return accounts.ErrConflict
		case failed[tokenAt] || failed[recoveryAt]:
			return accounts.ErrTokenSpent
		}
	}
	if err != nil {
		return fmt.Errorf("update account: %w", err)
	}
	return nil
}

// updateExpr builds an update or condition expression with placeholders for every name and
// value, so no attribute collides with a DynamoDB reserved word.
type updateExpr struct {
	names  map[string]string
	values map[string]types.AttributeValue
	byName map[string]string
	sets   []string
	rems   []string
	conds  []string
}

func newUpdateExpr() *updateExpr {
	return &updateExpr{names: map[string]string{}, values: map[string]types.AttributeValue{}, byName: map[string]string{}}
}

func (e *updateExpr) name(attr string) string {
	if p, ok := e.byName[attr]; ok {
		return p
	}
	p := "#n" + strconv.Itoa(len(e.byName))
	e.byName[attr], e.names[p] = p, attr
	return p
}

func (e *updateExpr) value(v types.AttributeValue) string {
	p := ":v" + strconv.Itoa(len(e.values))
	e.values[p] = v
	return p
}

func (e *updateExpr) set(attr string, v types.AttributeValue) {
	e.sets = append(e.sets, e.name(attr)+" = "+e.value(v))
}

func (e *updateExpr) remove(attr string) { e.rems = append(e.rems, e.name(attr)) }

// setString sets a string attribute, or removes it for "" (items omit empty strings).
func (e *updateExpr) setString(attr string, v *string) {
	switch {
	case v == nil:
	case *v == "":
		e.remove(attr)
	default:
		e.set(attr, str(*v))
	}
}

func (e *updateExpr) cond(c string) { e.conds = append(e.conds, c) }

func (e *updateExpr) update() string {
	var parts []string
	if len(e.sets) > 0 {
		parts = append(parts, "SET "+strings.Join(e.sets, ", "))
	}
	if len(e.rems) > 0 {
		parts = append(parts, "REMOVE "+strings.Join(e.rems, ", "))
	}
	return strings.Join(parts, " ")
}

// accountWrite is the account's part of Apply: an Update, or a ConditionCheck when only
// the conditions matter.
func (s *Store) accountWrite(u accounts.Update) (types.TransactWriteItem, error) {
	e := newUpdateExpr()
	f := u.Set
	for _, a := range []struct {
		attr string
		v    *string
	}{
		{"firstName", f.FirstName}, {"lastName", f.LastName}, {"phone", f.Phone}, {"mobile", f.Mobile},
		{"profile", f.Profile}, {"language", f.Language},
	} {
		e.setString(a.attr, a.v)
	}
	if f.Email != nil {
		if u.Space == "" {
			return types.TransactWriteItem{}, errors.New("update account: an e-mail change needs the account's space")
		}
		e.setString("email", f.Email)
		if *f.Email == "" {
			e.remove("gsi1pk")
			e.remove("gsi1sk")
		} else {
			e.set("gsi1pk", str(emailGSI(u.Space, *f.Email)))
			e.set("gsi1sk", str(accounts.Key(u.Identifier)))
		}
	}
	for _, b := range []struct {
		attr string
		v    *bool
	}{{"active", f.Active}, {"admin", f.Admin}} {
		if b.v != nil {
			e.set(b.attr, &types.AttributeValueMemberBOOL{Value: *b.v})
		}
	}
	if f.HistoryMonths != nil {
		e.set("historyMonths", numValue(int64(*f.HistoryMonths)))
	}
	if u.PasswordHash != "" {
		e.set("passwordHash", str(u.PasswordHash))
	}
	if u.ResetFailures {
		e.set("failures", numValue(0))
		e.remove("lockedUntil")
	}
	if u.EndSessions {
		ep := e.name("sessionEpoch")
		e.sets = append(e.sets, ep+" = if_not_exists("+ep+", "+e.value(numValue(0))+") + "+e.value(numValue(1)))
	}
	if u.LoginAt != nil {
		e.set("lastLoginAt", timeValue(*u.LoginAt))
		if u.PreviousLoginAt != nil {
			e.set("previousLoginAt", timeValue(*u.PreviousLoginAt))
		} else {
			e.remove("previousLoginAt")
		}
	}

	e.cond("attribute_exists(" + e.name("pk") + ")")
	if u.Space != "" || u.CustomerNumber != "" {
		e.cond(e.name("space") + " = " + e.value(str(u.Space)))
		e.cond(e.name("customerNumber") + " = " + e.value(str(u.CustomerNumber)))
	}
	if u.Epoch != nil {
		e.cond(e.name("sessionEpoch") + " = " + e.value(numValue(*u.Epoch)))
	}
	if u.MustBeActive {
		e.cond(e.name("active") + " = " + e.value(&types.AttributeValueMemberBOOL{Value: true}))
	}
	if u.UnlockedAt != nil {
		lk := e.name("lockedUntil")
		c := "attribute_not_exists(" + lk + ") OR " + lk + " <= " + e.value(str(lockNow(*u.UnlockedAt)))
		if !u.OwnLock.IsZero() {
			c += " OR " + lk + " = " + e.value(str(lockValue(u.OwnLock)))
		}
		e.cond("(" + c + ")")
	}
	k := key(accountPK(u.Identifier), "ACCT")
	cond := aws.String(strings.Join(e.conds, " AND "))
	if upd := e.update(); upd != "" {
		return types.TransactWriteItem{Update: &types.Update{
			TableName: &s.tables.Main, Key: k, UpdateExpression: aws.String(upd), ConditionExpression: cond,
			ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
		}}, nil
	}
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: &s.tables.Main, Key: k, ConditionExpression: cond,
		ExpressionAttributeNames: e.names, ExpressionAttributeValues: e.values,
	}}, nil
}

func numValue(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

// timeValue stores an instant as attributevalue does for time.Time fields.
func timeValue(t time.Time) types.AttributeValue { return str(t.UTC().Format(time.RFC3339Nano)) }
