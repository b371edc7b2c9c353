package localaws

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/efacture/efacture/infra/local/eventsource"
	"github.com/efacture/efacture/shared/aws/principals"
	"github.com/efacture/efacture/shared/domain/spaces"
)

// TestS3EventsNameTheWriter: with motopatch, moto's S3 events name who signed the put as
// AWS does: a role session as AWS:<RoleId>:<session>, an IAM user as AWS:<UserId>; the
// static key gets no userIdentity, which the event source fills with AWS:LOCAL. The
// RoleId is the one principals.Resolve reads with iam:GetRole, so ingestion's matching
// holds against moto.
func TestS3EventsNameTheWriter(t *testing.T) {
	env := startFixture(t)
	ctx := testContext(t)
	bucket := env.Stack.Physical["InboxBucket"]
	const arn = "arn:aws:iam::" + Account + ":role/efacture-billing-acme"
	for range 2 { // a second time finds the role
		if err := env.EnsureBillingRole(ctx, "acme", arn); err != nil {
			t.Fatal(err)
		}
	}
	sess, err := env.Assume(ctx, arn, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	roleID, err := principals.New(env.IAM()).Resolve(ctx, "acme", arn)
	if err != nil {
		t.Fatal(err)
	}
	if sess.Principal != "AWS:"+roleID+":run-1" {
		t.Errorf("session principal %q, want AWS:%s:run-1", sess.Principal, roleID)
	}

	if _, err := env.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("legacy-batch")}); err != nil {
		t.Fatal(err)
	}
	user, err := env.IAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("legacy-batch")})
	if err != nil {
		t.Fatal(err)
	}
	key, err := env.IAM().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("legacy-batch")})
	if err != nil {
		t.Fatal(err)
	}
	userCfg := env.Config.Copy()
	userCfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey), "")

	writers := []struct {
		name, key, want string
		client          *s3.Client
	}{
		{"role session", "inbox/acme/documents/by-role.pdf", sess.Principal, sess.S3},
		{"user", "inbox/acme/documents/by-user.pdf", "AWS:" + aws.ToString(user.User.UserId), NewS3(userCfg)},
		{"static key", "inbox/acme/documents/by-local.pdf", "AWS:LOCAL", env.S3},
	}
	for _, w := range writers {
		if _, err := w.client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(w.key), Body: strings.NewReader("%PDF-1.7\n")}); err != nil {
			t.Fatalf("%s: %v", w.name, err)
		}
	}
	got := principalsByKey(ctx, t, env, len(writers))
	for _, w := range writers {
		if got[w.key] != w.want {
			t.Errorf("%s: event principal %q, want %q", w.name, got[w.key], w.want)
		}
	}
	if id, ok := spaces.EventUniqueID(got[writers[0].key]); !ok || id != roleID {
		t.Errorf("the role session's event gives id %q (%v), want %s", id, ok, roleID)
	}
}

// principalsByKey reads n S3 records from IngestQueue, as the event source delivers them.
func principalsByKey(ctx context.Context, t *testing.T, env *Env, n int) map[string]string {
	t.Helper()
	got := map[string]string{}
	queueARN := env.Stack.QueueARN("IngestQueue")
	deadline := time.Now().Add(30 * time.Second)
	for len(got) < n && time.Now().Before(deadline) {
		out, err := env.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(env.Stack.QueueURL("IngestQueue")),
			MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range out.Messages {
			ev, skip, err := eventsource.S3EventFromSQSBody(eventsource.NormalizeSQSMessage(m, queueARN).Body)
			if err != nil {
				t.Fatal(err)
			}
			if skip {
				continue
			}
			for _, r := range ev.Records {
				k, _ := url.QueryUnescape(r.S3.Object.Key)
				got[k] = principalOf(r)
			}
		}
	}
	return got
}

func principalOf(r events.S3EventRecord) string { return r.PrincipalID.PrincipalID }

// TestResolveBillingPrincipals: the spaces command accepts a role tagged with its space
// and refuses, with a message saying why, a missing role, an untagged one, one tagged
// for another space and an ARN whose path IAM does not know.
func TestResolveBillingPrincipals(t *testing.T) {
	env := startFixture(t)
	ctx := testContext(t)
	role := func(name string, tags ...iamtypes.Tag) string {
		t.Helper()
		if _, err := env.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String("/billing/"),
			AssumeRolePolicyDocument: aws.String(trustAccount), Tags: tags}); err != nil {
			t.Fatal(err)
		}
		return "arn:aws:iam::" + Account + ":role/billing/" + name
	}
	tag := func(v string) iamtypes.Tag {
		return iamtypes.Tag{Key: aws.String(spaces.SpaceTag), Value: aws.String(v)}
	}
	good := role("acme-ok", tag("acme"))
	untagged := role("acme-untagged")
	other := role("acme-globex", tag("globex"))
	r := principals.New(env.IAM())
	if id, err := r.Resolve(ctx, "acme", good); err != nil || !strings.HasPrefix(id, "AROA") {
		t.Errorf("tagged role: got %q, %v", id, err)
	}
	for arn, says := range map[string]string{
		"arn:aws:iam::" + Account + ":role/billing/absent": "does not exist",
		untagged: `carries tag efacture-space="", want "acme"`,
		other:    `carries tag efacture-space="globex", want "acme"`,
		"arn:aws:iam::" + Account + ":role/acme-ok": "IAM knows role \"acme-ok\" as " + good,
	} {
		if _, err := r.Resolve(ctx, "acme", arn); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("%s: got %v, want an error saying %s", arn, err, says)
		}
	}
}
