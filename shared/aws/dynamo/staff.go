package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/domain/audit"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/sessions"
	"github.com/efacture/efacture/shared/domain/staff"
)

var _ staff.Store = (*Store)(nil)

type memberItem struct {
	PK            string     `dynamodbav:"pk"`
	SK            string     `dynamodbav:"sk"`
	Space         string     `dynamodbav:"space"`
	Identifier    string     `dynamodbav:"identifier"`
	Role          string     `dynamodbav:"role"`
	Active        bool       `dynamodbav:"active"`
	PasswordHash  string     `dynamodbav:"passwordHash,omitempty"`
	TOTPSecret    string     `dynamodbav:"totpSecret"`
	TOTPStep      int64      `dynamodbav:"totpStep"`
	SessionEpoch  int64      `dynamodbav:"sessionEpoch"`
	Failures      int        `dynamodbav:"failures"`
	LockedUntil   *time.Time `dynamodbav:"lockedUntil,omitempty"`
	PasswordToken string     `dynamodbav:"passwordToken,omitempty"`
	LastLoginAt   *time.Time `dynamodbav:"lastLoginAt,omitempty"`
	CreatedAt     time.Time  `dynamodbav:"createdAt"`
}

func memberPK(space, identifier string) string { return "STAFF#" + space + "#" + staff.Key(identifier) }

func (it memberItem) member() staff.Member {
	m := staff.Member{
		Space: it.Space, Identifier: it.Identifier, Role: it.Role, Active: it.Active, PasswordHash: it.PasswordHash,
		TOTPSecret: it.TOTPSecret, TOTPStep: it.TOTPStep, SessionEpoch: it.SessionEpoch, Failures: it.Failures,
		PasswordToken: it.PasswordToken, LastLoginAt: it.LastLoginAt, CreatedAt: it.CreatedAt,
	}
	if it.LockedUntil != nil {
		m.LockedUntil = *it.LockedUntil
	}
	return m
}

// Member reads a staff member with a consistent read, so a deactivation holds at once.
func (s *Store) Member(ctx context.Context, space, identifier string) (staff.Member, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key(memberPK(space, identifier), "STAFF"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return staff.Member{}, fmt.Errorf("get staff member: %w", err)
	}
	if out.Item == nil {
		return staff.Member{}, fault.NotFound("staff member")
	}
	var it memberItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return staff.Member{}, err
	}
	return it.member(), nil
}

type staffTokenItem struct {
	PK         string    `dynamodbav:"pk"`
	SK         string    `dynamodbav:"sk"`
	Space      string    `dynamodbav:"space"`
	Identifier string    `dynamodbav:"identifier"`
	ExpiresAt  time.Time `dynamodbav:"expiresAt"`
	TTL        int64     `dynamodbav:"ttl"`
}

func staffTokenPK(hash string) string { return "STAFFTOKEN#" + hash }

// CreateMember puts the member (attribute_not_exists: an identifier is taken once per
// space), its set-password token and the audit entry in one transaction.
func (s *Store) CreateMember(ctx context.Context, m staff.Member, tok staff.PasswordToken, e audit.Entry) error {
	it := memberItem{
		PK: memberPK(m.Space, m.Identifier), SK: "STAFF", Space: m.Space, Identifier: m.Identifier, Role: m.Role,
		Active: m.Active, PasswordHash: m.PasswordHash, TOTPSecret: m.TOTPSecret, PasswordToken: m.PasswordToken,
		CreatedAt: m.CreatedAt.UTC(),
	}
	item, err := attributevalue.MarshalMap(it)
	if err != nil {
		return err
	}
	ae, err := attributevalue.MarshalMap(toAuditItem(e))
	if err != nil {
		return err
	}
	writes := []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.tables.Main, Item: item, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Put: &types.Put{TableName: &s.tables.Main, Item: ae}},
	}
	if tok.Hash != "" {
		ti, err := attributevalue.MarshalMap(staffTokenItem{
			PK: staffTokenPK(tok.Hash), SK: "STAFFTOKEN", Space: tok.Space, Identifier: tok.Identifier,
			ExpiresAt: tok.ExpiresAt.UTC(), TTL: tok.ExpiresAt.Unix(),
		})
		if err != nil {
			return err
		}
		writes = append(writes, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.tables.Main, Item: ti, ConditionExpression: aws.String("attribute_not_exists(pk)"),
		}})
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: writes})
	if failed, ok := canceledAt(err); ok && failed[0] {
		return staff.ErrIdentifierTaken
	}
	if err != nil {
		return fmt.Errorf("create staff member: %w", err)
	}
	return nil
}

// AddMemberFailure adds one to the member's consecutive failures and returns the count.
func (s *Store) AddMemberFailure(ctx context.Context, space, identifier string) (int, error) {
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Main, Key: key(memberPK(space, identifier), "STAFF"),
		UpdateExpression:          aws.String("ADD failures :one"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": numValue(1)},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if conditionFailed(err) {
		return 0, fault.NotFound("staff member")
	}
	if err != nil {
		return 0, fmt.Errorf("count staff failure: %w", err)
	}
	n, ok := out.Attributes["failures"].(*types.AttributeValueMemberN)
	if !ok {
		return 0, errors.New("count staff failure: no count returned")
	}
	return strconv.Atoi(n.Value)
}

// LockMember sets lockedUntil.
func (s *Store) LockMember(ctx context.Context, space, identifier string, until time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Main, Key: key(memberPK(space, identifier), "STAFF"),
		UpdateExpression:          aws.String("SET lockedUntil = :t"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": timeValue(until)},
	})
	if conditionFailed(err) {
		return fault.NotFound("staff member")
	}
	return err
}

