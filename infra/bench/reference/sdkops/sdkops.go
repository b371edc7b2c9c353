// Package sdkops issues, for the size yardsticks of docs/BENCHMARKS.md (R8), each AWS
// operation a function issues, so the linker keeps the same SDK code the function keeps
// and nothing else.
package sdkops

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: pk}, "sk": &types.AttributeValueMemberS{Value: pk}}
}

// DynamoDB issues the six operations every function's table adapter uses.
func DynamoDB(ctx context.Context, db *dynamodb.Client, table, pk string) error {
	k := key(pk)
	_, err1 := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: k, ConsistentRead: aws.Bool(true)})
	_, err2 := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: k})
	_, err3 := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &table, Key: k, UpdateExpression: aws.String("ADD #c :one"),
		ExpressionAttributeNames:  map[string]string{"#c": "count"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
	})
	_, err4 := db.Query(ctx, &dynamodb.QueryInput{
		TableName: &table, KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": k["pk"]},
	})
	_, err5 := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &table, Item: k}},
	}})
	_, err6 := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: k})
	return errors.Join(err1, err2, err3, err4, err5, err6)
}

// Secret reads a secret's value.
func Secret(ctx context.Context, sm *secretsmanager.Client, arn string) (string, error) {
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &arn})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.SecretString), nil
}

// Presign signs a GET of an object.
func Presign(ctx context.Context, p *s3.PresignClient, bucket, key string) (string, error) {
	req, err := p.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		return "", err
	}
	return req.URL, nil
}

// Enqueue sends a message.
func Enqueue(ctx context.Context, q *sqs.Client, url, body string) error {
	_, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: &url, MessageBody: &body})
	return err
}

// Objects reads an object, copies it, writes another and deletes the first.
func Objects(ctx context.Context, c *s3.Client, bucket, key string) error {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return err
	}
	out.Body.Close()
	dst := key + ".copy"
	_, err1 := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: &bucket, Key: &dst, CopySource: aws.String(bucket + "/" + key)})
	_, err2 := c.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(key + ".json")})
	_, err3 := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: &key})
	return errors.Join(err1, err2, err3)
}
