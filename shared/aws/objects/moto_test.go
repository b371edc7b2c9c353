package objects_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/efacture/efacture/infra/local/localaws"
)

// motoBucket starts a moto of the test's own on a free loopback port and creates bucket
// in it, returning an S3 client on it.
func motoBucket(ctx context.Context, t *testing.T, bucket string) *s3.Client {
	t.Helper()
	moto, err := localaws.StartMoto(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { moto.Stop() })
	cfg, err := localaws.Config(ctx, moto.URL)
	if err != nil {
		t.Fatal(err)
	}
	client := localaws.NewS3(cfg)
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(cfg.Region)}}); err != nil {
		t.Fatal(err)
	}
	return client
}
