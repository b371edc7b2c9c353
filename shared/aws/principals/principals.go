// Package principals resolves the billing principals a spaces file names (IAM role or
// user ARNs) to the unique ids S3 events carry (docs/SPACES.md), with iam:GetRole and
// iam:GetUser.
package principals

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/efacture/efacture/shared/domain/spaces"
)

// Client is the part of IAM the resolver uses.
type Client interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	GetUser(ctx context.Context, in *iam.GetUserInput, opts ...func(*iam.Options)) (*iam.GetUserOutput, error)
}

// Resolver looks principals up in IAM.
type Resolver struct{ client Client }

// New returns a resolver on client.
func New(client Client) *Resolver { return &Resolver{client: client} }

// Resolve returns the unique id of arn, a billing principal of space. It refuses a
// principal that does not exist, whose ARN differs (another path or account), or that
// does not carry the tag efacture-space with the space's id: the template's policy would
// let it write nowhere, or into another space.
func (r *Resolver) Resolve(ctx context.Context, space, arn string) (string, error) {
	kind, name, ok := spaces.PrincipalKind(arn)
	if !ok {
		return "", fmt.Errorf("%s is not an IAM role or user ARN", arn)
	}
	var (
		id, gotARN string
		tags       []types.Tag
		err        error
	)
	if kind == "role" {
		var out *iam.GetRoleOutput
		if out, err = r.client.GetRole(ctx, &iam.GetRoleInput{RoleName: &name}); err == nil {
			id, gotARN, tags = deref(out.Role.RoleId), deref(out.Role.Arn), out.Role.Tags
		}
	} else {
		var out *iam.GetUserOutput
		if out, err = r.client.GetUser(ctx, &iam.GetUserInput{UserName: &name}); err == nil {
			id, gotARN, tags = deref(out.User.UserId), deref(out.User.Arn), out.User.Tags
		}
	}
	var missing *types.NoSuchEntityException
	switch {
	case errors.As(err, &missing):
		return "", fmt.Errorf("billing principal %s does not exist in this account", arn)
	case err != nil:
		return "", fmt.Errorf("billing principal %s: %w", arn, err)
	case gotARN != arn:
		return "", fmt.Errorf("billing principal %s: IAM knows %s %q as %s", arn, kind, name, gotARN)
	case !spaces.ValidUniqueID(id):
		return "", fmt.Errorf("billing principal %s: unexpected unique id %q", arn, id)
	}
	tag := ""
	for _, t := range tags {
		if deref(t.Key) == spaces.SpaceTag {
			tag = deref(t.Value)
		}
	}
	if tag != space {
		return "", fmt.Errorf("billing principal %s carries tag %s=%q, want %q: the billing policy lets it write only under inbox/{that tag}/",
			arn, spaces.SpaceTag, tag, space)
	}
	return id, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
