package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/transport/apigw"
	"github.com/efacture/efacture/shared/transport/httpapi"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

var linkPattern = regexp.MustCompile(`http://127\.0\.0\.1:8080/acme/link#token=([A-Za-z0-9_-]{22})`)

// TestDigest: three documents of a digest-mode customer wait for the space's digest hour (18:00
// Paris), then go out in one mail with a no-login link each; a second run that hour sends
// nothing, and a document arriving later waits for the next day.
func TestDigest(t *testing.T) {
	p := newPipeline(t)
	p.put("inbox/acme/customers/c.csv", []byte("customer_number;company_name;email;notification\nD1;Dupont SA;dupont@example.fr;digest\nD2;Calme SARL;calme@example.fr;digest\nN1;Sans Digest;n@example.fr;none\n"), nil)
	p.ingestAll()
	for _, n := range []string{"D-1", "D-2", "D-0"} {
		p.put("inbox/acme/documents/"+n+".pdf", pdfFor(t, n, "Dupont"), meta("D1", n))
	}
	p.put("inbox/acme/documents/N-1.pdf", pdfFor(t, "N-1", "Sans"), meta("N1", "N-1"))
	p.ingestAll()
	p.mailAll()
	if got := len(p.mails()); got != 2 {
		t.Fatalf("before the digest: got %d mails, want the 2 activations only", got)
	}

	run := build[lambdaevents.ScheduleHandler](t, app.DigestFunction, p.env, p.clients, app.Options{Now: func() time.Time { return p.now }})
	p.now = time.Date(2026, 11, 26, 16, 0, 0, 0, time.UTC) // 17:00 in Paris: not the hour
	if err := run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	p.mailAll()
	if got := len(p.mails()); got != 2 {
		t.Fatalf("before the digest hour: got %d mails, want 2", got)
	}

	p.now = time.Date(2026, 11, 26, 17, 0, 5, 0, time.UTC) // 18:00:05 in Paris
	if err := run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	p.mailAll()
	var digests []string
	for _, m := range p.mails() {
		if strings.Contains(m.Text, "/link#token=") {
			digests = append(digests, m.Text)
		}
	}
	if len(digests) != 1 {
		t.Fatalf("got %d digest mails, want 1", len(digests))
	}
	links := linkPattern.FindAllStringSubmatch(digests[0], -1)
	seen := map[string]bool{}
	for _, l := range links {
		seen[l[1]] = true
	}
	if len(seen) != 3 || !strings.Contains(digests[0], "D-0") || !strings.Contains(digests[0], "D-1") || !strings.Contains(digests[0], "D-2") {
		t.Fatalf("digest: want three documents with a link each, got:\n%s", digests[0])
	}
	for tok := range seen {
		sum := sha256.Sum256([]byte(tok))
		rec := p.item(p.env.MainTable, pk("TOKEN#"+hex.EncodeToString(sum[:]), "TOKEN"))
		if rec == nil || rec["kind"] != "link" || rec["identifier"] != "dupont@example.fr" || rec["expiresAt"] != "2026-12-10T17:00:05Z" {
			t.Errorf("link token: got %v", rec)
		}
	}
	if rec := p.item(p.env.OutboxTable, pk("digest#acme#D1#2026-11-26", "")); rec == nil || rec["status"] != "sent" || rec["secret"] != nil {
		t.Errorf("digest record: got %v", rec)
	}

	// Same hour again, and a document arriving after the digest: no second mail today.
	if due := p.digestDue("acme"); len(due) != 0 {
		t.Errorf("after the digest: due counters %v, want none left behind", due)
	}
	p.put("inbox/acme/documents/D-3.pdf", pdfFor(t, "D-3", "Dupont"), meta("D1", "D-3"))
	p.ingestAll()
	if due := p.digestDue("acme"); len(due) != 1 || due["D1"] != 1 {
		t.Errorf("D-3 queued: due counters %v, want D1: 1", due)
	}
	p.now = p.now.Add(20 * time.Minute)
	if err := run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	p.mailAll()
	if got := len(p.mails()); got != 3 {
		t.Errorf("after a second run: got %d mails, want 3", got)
	}
	// The next day's digest carries it.
	p.now = p.now.Add(24 * time.Hour)
	if err := run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	p.mailAll()
	if got := len(p.mails()); got != 4 {
		t.Errorf("next day: got %d mails, want 4", got)
	}
	if due := p.digestDue("acme"); len(due) != 0 {
		t.Errorf("after the next day's digest: due counters %v, want none", due)
	}
}

