// Package secrets reads the deployment's secrets from Secrets Manager.
package secrets

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/efacture/efacture/shared/domain/signing"
)

// Client is the part of the Secrets Manager client used here.
type Client interface {
	GetSecretValue(context.Context, *secretsmanager.GetSecretValueInput, ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SigningKey reads the signing secret at arn, which signs cursors and links; functions
// read it once per container, starting at init.
func SigningKey(ctx context.Context, client Client, arn string) (*signing.Key, error) {
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("read signing secret: %w", err)
	}
	key, err := signing.NewKey([]byte(aws.ToString(out.SecretString)))
	if err != nil {
		return nil, fmt.Errorf("signing secret: %w", err)
	}
	return key, nil
}
