package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/infra/mail/mailcmd"
	"github.com/efacture/efacture/infra/staff/staffcmd"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/domain/accounts"
	"github.com/efacture/efacture/shared/domain/documents"
	"github.com/efacture/efacture/shared/domain/fault"
	"github.com/efacture/efacture/shared/domain/outbox"
	"github.com/efacture/efacture/shared/service/ingest"
)

// flags is a command's flag set: -h prints its usage and exits 0, a bad flag exits 2.
func flags(name, args string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "usage: go run ./infra/ops %s %s\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args; done is the exit status when the command must stop there.
func parse(fs *flag.FlagSet, args []string, env Env) (done int, stop bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	return 0, false
}

// required names the first empty value of pairs (flag name, value), for a usage error.
func required(env Env, cmd string, pairs ...string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			fmt.Fprintf(env.Stderr, "ops %s: %s is required\n", cmd, pairs[i])
			return false
		}
	}
	return true
}

func clients(ctx context.Context, env Env, cmd string) (app.Clients, bool) {
	c, err := env.Clients(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ops %s: AWS configuration: %v\n", cmd, err)
		return c, false
	}
	return c, true
}

// spacesApply is infra/spaces: app.ApplySpacesWith on the main table, billing principals
// resolved with IAM.
func spacesApply(ctx context.Context, args []string, env Env) int {
	fs := flags("spaces apply", "[-table NAME] FILE.json", env)
	table := fs.String("table", env.Getenv("MAIN_TABLE"), "main table (default $MAIN_TABLE)")
	if code, stop := parse(fs, args, env); stop {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(env.Stderr, "ops spaces apply: give exactly one spaces file")
		fs.Usage()
		return 2
	}
	if !required(env, "spaces apply", "-table (or MAIN_TABLE)", *table) {
		return 2
	}
	c, ok := clients(ctx, env, "spaces apply")
	if !ok {
		return 1
	}
	res, err := env.Principals(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ops spaces apply: AWS configuration: %v\n", err)
		return 1
	}
	applied, err := app.ApplySpacesWith(ctx, dynamo.New(c.DynamoDB, dynamo.Tables{Main: *table}, nil), res, fs.Arg(0))
	if err != nil {
		fmt.Fprintf(env.Stderr, "ops spaces apply: %v\n", err)
		return 1
	}
	for _, sp := range applied {
		fmt.Fprintf(env.Stdout, "applied space %s (%s)\n", sp.ID, sp.Name)
	}
	return 0
}

// mailCommand is infra/mail's sub (dead or redrive), on the environment's clients.
func mailCommand(sub string) func(context.Context, []string, Env) int {
	return func(ctx context.Context, args []string, env Env) int {
		return mailcmd.Run(ctx, append([]string{sub}, args...), env.Getenv, env.Stdout, env.Stderr, func(table string) (mailcmd.Outbox, error) {
			c, err := env.Clients(ctx)
			if err != nil {
				return nil, err
			}
			return dynamo.New(c.DynamoDB, dynamo.Tables{Outbox: table}, nil), nil
		})
	}
}

// staffAdd is infra/staff's add: a console member, its set-password link and TOTP URI.
func staffAdd(ctx context.Context, args []string, env Env) int {
	return staffcmd.Run(ctx, append([]string{"add"}, args...), env.Getenv, env.Stdout, env.Stderr, func(table string) (staffcmd.Adder, error) {
		c, err := env.Clients(ctx)
		if err != nil {
			return nil, err
		}
		return app.StaffService(dynamo.New(c.DynamoDB, dynamo.Tables{Main: table}, nil), app.Options{}), nil
	})
}

