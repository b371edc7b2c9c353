package localaws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	sestypes "github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/efacture/efacture/infra/local/eventsource"
)

const fixture = "testdata/template.yaml"

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// startFixture starts both emulators and provisions the fixture template.
func startFixture(t *testing.T) *Env {
	t.Helper()
	env, err := Start(testContext(t), Options{Template: fixture})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	t.Logf("start-up: moto %v, aws-ses-v2-local %v (in parallel), provision %v",
		env.Timings["moto"].Round(time.Millisecond), env.Timings["ses"].Round(time.Millisecond), env.Timings["provision"].Round(time.Millisecond))
	return env
}

func TestFixtureStack(t *testing.T) {
	env := startFixture(t)
	ctx := testContext(t)
	st := env.Stack
	if err := env.Clients.AssertLoopback(); err != nil {
		t.Fatal(err)
	}

	t.Run("idempotent", func(t *testing.T) {
		before := secretString(t, env, st.Ref("SigningSecret"))
		t0 := time.Now()
		again, err := Provision(ctx, env.Config, fixture, st.Prefix, map[string]string{"CertificateArn": st.Params["CertificateArn"]})
		if err != nil {
			t.Fatalf("second provision: %v", err)
		}
		t.Logf("second provision: %v", time.Since(t0).Round(time.Millisecond))
		if !reflect.DeepEqual(again, st) {
			t.Errorf("second provision differs:\n got %+v\nwant %+v", again, st)
		}
		if after := secretString(t, env, st.Ref("SigningSecret")); after != before {
			t.Errorf("secret value changed on the second run")
		}
		queues, err := env.SQS.ListQueues(ctx, &sqs.ListQueuesInput{QueueNamePrefix: aws.String(st.Prefix)})
		if err != nil {
			t.Fatal(err)
		}
		if len(queues.QueueUrls) != 3 {
			t.Errorf("queues: got %v, want 3", queues.QueueUrls)
		}
		tables, err := env.DynamoDB.ListTables(ctx, &dynamodb.ListTablesInput{})
		if err != nil {
			t.Fatal(err)
		}
		if n := countPrefix(tables.TableNames, st.Prefix); n != 3 {
			t.Errorf("tables: got %d of %v, want 3", n, tables.TableNames)
		}
		buckets, err := env.S3.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, b := range buckets.Buckets {
			names = append(names, aws.ToString(b.Name))
		}
		if n := countPrefix(names, st.Prefix); n != 3 {
			t.Errorf("buckets: got %d of %v, want 3", n, names)
		}
	})

	t.Run("names and skipped", func(t *testing.T) {
		want := map[string]string{
			"InboxBucket":           st.Prefix + "-inbox-123456789012",
			"ArchiveBucket":         st.Prefix + "-archivebucket",
			"WebBucket":             st.Prefix + "-webbucket",
			"IngestQueue":           st.Prefix + "-IngestQueue",
			"IngestDeadLetterQueue": st.Prefix + "-IngestDeadLetterQueue",
			"MainTable":             st.Prefix + "-MainTable",
			"SigningSecret":         st.Prefix + "-SigningSecret",
			"MailConfigurationSet":  st.Prefix + "-mail",
		}
		for id, name := range want {
			if got := st.Physical[id]; got != name {
				t.Errorf("%s: got %q, want %q", id, got, name)
			}
		}
		wantSkipped := []string{"AlarmSubscription", "AlarmTopic", "AuthFunction", "DigestFunction", "DocumentsFunction",
			"HttpApi", "IngestDeadLetterAlarm", "IngestFunction", "IngestLogGroup", "IngestQueuePolicy",
			"MailConfigurationSet", "MailerFunction", "PurgeFunction", "SenderIdentity"}
		if !reflect.DeepEqual(st.Skipped, wantSkipped) {
			t.Errorf("skipped: got %v, want %v", st.Skipped, wantSkipped)
		}
	})

	t.Run("queues", func(t *testing.T) {
		got, err := env.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
			QueueUrl:       aws.String(st.QueueURL("IngestQueue")),
			AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
		})
		if err != nil {
			t.Fatal(err)
		}
		if v := got.Attributes["VisibilityTimeout"]; v != "60" {
			t.Errorf("VisibilityTimeout: got %q, want 60", v)
		}
		var redrive struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			MaxReceiveCount     any    `json:"maxReceiveCount"`
		}
		if err := json.Unmarshal([]byte(got.Attributes["RedrivePolicy"]), &redrive); err != nil {
			t.Fatalf("RedrivePolicy %q: %v", got.Attributes["RedrivePolicy"], err)
		}
		if redrive.DeadLetterTargetArn != st.QueueARN("IngestDeadLetterQueue") || fmt.Sprint(redrive.MaxReceiveCount) != "5" {
			t.Errorf("RedrivePolicy: got %+v, want %s and 5", redrive, st.QueueARN("IngestDeadLetterQueue"))
		}
		if want := "arn:aws:sqs:eu-west-3:123456789012:" + st.Prefix + "-IngestQueue"; st.QueueARN("IngestQueue") != want {
			t.Errorf("QueueARN: got %q, want %q", st.QueueARN("IngestQueue"), want)
		}
	})

	t.Run("tables", func(t *testing.T) {
		for _, tc := range []struct {
			id      string
			indexes []string
			view    string
		}{
			{"MainTable", []string{"gsi1", "gsi2"}, ""},
			{"DocumentsTable", []string{"byNumber"}, "NEW_AND_OLD_IMAGES"},
			{"OutboxTable", nil, "NEW_IMAGE"},
		} {
			d, err := env.DynamoDB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(st.Physical[tc.id])})
			if err != nil {
				t.Fatal(err)
			}
			var idx []string
			for _, g := range d.Table.GlobalSecondaryIndexes {
				idx = append(idx, aws.ToString(g.IndexName))
			}
			sort.Strings(idx)
			if !slices.Equal(idx, tc.indexes) {
				t.Errorf("%s indexes: got %v, want %v", tc.id, idx, tc.indexes)
			}
			var view string
			if s := d.Table.StreamSpecification; s != nil && aws.ToBool(s.StreamEnabled) {
				view = string(s.StreamViewType)
			}
			if view != tc.view {
				t.Errorf("%s stream: got %q, want %q", tc.id, view, tc.view)
			}
			if (tc.view != "") != (st.StreamARN(tc.id) != "") {
				t.Errorf("%s StreamARN: got %q", tc.id, st.StreamARN(tc.id))
			}
			if d.Table.BillingModeSummary == nil || d.Table.BillingModeSummary.BillingMode != ddbtypes.BillingModePayPerRequest {
				t.Errorf("%s billing: got %+v, want PAY_PER_REQUEST", tc.id, d.Table.BillingModeSummary)
			}
			ttl, err := env.DynamoDB.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(st.Physical[tc.id])})
			if err != nil {
				t.Fatal(err)
			}
			if d := ttl.TimeToLiveDescription; d.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "ttl" {
				t.Errorf("%s TTL: got %s on %q, want ENABLED on ttl", tc.id, d.TimeToLiveStatus, aws.ToString(d.AttributeName))
			}
		}
	})

	t.Run("secret", func(t *testing.T) {
		s := secretString(t, env, st.Ref("SigningSecret"))
		if len(s) != 64 || strings.ContainsAny(s, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ ") {
			t.Errorf("got %q, want 64 letters and digits", s)
		}
	})

	t.Run("function environment", func(t *testing.T) {
		common := map[string]string{
			"MAIN_TABLE":            st.Physical["MainTable"],
			"DOCUMENTS_TABLE":       st.Physical["DocumentsTable"],
			"OUTBOX_TABLE":          st.Physical["OutboxTable"],
			"INBOX_BUCKET":          st.Physical["InboxBucket"],
			"ARCHIVE_BUCKET":        st.Physical["ArchiveBucket"],
			"PORTAL_BASE_URL":       "https://portal.example.test",
			"MAIL_FROM":             "no-reply@example.test",
			"SES_CONFIGURATION_SET": st.Prefix + "-mail",
			"SIGNING_SECRET_ARN":    st.Ref("SigningSecret"),
			"LOG_LEVEL":             "INFO",
		}
		if !strings.HasPrefix(common["SIGNING_SECRET_ARN"], "arn:aws:secretsmanager:eu-west-3:123456789012:secret:"+st.Prefix+"-SigningSecret") {
			t.Errorf("secret ARN: got %q", common["SIGNING_SECRET_ARN"])
		}
		with := func(extra map[string]string) map[string]string {
			m := maps.Clone(common)
			maps.Copy(m, extra)
			return m
		}
		tests := []struct {
			id   string
			want map[string]string
		}{
			{"IngestFunction", with(map[string]string{"REJECT_PREFIX": "rejected/"})},
			{"MailerFunction", with(map[string]string{"LOG_LEVEL": "DEBUG", "ALARM_TOPIC_ARN": "arn:aws:sns:eu-west-3:123456789012:" + st.Prefix + "-AlarmTopic"})},
			{"DocumentsFunction", with(map[string]string{
				"EXPORT_QUEUE_URL": st.QueueURL("IngestQueue"),
				"WEB_URL":          "https://" + st.Physical["WebBucket"] + ".s3.eu-west-3.amazonaws.com/",
				"ZONE":             "eu-west-3a",
				"STAGE":            "quiet",
			})},
			{"NoSuchFunction", nil},
		}
		for _, tc := range tests {
			t.Run(tc.id, func(t *testing.T) {
				if got := st.FunctionEnv(tc.id); !reflect.DeepEqual(got, tc.want) {
					t.Errorf("got %v\nwant %v", got, tc.want)
				}
			})
		}
	})

	t.Run("function events", func(t *testing.T) {
		fns := st.Functions()
		if len(fns) != 6 {
			t.Errorf("got %d functions, want 6", len(fns))
		}
		if got, want := fns["IngestFunction"].SQS, []SQSSource{{Event: "Inbox", QueueID: "IngestQueue", BatchSize: 5, ReportBatchItemFailures: true}}; !reflect.DeepEqual(got, want) {
			t.Errorf("ingest: got %+v, want %+v", got, want)
		}
		mailer := fns["MailerFunction"].Streams
		wantMailer := []StreamSource{{Event: "Outbox", TableID: "OutboxTable", StartingPosition: "TRIM_HORIZON", BatchSize: 10,
			MaximumRetryAttempts: 5, BisectBatchOnFunctionError: true, ReportBatchItemFailures: true,
			Filters:          []json.RawMessage{json.RawMessage(`{"eventName":["INSERT"]}`)},
			OnFailureQueueID: "MailerDeadLetterQueue"}}
		if !reflect.DeepEqual(mailer, wantMailer) {
			t.Errorf("mailer: got %+v, want %+v", mailer, wantMailer)
		}
		purge := fns["PurgeFunction"].Streams
		if len(purge) != 1 || purge[0].TableID != "DocumentsTable" || purge[0].BatchSize != 100 || purge[0].MaximumRetryAttempts != -1 || len(purge[0].Filters) != 1 {
			t.Errorf("purge: got %+v", purge)
		}
		if got := fns["DocumentsFunction"].HTTP; len(got) != 1 || got[0].Method != "GET" || got[0].Path != "/api/documents/{id}/download" {
			t.Errorf("documents routes: got %+v", got)
		}
		if got, want := fns["IngestFunction"].Timeout, 10*time.Second; got != want {
			t.Errorf("ingest timeout: got %v, want %v", got, want)
		}
		if f := fns["AuthFunction"]; f.CodeURI != "." || f.Handler != "bootstrap" || len(f.HTTP) != 3 {
			t.Errorf("auth: got CodeURI %q Handler %q routes %d, want . bootstrap 3", f.CodeURI, f.Handler, len(f.HTTP))
		}
	})

	t.Run("s3 notification", func(t *testing.T) {
		const key = "inbox/x/documents/a b+c é.pdf"
		bucket := st.Physical["InboxBucket"]
		if _, err := env.S3.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("%PDF-1.7\n"),
		}); err != nil {
			t.Fatal(err)
		}
		// Outside the prefix: must not be notified.
		if _, err := env.S3.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String("rejected/x/a.pdf"), Body: strings.NewReader("x"),
		}); err != nil {
			t.Fatal(err)
		}
		queueARN := st.QueueARN("IngestQueue")
		var records []events.S3EventRecord
		var tests int
		deadline := time.Now().Add(10 * time.Second)
		for len(records) == 0 && time.Now().Before(deadline) {
			out, err := env.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
				QueueUrl:                    aws.String(st.QueueURL("IngestQueue")),
				MaxNumberOfMessages:         10,
				WaitTimeSeconds:             1,
				MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range out.Messages {
				msg := eventsource.NormalizeSQSMessage(m, queueARN)
				if msg.EventSourceARN != queueARN || msg.EventSource != "aws:sqs" || msg.AWSRegion != "eu-west-3" {
					t.Errorf("record source: got %q %q %q", msg.EventSource, msg.EventSourceARN, msg.AWSRegion)
				}
				if msg.Attributes["ApproximateReceiveCount"] != "1" {
					t.Errorf("attributes: got %v, want ApproximateReceiveCount 1", msg.Attributes)
				}
				ev, skip, err := eventsource.S3EventFromSQSBody(msg.Body)
				if err != nil {
					t.Fatalf("body %s: %v", msg.Body, err)
				}
				if skip {
					tests++
					continue
				}
				records = append(records, ev.Records...)
			}
		}
		if tests == 0 {
			t.Error("got no s3:TestEvent, want at least one")
		}
		if len(records) != 1 {
			t.Fatalf("got %d records, want 1", len(records))
		}
		rec := records[0]
		decoded, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil || decoded != key {
			t.Errorf("key %q decodes to %q (%v), want %q", rec.S3.Object.Key, decoded, err, key)
		}
		if !strings.HasPrefix(rec.S3.Object.Key, "inbox/x/documents/") {
			t.Errorf("key %q: want slashes kept", rec.S3.Object.Key)
		}
		if rec.S3.Bucket.Name != bucket || rec.S3.Object.Sequencer == "" || rec.S3.Object.Size != 9 {
			t.Errorf("got bucket %q sequencer %q size %d", rec.S3.Bucket.Name, rec.S3.Object.Sequencer, rec.S3.Object.Size)
		}
		if age := time.Since(rec.EventTime); age < -time.Minute || age > time.Minute {
			t.Errorf("eventTime %v is %v away from now", rec.EventTime, age)
		}
	})

	t.Run("stream", func(t *testing.T) {
		table := st.Physical["OutboxTable"]
		reader := eventsource.NewStreamReader(env.Streams, st.StreamARN("OutboxTable"))
		item := map[string]ddbtypes.AttributeValue{
			"pk":     &ddbtypes.AttributeValueMemberS{Value: "activation#pierre"},
			"status": &ddbtypes.AttributeValueMemberS{Value: "pending"},
			"n":      &ddbtypes.AttributeValueMemberN{Value: "12.5"},
			"b":      &ddbtypes.AttributeValueMemberB{Value: []byte{1, 2, 3}},
			"ok":     &ddbtypes.AttributeValueMemberBOOL{Value: true},
			"none":   &ddbtypes.AttributeValueMemberNULL{Value: true},
			"data":   &ddbtypes.AttributeValueMemberM{Value: map[string]ddbtypes.AttributeValue{"to": &ddbtypes.AttributeValueMemberS{Value: "p@example.test"}}},
			"list":   &ddbtypes.AttributeValueMemberL{Value: []ddbtypes.AttributeValue{&ddbtypes.AttributeValueMemberN{Value: "1"}, &ddbtypes.AttributeValueMemberS{Value: "x"}}},
			"ss":     &ddbtypes.AttributeValueMemberSS{Value: []string{"a", "b"}},
			"ns":     &ddbtypes.AttributeValueMemberNS{Value: []string{"1", "2"}},
			"bs":     &ddbtypes.AttributeValueMemberBS{Value: [][]byte{{9}, {8}}},
		}
		if _, err := env.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
			t.Fatal(err)
		}
		recs, err := reader.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 {
			t.Fatalf("got %d records, want 1", len(recs))
		}
		rec := recs[0]
		if rec.EventName != "INSERT" || rec.EventSource != "aws:dynamodb" || rec.EventSourceArn != st.StreamARN("OutboxTable") || rec.AWSRegion != "eu-west-3" || rec.EventID == "" {
			t.Errorf("got %s %s %s %s id %q", rec.EventName, rec.EventSource, rec.EventSourceArn, rec.AWSRegion, rec.EventID)
		}
		c := rec.Change
		if c.StreamViewType != "NEW_IMAGE" || c.SequenceNumber == "" || c.OldImage != nil {
			t.Errorf("got view %q sequence %q old image %v", c.StreamViewType, c.SequenceNumber, c.OldImage)
		}
		if age := time.Since(c.ApproximateCreationDateTime.Time); age < -time.Minute || age > time.Minute {
			t.Errorf("ApproximateCreationDateTime %v is %v away from now", c.ApproximateCreationDateTime.Time, age)
		}
		if got := c.Keys["pk"]; got.DataType() != events.DataTypeString || got.String() != "activation#pierre" {
			t.Errorf("keys: got %v", c.Keys)
		}
		wantImage := `{"b":{"B":"AQID"},"bs":{"BS":["CA==","CQ=="]},"data":{"M":{"to":{"S":"p@example.test"}}},` +
			`"list":{"L":[{"N":"1"},{"S":"x"}]},"n":{"N":"12.5"},"none":{"NULL":true},"ns":{"NS":["1","2"]},` +
			`"ok":{"BOOL":true},"pk":{"S":"activation#pierre"},"ss":{"SS":["a","b"]},"status":{"S":"pending"}}`
		if got := imageJSON(t, c.NewImage); got != wantImage {
			t.Errorf("new image:\n got %s\nwant %s", got, wantImage)
		}
		mailerFilter := st.Functions()["MailerFunction"].Streams[0].Filters[0]
		if ok, err := eventsource.MatchFilter(mailerFilter, rec); err != nil || !ok {
			t.Errorf("mailer filter on INSERT: got %v (%v), want true", ok, err)
		}

		if _, err := env.DynamoDB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 aws.String(table),
			Key:                       map[string]ddbtypes.AttributeValue{"pk": item["pk"]},
			UpdateExpression:          aws.String("SET #s = :s"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":s": &ddbtypes.AttributeValueMemberS{Value: "sent"}},
		}); err != nil {
			t.Fatal(err)
		}
		recs, err = reader.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 1 || recs[0].EventName != "MODIFY" || recs[0].Change.NewImage["status"].String() != "sent" {
			t.Fatalf("after update: got %+v, want one MODIFY with status sent", recs)
		}
		if recs[0].Change.SequenceNumber <= c.SequenceNumber && len(recs[0].Change.SequenceNumber) <= len(c.SequenceNumber) {
			t.Errorf("sequence: got %q after %q, want a later one", recs[0].Change.SequenceNumber, c.SequenceNumber)
		}
		if ok, err := eventsource.MatchFilter(mailerFilter, recs[0]); err != nil || ok {
			t.Errorf("mailer filter on MODIFY: got %v (%v), want false", ok, err)
		}
		if recs, err := reader.Poll(ctx); err != nil || len(recs) != 0 {
			t.Errorf("idle poll: got %d records (%v), want none", len(recs), err)
		}

		// A user's delete on the documents table shows its old image and
		// is not taken for a TTL deletion.
		docs := st.Physical["DocumentsTable"]
		docReader := eventsource.NewStreamReader(env.Streams, st.StreamARN("DocumentsTable"))
		key := map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: "acme#C1"},
			"sk": &ddbtypes.AttributeValueMemberS{Value: "2026-01-02#F1"},
		}
		doc := maps.Clone(key)
		doc["number"] = &ddbtypes.AttributeValueMemberS{Value: "F1"}
		if _, err := env.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(docs), Item: doc}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(docs), Key: key}); err != nil {
			t.Fatal(err)
		}
		recs, err = docReader.Poll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2 || recs[0].EventName != "INSERT" || recs[1].EventName != "REMOVE" {
			t.Fatalf("documents: got %d records, want INSERT then REMOVE", len(recs))
		}
		if got := recs[1].Change.OldImage["number"].String(); got != "F1" || recs[1].Change.NewImage != nil {
			t.Errorf("remove: got old number %q new image %v", got, recs[1].Change.NewImage)
		}
		purgeFilter := st.Functions()["PurgeFunction"].Streams[0].Filters[0]
		if ok, err := eventsource.MatchFilter(purgeFilter, recs[1]); err != nil || ok {
			t.Errorf("purge filter on a user delete: got %v (%v), want false", ok, err)
		}
		ttlDelete := recs[1]
		ttlDelete.UserIdentity = &events.DynamoDBUserIdentity{Type: "Service", PrincipalID: "dynamodb.amazonaws.com"}
		if ok, err := eventsource.MatchFilter(purgeFilter, ttlDelete); err != nil || !ok {
			t.Errorf("purge filter on a TTL delete: got %v (%v), want true", ok, err)
		}
	})

	t.Run("ses", func(t *testing.T) {
		subject := "Facture F-2026-001 " + st.Prefix
		raw := strings.Join([]string{
			"From: Acme <no-reply@example.test>",
			"To: pierre.durand@example.test",
			"Subject: " + subject,
			"MIME-Version: 1.0",
			`Content-Type: multipart/mixed; boundary="b1"`,
			"",
			"--b1",
			"Content-Type: text/plain; charset=utf-8",
			"",
			"Votre facture est disponible.",
			"--b1",
			`Content-Type: application/pdf; name="F-2026-001.pdf"`,
			`Content-Disposition: attachment; filename="F-2026-001.pdf"`,
			"Content-Transfer-Encoding: base64",
			"",
			"JVBERi0xLjcK",
			"--b1--",
			"",
		}, "\r\n")
		if _, err := env.SES.SendEmail(ctx, &sesv2.SendEmailInput{
			Content: &sestypes.EmailContent{Raw: &sestypes.RawMessage{Data: []byte(raw)}},
		}); err != nil {
			t.Fatal(err)
		}
		mails, err := env.Mails(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got *Mail
		for i := range mails {
			if mails[i].Subject == subject {
				got = &mails[i]
			}
		}
		if got == nil {
			t.Fatalf("got %d mails without subject %q", len(mails), subject)
		}
		if !slices.Equal(got.To, []string{"pierre.durand@example.test"}) || !strings.Contains(got.From, "no-reply@example.test") {
			t.Errorf("got from %q to %v", got.From, got.To)
		}
		if strings.TrimSpace(got.Text) != "Votre facture est disponible." {
			t.Errorf("text: got %q", got.Text)
		}
		if len(got.Attachments) != 1 || got.Attachments[0].Filename != "F-2026-001.pdf" ||
			got.Attachments[0].ContentType != "application/pdf" || string(got.Attachments[0].Content) != "%PDF-1.7\n" {
			t.Errorf("attachments: got %+v", got.Attachments)
		}
		if age := time.Since(got.At); age < -time.Minute || age > time.Minute {
			t.Errorf("at %v is %v away from now", got.At, age)
		}
		if err := ClearSESStore(ctx, env.SESServer.URL); err != nil {
			t.Fatal(err)
		}
		if mails, err := env.Mails(ctx); err != nil || len(mails) != 0 {
			t.Errorf("after clear: got %d mails (%v), want none", len(mails), err)
		}
	})
}

