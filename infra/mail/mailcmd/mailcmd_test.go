package mailcmd

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/domain/outbox"
)

// TestDeadAndRedrive lists dead mails and re-drives them against moto, through the
// store the functions use.
func TestDeadAndRedrive(t *testing.T) {
	le := localaws.MustStart(t)
	fnEnv := le.Stack.FunctionEnv("MailerFunction")
	env, err := app.EnvFrom(func(k string) string { return fnEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := dynamo.New(app.NewClients(le.Config, le.SESConfig).DynamoDB, dynamo.Tables{Outbox: env.OutboxTable}, nil)
	died := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	for i, r := range []outbox.Record{
		{Key: "notify#acme#C1#F-1", Kind: outbox.KindNotify, Space: "acme", To: "un@example.fr"},
		{Key: "activation#deux@example.fr", Kind: outbox.KindActivation, Space: "globex", To: "deux@example.fr"},
		{Key: "notify#acme#C3#F-3", Kind: outbox.KindNotify, Space: "acme", To: "trois@example.fr"},
	} {
		r.CreatedAt = died.Add(-48 * time.Hour)
		if err := st.PutOutbox(ctx, r); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			if err := st.MarkDead(ctx, r.Key, outbox.MaxAttempts, "ses send: MessageRejected: bad address", died.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
	getenv := func(k string) string { return map[string]string{"OUTBOX_TABLE": env.OutboxTable}[k] }
	open := func(table string) (Outbox, error) {
		if table != env.OutboxTable {
			t.Errorf("table %q, want %q", table, env.OutboxTable)
		}
		return st, nil
	}
	mail := func(args ...string) (int, string, string) {
		var out, errs bytes.Buffer
		code := Run(ctx, args, getenv, &out, &errs, open)
		return code, out.String(), errs.String()
	}

	code, out, _ := mail("dead")
	if code != 0 || !strings.Contains(out, "notify#acme#C1#F-1") || !strings.Contains(out, "un@example.fr") || !strings.Contains(out, "activation#deux@example.fr") ||
		!strings.Contains(out, "2026-11-27T08:00:00Z") || !strings.Contains(out, "MessageRejected: bad address") || !strings.HasSuffix(out, "2 dead\n") {
		t.Errorf("dead: got %d\n%s", code, out)
	}
	if strings.Index(out, "notify#acme#C1") > strings.Index(out, "activation#deux") {
		t.Errorf("dead: want the oldest death first:\n%s", out)
	}
	if code, out, _ = mail("dead", "-space", "globex"); code != 0 || strings.Contains(out, "notify#") || !strings.HasSuffix(out, "1 dead\n") {
		t.Errorf("dead -space globex: got %d\n%s", code, out)
	}

	if code, out, _ = mail("redrive", "-id", "notify#acme#C1#F-1"); code != 0 || !strings.Contains(out, "1 re-driven") {
		t.Errorf("redrive -id: got %d\n%s", code, out)
	}
	due, err := st.DueRecords(ctx, outbox.Shard("notify#acme#C1#F-1"), time.Now().Add(time.Second), 10)
	if err != nil || len(due) != 1 || due[0].Key != "notify#acme#C1#F-1" {
		t.Errorf("after redrive -id: due %+v, %v; want the mail due now", due, err)
	}
	rec, err := st.OutboxRecord(ctx, "notify#acme#C1#F-1")
	if err != nil || rec.Status != outbox.StatusPending || rec.Attempts != 0 {
		t.Errorf("re-driven record: %+v, %v; want pending with its attempts reset", rec, err)
	}
	if code, _, errs := mail("redrive", "-id", "notify#acme#C3#F-3"); code != 1 || !strings.Contains(errs, "not a dead mail") {
		t.Errorf("redrive -id of a pending mail: got %d %q", code, errs)
	}
	if code, out, _ = mail("redrive", "-all"); code != 0 || !strings.Contains(out, "re-driven activation#deux@example.fr") || !strings.Contains(out, "1 re-driven") {
		t.Errorf("redrive -all: got %d\n%s", code, out)
	}
	if code, out, _ = mail("dead"); code != 0 || !strings.HasSuffix(out, "0 dead\n") {
		t.Errorf("dead after redrive: got %d\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	noTable := func(string) string { return "" }
	withTable := func(string) string { return "t" }
	open := func(string) (Outbox, error) {
		t.Error("the table was opened")
		return nil, nil
	}
	for _, c := range []struct {
		args   []string
		getenv func(string) string
		code   int
		want   string
	}{
		{nil, withTable, 2, "usage:"},
		{[]string{"-h"}, withTable, 0, "mail redrive"},
		{[]string{"dead", "-h"}, withTable, 0, "usage:"},
		{[]string{"resend"}, withTable, 2, `unknown command "resend"`},
		{[]string{"dead"}, noTable, 2, "set OUTBOX_TABLE or pass -table"},
		{[]string{"redrive"}, withTable, 2, "exactly one of -id ID and -all"},
		{[]string{"redrive", "-id", "x", "-all"}, withTable, 2, "exactly one of -id ID and -all"},
		{[]string{"dead", "extra"}, withTable, 2, `unexpected argument "extra"`},
		{[]string{"dead", "-bogus"}, withTable, 2, "flag provided but not defined"},
	} {
		var out, errs bytes.Buffer
		if code := Run(context.Background(), c.args, c.getenv, &out, &errs, open); code != c.code || !strings.Contains(errs.String(), c.want) {
			t.Errorf("mail %v: got %d %q, want %d and %q", c.args, code, errs.String(), c.code, c.want)
		}
	}
}