// customerShow prints a customer's item, its accounts and the mails sent to them.
func customerShow(ctx context.Context, args []string, env Env) int {
	fs := flags("customer show", "-space S -number N [-table MAIN] [-outbox OUTBOX] [-mails 10]", env)
	space := fs.String("space", "", "the customer's space")
	number := fs.String("number", "", "the customer number")
	table := fs.String("table", env.Getenv("MAIN_TABLE"), "main table (default $MAIN_TABLE)")
	box := fs.String("outbox", env.Getenv("OUTBOX_TABLE"), "outbox table (default $OUTBOX_TABLE); empty lists no mails")
	limit := fs.Int("mails", 10, "most recent mails to list")
	if code, stop := parse(fs, args, env); stop {
		return code
	}
	if !required(env, "customer show", "-space", *space, "-number", *number, "-table (or MAIN_TABLE)", *table) {
		return 2
	}
	c, ok := clients(ctx, env, "customer show")
	if !ok {
		return 1
	}
	st := dynamo.New(c.DynamoDB, dynamo.Tables{Main: *table}, nil)
	cust, err := st.Customer(ctx, *space, *number)
	if errors.Is(err, fault.ErrNotFound) {
		fmt.Fprintf(env.Stderr, "ops customer show: no customer %s in space %s\n", *number, *space)
		return 1
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "ops customer show: %v\n", err)
		return 1
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, kv := range [][2]string{
		{"customer", cust.Space + " " + cust.Number}, {"company", cust.CompanyName}, {"SIREN", cust.SIREN},
		{"e-mail", cust.Email}, {"notification", cust.Notification}, {"delivery", cust.Delivery},
		{"language", cust.Language}, {"mail status", cust.MailStatus}, {"registered admin", cust.AdminID},
		{"updated", stamp(cust.UpdatedAt)},
	} {
		fmt.Fprintf(w, "%s\t%s\n", kv[0], dash(kv[1]))
	}
	w.Flush()

	accts, err := st.AccountsOfCompany(ctx, *space, *number)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ops customer show: accounts: %v\n", err)
		return 1
	}
	slices.SortFunc(accts, func(a, b accounts.Account) int { return strings.Compare(a.Identifier, b.Identifier) })
	fmt.Fprintf(env.Stdout, "\n%d account(s)\n", len(accts))
	w = tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "IDENTIFIER\tE-MAIL\tACTIVE\tADMIN\tPASSWORD SET\tLOCKED UNTIL")
	to := []string{}
	for _, a := range accts {
		fmt.Fprintf(w, "%s\t%s\t%t\t%t\t%t\t%s\n", a.Identifier, dash(a.Email), a.Active, a.Admin, a.PasswordHash != "", stamp(a.LockedUntil))
		if a.Email != "" && !slices.Contains(to, strings.ToLower(a.Email)) {
			to = append(to, strings.ToLower(a.Email))
		}
	}
	w.Flush()
	if cust.Email != "" && !slices.Contains(to, strings.ToLower(cust.Email)) {
		to = append(to, strings.ToLower(cust.Email))
	}
	if *box == "" {
		return 0
	}
	mails, err := recentMails(ctx, c.DynamoDB, *box, *space, to)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ops customer show: mails: %v\n", err)
		return 1
	}
	if len(mails) > *limit {
		mails = mails[:*limit]
	}
	fmt.Fprintf(env.Stdout, "\n%d recent mail(s) to %s\n", len(mails), dash(strings.Join(to, ", ")))
	w = tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CREATED\tKIND\tTO\tSTATUS\tATTEMPTS\tLAST ERROR")
	for _, m := range mails {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%s\n", stamp(m.CreatedAt), m.Kind, m.To, m.Status, m.Attempts, dash(m.LastError))
	}
	w.Flush()
	return 0
}

