package localaws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/efacture/efacture/shared/domain/spaces"
)

// Account is moto's account, where the local stack lives.
const Account = "123456789012"

// trustAccount lets principals of the account assume a billing role.
const trustAccount = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + Account + `:root"},"Action":"sts:AssumeRole"}]}`

// IAM returns an IAM client on the emulator.
func (e *Env) IAM() *iam.Client { return iam.NewFromConfig(e.Config) }

// EnsureBillingRole creates the IAM role arn in the emulator, tagged efacture-space=space
// as ops tag billing's roles (docs/SPACES.md), unless it exists already (a reused
// emulator). moto does not enforce IAM: the role serves as the identity S3 events name.
func (e *Env) EnsureBillingRole(ctx context.Context, space, arn string) error {
	kind, name, ok := spaces.PrincipalKind(arn)
	if !ok || kind != "role" {
		return fmt.Errorf("billing role %q: not a role ARN", arn)
	}
	_, err := e.IAM().CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustAccount),
		Tags: []iamtypes.Tag{{Key: aws.String(spaces.SpaceTag), Value: aws.String(space)}},
	})
	var exists *iamtypes.EntityAlreadyExistsException
	if errors.As(err, &exists) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("billing role %s: %w", arn, err)
	}
	return nil
}

// Session is a session of a role in the emulator's STS.
type Session struct {
	// S3 signs with the session's credentials.
	S3 *s3.Client
	// Principal is the id S3 events give its writes, "AWS:<RoleId>:<session>": moto
	// names the writer from the signing key (motopatch), as AWS does.
	Principal   string
	Credentials aws.Credentials
}

// Assume starts a session of role arn.
func (e *Env) Assume(ctx context.Context, arn, session string) (Session, error) {
	out, err := sts.NewFromConfig(e.Config).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String(session)})
	if err != nil {
		return Session{}, fmt.Errorf("assume %s: %w", arn, err)
	}
	c := out.Credentials
	creds := aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
		SessionToken: aws.ToString(c.SessionToken), Source: "localaws"}
	cfg := e.Config.Copy()
	cfg.Credentials = aws.NewCredentialsCache(credentials.StaticCredentialsProvider{Value: creds})
	if err := AssertLoopback(cfg); err != nil {
		return Session{}, err
	}
	return Session{S3: NewS3(cfg), Principal: "AWS:" + aws.ToString(out.AssumedRoleUser.AssumedRoleId), Credentials: creds}, nil
}
