package app

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/domain/spaces"
)

// PrincipalResolver returns the IAM unique id of arn, a billing principal of space
// (package principals).
type PrincipalResolver interface {
	Resolve(ctx context.Context, space, arn string) (string, error)
}

// ApplySpaces validates a spaces file and stores every space in it (docs/SPACES.md).
// Nothing is written unless the whole file is valid. A file naming billing principals
// needs ApplySpacesWith.
func ApplySpaces(ctx context.Context, st *dynamo.Store, path string) ([]spaces.Space, error) {
	return ApplySpacesWith(ctx, st, nil, path)
}

// ApplySpacesWith is ApplySpaces resolving billing principals with iam. Every principal
// is resolved before anything is written, so an unknown or mistagged one stops the
// whole file.
func ApplySpacesWith(ctx context.Context, st *dynamo.Store, iam PrincipalResolver, path string) ([]spaces.Space, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	file, err := spaces.Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var errs []error
	for i := range file.Spaces {
		sp := &file.Spaces[i]
		for _, arn := range sp.BillingPrincipals {
			if iam == nil {
				errs = append(errs, fmt.Errorf("space %s names billing principals: applying it needs IAM to resolve them (go run ./infra/spaces)", sp.ID))
				break
			}
			id, err := iam.Resolve(ctx, sp.ID, arn)
			if err != nil {
				errs = append(errs, fmt.Errorf("space %s: %w", sp.ID, err))
				continue
			}
			sp.BillingPrincipalIDs = append(sp.BillingPrincipalIDs, id)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, sp := range file.Spaces {
		if err := st.PutSpace(ctx, sp); err != nil {
			return nil, fmt.Errorf("apply space %s: %w", sp.ID, err)
		}
	}
	return file.Spaces, nil
}

// Store is a DynamoDB store on every table, unconfined, for commands and tests.
func Store(env Env, c Clients, o Options) *dynamo.Store {
	return dynamo.New(c.DynamoDB, tables(env), o.withDefaults(env).Now)
}
