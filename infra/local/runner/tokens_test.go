package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/efacture/efacture/infra/local/eventsource"
	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/infra/local/samplepdf"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/service/delivery"
)

// tokenInMail is every token a mail's link carries, in the fragment of the set-password
// or the link page.
var tokenInMail = regexp.MustCompile(`token=([A-Za-z0-9_-]{22})`)

// failingSender fails every send while on is set, as an SES outage does.
type failingSender struct {
	next delivery.Sender
	on   *atomic.Bool
}

func (f failingSender) Send(ctx context.Context, to string, raw []byte) error {
	if f.on.Load() {
		return errors.New("ses outage (test)")
	}
	return f.next.Send(ctx, to, raw)
}

// TestNoRawTokenStored triggers every mail that carries a token (activations, one of
// them re-sent to a changed address, a recovery that dies and is re-driven as ops do,
// a digest's no-login links), then looks for each token those mails delivered in every
// table, in the outbox's and the documents' streams and in the functions' logs: none
// may be there. Each token still works: activations set passwords, the recovery lists
// its accounts and sets one, the digest links download their PDFs.
func TestNoRawTokenStored(t *testing.T) {
	// 18:00 in Paris, the digest hour of the space below.
	start, base := time.Now(), time.Date(2026, 11, 26, 17, 0, 0, 0, time.UTC)
	var extra atomic.Int64
	now := func() time.Time { return base.Add(time.Since(start) + time.Duration(extra.Load())) }
	var outage atomic.Bool
	logs := &localaws.SyncBuffer{}
	r := MustStart(t, Options{
		Now: now, FunctionLogs: logs,
		Configure: func(_ string, o *app.Options) {
			o.Delivery = func(s *delivery.Service) { s.Sender = failingSender{next: s.Sender, on: &outage} }
		},
	})
	ctx := context.Background()

	dir := t.TempDir()
	spacesFile := filepath.Join(dir, "spaces.json")
	if err := os.WriteFile(spacesFile, []byte(`{"spaces":[{"id":"acme","name":"Acme Finance","digestHour":18,"since":"2022-12-02"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	st := app.Store(r.Env, r.clients, app.Options{Now: now})
	if _, err := app.ApplySpaces(ctx, st, spacesFile); err != nil {
		t.Fatal(err)
	}
	drop := func(key string, body []byte, meta map[string]string) {
		t.Helper()
		if err := r.drop(ctx, key, body, meta); err != nil {
			t.Fatal(err)
		}
		if err := r.waitInboxEmpty(ctx, []string{key}); err != nil {
			t.Fatal(err)
		}
	}
	referential := func(rows string) {
		t.Helper()
		drop("inbox/acme/customers/ref.csv", []byte("customer_number;company_name;email;notification\n"+rows), nil)
	}
	document := func(customer, number string) {
		t.Helper()
		inv := samplepdf.Invoice{Number: number, Type: samplepdf.TypeInvoice, IssueDate: "2026-11-20", SellerName: "Acme Location SAS",
			BuyerName: customer, Currency: "EUR", Lines: []samplepdf.Line{{Description: "Location", Quantity: 1, UnitPriceCents: 10000}}}
		pdf, err := samplepdf.Generate(inv)
		if err != nil {
			t.Fatal(err)
		}
		drop("inbox/acme/documents/"+number+".pdf", pdf, map[string]string{"customer-number": customer, "document-number": number,
			"document-type": inv.Type, "issue-date": inv.IssueDate, "amount": inv.GrandTotal(), "currency": "EUR"})
	}
	settle := func() {
		t.Helper()
		if err := r.waitMailsSent(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// Activations, a link-mode notice, and a digest queue.
	referential("D1;Digest SA;digest@d.example;digest\nL1;Lien SARL;lien@l.example;link\nR1;Rappel SAS;rappel@r.example;attachment\n")
	for _, d := range [][2]string{{"D1", "D-1"}, {"D1", "D-2"}, {"L1", "L-1"}, {"R1", "R-1"}} {
		document(d[0], d[1])
	}
	settle()
	// The registered address changes: the next document re-sends an activation there.
	referential("D1;Digest SA;digest@d.example;digest\nL1;Lien SARL;nouveau@l.example;link\nR1;Rappel SAS;rappel@r.example;attachment\n")
	document("L1", "L-2")
	settle()

	// A recovery mail that SES refuses until ops declare it dead and re-drive it.
	outage.Store(true)
	req, _ := http.NewRequest(http.MethodPost, r.PortalURL+"/api/auth/recovery", strings.NewReader(`{"space":"acme","email":"rappel@r.example"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", r.PortalURL)
	if got := do(t, req); got.status != http.StatusAccepted {
		t.Fatalf("recovery request: got %d %s", got.status, got.body)
	}
	var recoveryKey string
	waitFor(t, 30*time.Second, "the recovery mail's failed attempt", func() bool {
		for _, it := range scanItems(t, r, r.Env.OutboxTable) {
			if it["kind"] == outbox.KindRecovery && it["attempts"] == float64(1) {
				recoveryKey, _ = it["pk"].(string)
				return true
			}
		}
		return false
	})
	if err := st.MarkDead(ctx, recoveryKey, outbox.MaxAttempts, "ses send: outage (test)", now()); err != nil {
		t.Fatal(err)
	}
	outage.Store(false)
	if err := st.Redrive(ctx, recoveryKey, now()); err != nil { // what `go run ./infra/mail redrive -id` does
		t.Fatal(err)
	}
	extra.Add(int64(time.Second))

	// The schedules: the digest of the hour, and the re-drive that sends the dead mail.
	if _, err := r.FireSchedules(ctx); err != nil {
		t.Fatal(err)
	}
	settle()

	mails, err := r.AWS.Mails(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type mailed struct{ kind, to, token string }
	var found []mailed
	for _, m := range mails {
		to := strings.Join(m.To, ",")
		for _, tok := range tokenInMail.FindAllStringSubmatch(m.Text, -1) {
			kind := "activation"
			switch {
			case strings.Contains(m.Subject, "oublié") || strings.Contains(m.Subject, "Forgotten"):
				kind = "recovery"
			case !strings.Contains(m.Subject, "Activation"):
				kind = "digest"
			}
			found = append(found, mailed{kind, to, tok[1]})
		}
	}
	count := map[string]int{}
	for _, f := range found {
		count[f.kind]++
	}
	// Four activations (one re-sent), one recovery, a link per digest document.
	if count["activation"] != 4 || count["recovery"] != 1 || count["digest"] != 2 {
		t.Fatalf("tokens mailed by kind: got %v, want 4 activations, 1 recovery, 2 digest links\n%+v", count, found)
	}

	t.Run("no token in tables, streams or logs", func(t *testing.T) {
		places := map[string]string{"function logs": logs.String()}
		for _, table := range []string{r.Env.MainTable, r.Env.DocumentsTable, r.Env.OutboxTable} {
			items := scanItems(t, r, table)
			b, _ := json.Marshal(items)
			places["table "+table] = string(b)
			if table == r.Env.OutboxTable {
				for _, it := range items {
					if _, ok := it["secret"]; ok {
						t.Errorf("outbox record %v holds a secret attribute", it["pk"])
					}
				}
			}
		}
		inserts := 0
		for _, table := range []string{r.Env.OutboxTable, r.Env.DocumentsTable} {
			recs := streamRecords(t, r, table)
			b, _ := json.Marshal(recs)
			places["stream of "+table] = string(b)
			for _, rec := range recs {
				if table == r.Env.OutboxTable && rec.EventName == "INSERT" && rec.Change.NewImage["nonce"].String() != "" {
					inserts++
				}
			}
		}
		// The stream was read: it holds the insert of every token-bearing mail.
		if inserts < 6 {
			t.Errorf("outbox stream: got %d inserts of records with a nonce, want at least 6 (4 activations, a recovery, a digest)", inserts)
		}
		for _, f := range found {
			for where, text := range places {
				if strings.Contains(text, f.token) {
					t.Errorf("the %s token mailed to %s is in the %s", f.kind, f.to, where)
				}
			}
		}
	})

	t.Run("the mailed tokens work", func(t *testing.T) {
		post := func(path, body string) answer {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, r.PortalURL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", r.PortalURL)
			return do(t, req)
		}
		for i, f := range found {
			switch f.kind {
			case "activation", "recovery":
				got := post("/api/auth/recovery/inspect", `{"token":"`+f.token+`"}`)
				if f.to == "lien@l.example" {
					// The account of the address replaced since is no longer active.
					if got.status != http.StatusGone {
						t.Errorf("activation link to the replaced address: got %d %s, want 410", got.status, got.body)
					}
					continue
				}
				var in struct {
					Accounts []struct{ Identifier string }
				}
				if json.Unmarshal([]byte(got.body), &in); got.status != http.StatusOK || len(in.Accounts) != 1 {
					t.Errorf("%s link to %s: inspect got %d %s, want its one account", f.kind, f.to, got.status, got.body)
					continue
				}
				pw := fmt.Sprintf("Derived-Token-%02d!", i)
				if got := post("/api/auth/recovery/complete", fmt.Sprintf(`{"token":%q,"identifier":%q,"password":%q,"confirmation":%q}`,
					f.token, in.Accounts[0].Identifier, pw, pw)); got.status != http.StatusNoContent {
					t.Errorf("%s link to %s: set password got %d %s", f.kind, f.to, got.status, got.body)
					continue
				}
				if got := post("/api/auth/login", fmt.Sprintf(`{"identifier":%q,"password":%q}`, in.Accounts[0].Identifier, pw)); got.status != http.StatusOK {
					t.Errorf("%s link to %s: login with the new password got %d %s", f.kind, f.to, got.status, got.body)
				}
			case "digest":
				got := do(t, mustRequest(t, http.MethodGet, r.PortalURL+"/api/links/"+f.token, ""))
				if got.status != http.StatusFound {
					t.Errorf("digest link: got %d %s, want 302", got.status, got.body)
					continue
				}
				resp, err := http.Get(got.header.Get("Location"))
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "%PDF") {
					t.Errorf("digest link's download: got %d, %d bytes, want the PDF", resp.StatusCode, len(body))
				}
			}
		}
	})
}

// scan reads a whole table as JSON-like maps.
func scanItems(t *testing.T, r *Runner, table string) []map[string]any {
	t.Helper()
	var all []map[string]any
	p := dynamodb.NewScanPaginator(r.AWS.DynamoDB, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			t.Fatal(err)
		}
		all = append(all, items...)
	}
	return all
}

// streamRecords reads a table's stream from its trim horizon to its end, as a second
// consumer beside the runner's.
func streamRecords(t *testing.T, r *Runner, table string) []events.DynamoDBEventRecord {
	t.Helper()
	out, err := r.AWS.DynamoDB.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil || out.Table.LatestStreamArn == nil {
		t.Fatalf("stream of %s: %v", table, err)
	}
	reader := eventsource.NewStreamReader(r.AWS.Streams, *out.Table.LatestStreamArn)
	var all []events.DynamoDBEventRecord
	for {
		recs, err := reader.Poll(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			return all
		}
		all = append(all, recs...)
	}
}