// digestDue reads every shard of a space's digest due counters: customer → pending.
func (p *pipeline) digestDue(space string) map[string]int {
	p.t.Helper()
	out := map[string]int{}
	for shard := range dynamo.DigestDueShards {
		res, err := p.aws.DynamoDB.Query(context.Background(), &dynamodb.QueryInput{
			TableName: &p.env.MainTable, KeyConditionExpression: aws.String("pk = :p"), ConsistentRead: aws.Bool(true),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: fmt.Sprintf("DIGESTDUE#%s#%d", space, shard)}},
		})
		if err != nil {
			p.t.Fatal(err)
		}
		for _, it := range res.Items {
			var item struct {
				SK      string `dynamodbav:"sk"`
				Pending int    `dynamodbav:"pending"`
			}
			if err := attributevalue.UnmarshalMap(it, &item); err != nil {
				p.t.Fatal(err)
			}
			out[item.SK] = item.Pending
		}
	}
	return out
}

// TestDigestLinkFollowsAddress: a digest's no-login link lives its 14 days while the
// registered e-mail is the address it was mailed to, even once the account it named is
// replaced, and is refused while the referential has moved the e-mail away (PRODUCT.md §5).
func TestDigestLinkFollowsAddress(t *testing.T) {
	p := newPipeline(t)
	referential := func(name, email string) {
		t.Helper()
		p.put("inbox/acme/customers/"+name, []byte("customer_number;email;notification\nD1;"+email+";digest\n"), nil)
		p.ingestAll()
	}
	document := func(number string) {
		t.Helper()
		p.put("inbox/acme/documents/"+number+".pdf", pdfFor(t, number, "Dupont"), meta("D1", number))
		p.ingestAll()
		p.mailAll()
	}
	referential("a.csv", "dupont@example.fr")
	document("D-1")
	p.now = time.Date(2026, 11, 26, 17, 0, 5, 0, time.UTC) // 18:00:05 in Paris, the digest hour
	run := build[lambdaevents.ScheduleHandler](t, app.DigestFunction, p.env, p.clients, app.Options{Now: func() time.Time { return p.now }})
	if err := run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	p.mailAll()
	var token string
	for _, m := range p.mails() {
		if l := linkPattern.FindStringSubmatch(m.Text); l != nil && strings.Join(m.To, ",") == "dupont@example.fr" {
			token = l[1]
		}
	}
	if token == "" {
		t.Fatal("no digest link mailed to dupont@example.fr")
	}

	fnEnv := p.aws.Stack.FunctionEnv("DocumentsFunction")
	denv, err := app.EnvFrom(func(k string) string { return fnEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	var docs http.Handler
	build[apigw.LambdaHandler](t, app.DocumentsFunction, denv, p.clients, app.Options{Now: func() time.Time { return p.now }, HTTP: func(h http.Handler) { docs = h }})
	follow := func(when string, want int) {
		t.Helper()
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/api/links/"+token, nil)
		r.Header.Set(httpapi.OriginHeader, denv.OriginVerify) // as CloudFront adds it
		docs.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("%s: got %d, want %d", when, w.Code, want)
		}
	}
	follow("just mailed", http.StatusFound)

	referential("b.csv", "martin@example.fr")
	follow("registered e-mail moved to another address", http.StatusGone)
	p.now = p.now.Add(24 * time.Hour)
	document("D-2") // martin@example.fr's account replaces dupont@example.fr's
	referential("c.csv", "dupont@example.fr")
	document("D-3") // a new account, dupont_1, for the address the link went to
	if acct := p.item(p.env.MainTable, pk("ACCT#dupont@example.fr", "ACCT")); acct["active"] != false {
		t.Fatalf("the account the link named: got %v, want it deactivated", acct)
	}
	follow("address registered again, the account it named replaced", http.StatusFound)
	p.now = time.Date(2026, 12, 10, 17, 0, 5, 0, time.UTC)
	follow("14 days after it was mailed", http.StatusGone)
}
