package app

import (
	"context"
	"fmt"
	"os"

	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/domain/spaces"
)

// ApplySpaces validates a spaces file and stores every space in it (docs/SPACES.md).
// Nothing is written unless the whole file is valid.
func ApplySpaces(ctx context.Context, st *dynamo.Store, path string) ([]spaces.Space, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	file, err := spaces.Parse(f)
	if err != nil {
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
