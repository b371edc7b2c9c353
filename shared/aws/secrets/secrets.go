// Package secrets reads the deployment's secrets from Secrets Manager.
package secrets

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/efacture/efacture/shared/domain/signing"
	"github.com/efacture/efacture/shared/domain/tokens"
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

// MailKey reads the mail-token secret at arn, which derives the tokens mails carry. Only
// the functions that write or send such mails may read it.
func MailKey(ctx context.Context, client Client, arn string) (*tokens.MailKey, error) {
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return nil, fmt.Errorf("read mail-token secret: %w", err)
	}
	key, err := tokens.NewMailKey([]byte(aws.ToString(out.SecretString)))
	if err != nil {
		return nil, fmt.Errorf("mail-token secret: %w", err)
	}
	return key, nil
}