// TestMustStart checks the helper other packages use, on whichever template
// it finds, and provisions that template a second time.
func TestMustStart(t *testing.T) {
	env := MustStart(t)
	ctx := testContext(t)
	if err := env.Clients.AssertLoopback(); err != nil {
		t.Fatal(err)
	}
	t.Logf("template %s; start-up: moto %v, aws-ses-v2-local %v, provision %v", env.Template,
		env.Timings["moto"].Round(time.Millisecond), env.Timings["ses"].Round(time.Millisecond), env.Timings["provision"].Round(time.Millisecond))
	if want := filepath.Join(env.Root, "template.yaml"); env.Template != want {
		t.Errorf("template: got %s, want %s", env.Template, want)
	}
	st := env.Stack
	for _, id := range []string{"InboxBucket", "ArchiveBucket", "WebBucket", "IngestQueue", "IngestDeadLetterQueue",
		"MailerDeadLetterQueue", "MainTable", "DocumentsTable", "OutboxTable", "SigningSecret", "MailTokenSecret"} {
		if st.Physical[id] == "" || slices.Contains(st.Skipped, id) {
			t.Errorf("%s: got physical %q, want it provisioned", id, st.Physical[id])
		}
	}
	for _, id := range []string{"DocumentsTable", "OutboxTable"} {
		if st.StreamARN(id) == "" {
			t.Errorf("%s: no stream ARN", id)
		}
	}
	for id, f := range st.Functions() {
		for _, k := range []string{"MAIN_TABLE", "DOCUMENTS_TABLE", "OUTBOX_TABLE", "INBOX_BUCKET", "ARCHIVE_BUCKET"} {
			if f.Env[k] == "" {
				t.Errorf("%s: %s is empty", id, k)
			}
		}
	}
	// The event sources the local runner plays.
	var sqsQueues, streamTables []string
	for _, f := range st.Functions() {
		for _, src := range f.SQS {
			sqsQueues = append(sqsQueues, src.QueueID)
		}
		for _, src := range f.Streams {
			streamTables = append(streamTables, src.TableID)
		}
		if f.Env["MAIL_FROM"] != "no-reply@"+st.Params["SenderDomain"] {
			t.Errorf("%s: MAIL_FROM %q, want no-reply@%s", f.ID, f.Env["MAIL_FROM"], st.Params["SenderDomain"])
		}
	}
	if !slices.Contains(sqsQueues, "IngestQueue") || !slices.Contains(streamTables, "OutboxTable") {
		t.Errorf("event sources: got queues %v tables %v, want IngestQueue and OutboxTable", sqsQueues, streamTables)
	}

	params, err := LocalParams(env.Template, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Provision(ctx, env.Config, env.Template, st.Prefix, params)
	if err != nil {
		t.Fatalf("second provision: %v", err)
	}
	if !reflect.DeepEqual(again, st) {
		t.Errorf("second provision differs:\n got %+v\nwant %+v", again, st)
	}
}

func TestProcessControl(t *testing.T) {
	ctx := testContext(t)
	moto, err := StartMoto(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { moto.Stop() })
	if err := CheckEndpoint(moto.URL); err != nil {
		t.Fatalf("URL %q: %v", moto.URL, err)
	}
	probe := func(timeout time.Duration) error {
		c := &http.Client{Timeout: timeout}
		resp, err := c.Get(moto.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := probe(2 * time.Second); err != nil {
		t.Fatalf("before pause: %v", err)
	}

	t.Run("pause and resume", func(t *testing.T) {
		if err := moto.Pause(); err != nil {
			t.Fatal(err)
		}
		if err := probe(300 * time.Millisecond); err == nil {
			t.Error("paused: got an answer, want a timeout")
		}
		if err := moto.Resume(); err != nil {
			t.Fatal(err)
		}
		if err := probe(5 * time.Second); err != nil {
			t.Errorf("resumed: %v", err)
		}
	})

	t.Run("fixed port in use", func(t *testing.T) {
		port := moto.URL[strings.LastIndex(moto.URL, ":")+1:]
		var n int
		fmt.Sscan(port, &n)
		if _, err := StartMoto(ctx, n); err == nil || !strings.Contains(err.Error(), "busy") {
			t.Errorf("got %v, want a busy port error", err)
		}
	})

	t.Run("stop leaves nothing", func(t *testing.T) {
		if err := moto.Pause(); err != nil {
			t.Fatal(err)
		}
		pid := moto.Pid()
		t0 := time.Now()
		if err := moto.Stop(); err != nil {
			t.Fatal(err)
		}
		t.Logf("stop of a paused moto: %v", time.Since(t0).Round(time.Millisecond))
		if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("process group %d: got %v, want ESRCH", pid, err)
		}
		if err := moto.Stop(); err != nil {
			t.Errorf("second stop: %v", err)
		}
		if err := moto.Pause(); err == nil {
			t.Error("pause after stop: got nil, want an error")
		}
	})
}

func TestStartMotoMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := StartMoto(context.Background(), 0)
	if !errors.Is(err, ErrMotoMissing) || !strings.Contains(err.Error(), `pip install "moto[server]"`) {
		t.Errorf("got %v, want ErrMotoMissing with the install command", err)
	}
}

func TestStartSESMissing(t *testing.T) {
	_, err := StartSES(context.Background(), 0, t.TempDir())
	if !errors.Is(err, ErrSESMissing) {
		t.Errorf("got %v, want ErrSESMissing", err)
	}
}

func secretString(t *testing.T, env *Env, arn string) string {
	t.Helper()
	out, err := env.Secrets.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.SecretString)
}