// SignIn is one transaction: the member's update on the condition that the code's step
// is later than the last one used (so two logins with one code cannot both pass), that
// it is active and that its epoch is the one read; the session; the audit entry.
func (s *Store) SignIn(ctx context.Context, in staff.SignIn) error {
	sess, err := attributevalue.MarshalMap(staffSessionItem(in.Session))
	if err != nil {
		return err
	}
	ae, err := attributevalue.MarshalMap(toAuditItem(in.Audit))
	if err != nil {
		return err
	}
	m := in.Member
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: &s.tables.Main, Key: key(memberPK(m.Space, m.Identifier), "STAFF"),
			UpdateExpression:    aws.String("SET totpStep = :step, lastLoginAt = :at, failures = :zero REMOVE lockedUntil"),
			ConditionExpression: aws.String("attribute_exists(pk) AND active = :true AND sessionEpoch = :epoch AND (attribute_not_exists(totpStep) OR totpStep < :step)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":step": numValue(in.Step), ":at": timeValue(in.At), ":zero": numValue(0),
				":true": &types.AttributeValueMemberBOOL{Value: true}, ":epoch": numValue(m.SessionEpoch),
			},
		}},
		{Put: &types.Put{TableName: &s.tables.Main, Item: sess, ConditionExpression: aws.String("attribute_not_exists(pk)")}},
		{Put: &types.Put{TableName: &s.tables.Main, Item: ae}},
	}})
	if failed, ok := canceledAt(err); ok && failed[0] {
		return staff.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("staff sign-in: %w", err)
	}
	return nil
}

// StaffPasswordToken reads a set-password token with a consistent read.
func (s *Store) StaffPasswordToken(ctx context.Context, hash string) (staff.PasswordToken, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key(staffTokenPK(hash), "STAFFTOKEN"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return staff.PasswordToken{}, fmt.Errorf("get staff token: %w", err)
	}
	if out.Item == nil {
		return staff.PasswordToken{}, fault.NotFound("staff token")
	}
	var it staffTokenItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return staff.PasswordToken{}, err
	}
	return staff.PasswordToken{Hash: hash, Space: it.Space, Identifier: it.Identifier, ExpiresAt: it.ExpiresAt}, nil
}

// SetMemberPassword deletes the token (it must exist) and sets the hash on the member
// whose current token it still is, moving the epoch on, in one transaction.
func (s *Store) SetMemberPassword(ctx context.Context, tok staff.PasswordToken, hash string, e audit.Entry) error {
	ae, err := attributevalue.MarshalMap(toAuditItem(e))
	if err != nil {
		return err
	}
	_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName: &s.tables.Main, Key: key(staffTokenPK(tok.Hash), "STAFFTOKEN"),
			ConditionExpression: aws.String("attribute_exists(pk)"),
		}},
		{Update: &types.Update{
			TableName: &s.tables.Main, Key: key(memberPK(tok.Space, tok.Identifier), "STAFF"),
			UpdateExpression:    aws.String("SET passwordHash = :h, failures = :zero ADD sessionEpoch :one REMOVE lockedUntil, passwordToken"),
			ConditionExpression: aws.String("active = :true AND passwordToken = :tok"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":h": str(hash), ":zero": numValue(0), ":one": numValue(1),
				":true": &types.AttributeValueMemberBOOL{Value: true}, ":tok": str(tok.Hash),
			},
		}},
		{Put: &types.Put{TableName: &s.tables.Main, Item: ae}},
	}})
	if _, ok := canceledAt(err); ok {
		return staff.ErrTokenSpent
	}
	if err != nil {
		return fmt.Errorf("set staff password: %w", err)
	}
	return nil
}

func staffSessionPK(hash string) string { return "STAFFSESS#" + hash }

func staffSessionItem(ss sessions.Session) sessionItem {
	it := toSessionItem(ss)
	it.PK, it.SK = staffSessionPK(ss.Hash), "STAFFSESS"
	return it
}

// StaffSession reads a staff session by its hash, consistently so a logout holds at once.
func (s *Store) StaffSession(ctx context.Context, hash string) (sessions.Session, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.tables.Main, Key: key(staffSessionPK(hash), "STAFFSESS"), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return sessions.Session{}, fmt.Errorf("get staff session: %w", err)
	}
	if out.Item == nil {
		return sessions.Session{}, fault.NotFound("staff session")
	}
	var it sessionItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return sessions.Session{}, err
	}
	ss := it.sessionWithHash(hash)
	return ss, nil
}

// TouchStaffSession sets lastSeenAt unless the session vanished meanwhile.
func (s *Store) TouchStaffSession(ctx context.Context, hash string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.tables.Main, Key: key(staffSessionPK(hash), "STAFFSESS"),
		UpdateExpression:          aws.String("SET lastSeenAt = :t"),
		ConditionExpression:       aws.String("attribute_exists(pk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": timeValue(at)},
	})
	if conditionFailed(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("touch staff session: %w", err)
	}
	return nil
}

// DeleteStaffSession deletes a staff session; deleting a missing one succeeds.
func (s *Store) DeleteStaffSession(ctx context.Context, hash string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.tables.Main, Key: key(staffSessionPK(hash), "STAFFSESS")})
	if err != nil {
		return fmt.Errorf("delete staff session: %w", err)
	}
	return nil
}

// sessionWithHash is the session of an item whose key is not in SESS# form.
func (it sessionItem) sessionWithHash(hash string) sessions.Session {
	return sessions.Session{
		Hash: hash, Identifier: it.Identifier, Space: it.Space, CustomerNumber: it.CustomerNumber,
		Epoch: it.Epoch, CreatedAt: it.CreatedAt, LastSeenAt: it.LastSeenAt, ExpiresAt: it.ExpiresAt,
	}
}