// recentMails scans the outbox for the space's mails to any of to, newest first. A Scan
// is fine for an operator's question (the outbox expires its records), never on a
// request path; the secret is not read.
func recentMails(ctx context.Context, db *dynamodb.Client, table, space string, to []string) ([]outbox.Record, error) {
	if len(to) == 0 {
		return nil, nil
	}
	values := map[string]types.AttributeValue{":space": &types.AttributeValueMemberS{Value: space}}
	var in []string
	for i, addr := range to {
		k := fmt.Sprintf(":to%d", i)
		values[k] = &types.AttributeValueMemberS{Value: addr}
		in = append(in, k)
	}
	input := &dynamodb.ScanInput{
		TableName:                 aws.String(table),
		FilterExpression:          aws.String("#space = :space AND #to IN (" + strings.Join(in, ", ") + ")"),
		ProjectionExpression:      aws.String("pk, kind, #space, #to, #status, attempts, lastError, createdAt"),
		ExpressionAttributeNames:  map[string]string{"#space": "space", "#to": "to", "#status": "status"},
		ExpressionAttributeValues: values,
	}
	var out []outbox.Record
	p := dynamodb.NewScanPaginator(db, input)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, item := range page.Items {
			var m struct {
				PK        string    `dynamodbav:"pk"`
				Kind      string    `dynamodbav:"kind"`
				To        string    `dynamodbav:"to"`
				Status    string    `dynamodbav:"status"`
				Attempts  int       `dynamodbav:"attempts"`
				LastError string    `dynamodbav:"lastError"`
				CreatedAt time.Time `dynamodbav:"createdAt"`
			}
			if err := attributevalue.UnmarshalMap(item, &m); err != nil {
				return nil, err
			}
			out = append(out, outbox.Record{Key: m.PK, Kind: m.Kind, To: m.To, Status: m.Status, Attempts: m.Attempts, LastError: m.LastError, CreatedAt: m.CreatedAt})
		}
	}
	slices.SortFunc(out, func(a, b outbox.Record) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

// rejections lists what billing dropped into a space's inbox and got back under
// rejected/ (documents, with their .error.json) and reports/ (referentials), newest first.
func rejections(ctx context.Context, args []string, env Env) int {
	fs := flags("rejections", "-space S [-bucket INBOX] [-n 20]", env)
	space := fs.String("space", "", "the space whose rejections to list")
	bucket := fs.String("bucket", env.Getenv("INBOX_BUCKET"), "inbox bucket (default $INBOX_BUCKET)")
	limit := fs.Int("n", 20, "most recent entries to list")
	if code, stop := parse(fs, args, env); stop {
		return code
	}
	if !required(env, "rejections", "-space", *space, "-bucket (or INBOX_BUCKET)", *bucket) {
		return 2
	}
	if strings.ContainsAny(*space, "/ ") {
		fmt.Fprintf(env.Stderr, "ops rejections: %q is not a space id\n", *space)
		return 2
	}
	c, ok := clients(ctx, env, "rejections")
	if !ok {
		return 1
	}
	type entry struct {
		at              time.Time
		key, code, text string
	}
	var entries []entry
	for _, prefix := range []string{"rejected/" + *space + "/", "reports/" + *space + "/"} {
		p := s3.NewListObjectsV2Paginator(c.S3, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String(prefix)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				fmt.Fprintf(env.Stderr, "ops rejections: list s3://%s/%s: %v\n", *bucket, prefix, err)
				return 1
			}
			for _, o := range page.Contents {
				key := aws.ToString(o.Key)
				// A rejected file is listed through its .error.json; reports stand alone.
				if strings.HasPrefix(key, "rejected/") && !strings.HasSuffix(key, ".error.json") {
					continue
				}
				entries = append(entries, entry{at: aws.ToTime(o.LastModified), key: key})
			}
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return b.at.Compare(a.at) })
	if len(entries) > *limit {
		entries = entries[:*limit]
	}
	for i, e := range entries {
		code, text, err := readReport(ctx, c.S3, *bucket, e.key)
		if err != nil {
			fmt.Fprintf(env.Stderr, "ops rejections: %s: %v\n", e.key, err)
			return 1
		}
		entries[i].code, entries[i].text = code, text
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "WHEN\tFILE\tCODE\tREASON")
	for _, e := range entries {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", stamp(e.at), strings.TrimSuffix(e.key, ".error.json"), dash(e.code), dash(e.text))
	}
	w.Flush()
	fmt.Fprintf(env.Stdout, "%d listed\n", len(entries))
	return 0
}

// readReport reads a rejection's .error.json (documents.Rejection) or a referential's
// report, and says what it holds in a line.
func readReport(ctx context.Context, c *s3.Client, bucket, key string) (code, text string, err error) {
	out, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", "", err
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, 1<<20))
	if err != nil {
		return "", "", err
	}
	if strings.HasSuffix(key, ".error.json") {
		var r documents.Rejection
		if err := json.Unmarshal(body, &r); err != nil {
			return "", "", fmt.Errorf("not a rejection: %w", err)
		}
		return r.Code, r.MessageEN, nil
	}
	var rep ingest.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		return "", "", fmt.Errorf("not a referential report: %w", err)
	}
	text = fmt.Sprintf("referential: %d rows, %d applied, %d unchanged, %d rejected", rep.Rows, rep.Applied, rep.Unchanged, rep.Rejected)
	if len(rep.Errors) > 0 {
		text += fmt.Sprintf(" (first: %+v)", rep.Errors[0])
	}
	return "report", text, nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