func countPrefix(names []string, prefix string) int {
	n := 0
	for _, s := range names {
		if strings.HasPrefix(s, prefix+"-") {
			n++
		}
	}
	return n
}

// imageJSON renders an image as Lambda's JSON with set members sorted, since
// DynamoDB sets have no order.
func imageJSON(t *testing.T, img map[string]events.DynamoDBAttributeValue) string {
	t.Helper()
	b, err := json.Marshal(img)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, v := range m {
		for _, typ := range []string{"SS", "NS", "BS"} {
			if l, ok := v[typ].([]any); ok {
				sort.Slice(l, func(i, j int) bool { return fmt.Sprint(l[i]) < fmt.Sprint(l[j]) })
			}
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestReuse(t *testing.T) {
	ctx := testContext(t)
	moto, err := StartMoto(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { moto.Stop() })
	var port int
	fmt.Sscan(moto.URL[strings.LastIndex(moto.URL, ":")+1:], &port)
	mustNotStart := func() (*Process, error) { return nil, errors.New("started a second emulator") }

	got, err := startOrReuse(ctx, true, port, motoPortIdentities, mustNotStart)
	if err != nil {
		t.Fatal(err)
	}
	if got.Started() || got.Pid() != 0 || got.URL != moto.URL || got.Name() != "moto" {
		t.Errorf("got started %v pid %d url %s name %s, want an attached moto at %s", got.Started(), got.Pid(), got.URL, got.Name(), moto.URL)
	}
	if err := got.Stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
	if err := got.Pause(); err == nil {
		t.Error("pause of an attached emulator: got nil, want an error")
	}
	if err := syscall.Kill(moto.Pid(), 0); err != nil {
		t.Errorf("stopping the attached handle ended the emulator: %v", err)
	}

	// A port taken by something else is an error, not a reuse.
	if _, err := startOrReuse(ctx, true, port, sesPortIdentities, mustNotStart); err == nil || !strings.Contains(err.Error(), "not aws-ses-v2-local") {
		t.Errorf("foreign program: got %v, want a clear error", err)
	}
	// Without Reuse, the busy port fails as before.
	if _, err := startOrReuse(ctx, false, port, motoPortIdentities, func() (*Process, error) { return StartMoto(ctx, port) }); err == nil || !strings.Contains(err.Error(), "busy") {
		t.Errorf("no reuse: got %v, want a busy port error", err)
	}
}

func TestEmulatorEnvDropsSMTPRelay(t *testing.T) {
	t.Setenv("SMTP_TRANSPORT", `{"host":"smtp.example.com"}`)
	t.Setenv("EFACTURE_PROBE", "kept")
	env := strings.Join(emulatorEnv(), "\n")
	if strings.Contains(env, "SMTP_TRANSPORT") || !strings.Contains(env, "EFACTURE_PROBE=kept") {
		t.Errorf("got environment without SMTP_TRANSPORT %v and with EFACTURE_PROBE %v, want true and true",
			!strings.Contains(env, "SMTP_TRANSPORT"), strings.Contains(env, "EFACTURE_PROBE=kept"))
	}
}
