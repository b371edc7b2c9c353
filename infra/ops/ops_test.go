package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/efacture/efacture/infra/local/runner"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/principals"
)

// ops runs the command on args against the runner's stack and returns its exit status,
// stdout and stderr.
func ops(t *testing.T, r *runner.Runner, args ...string) (int, string, string) {
	t.Helper()
	vars := map[string]string{"MAIN_TABLE": r.Env.MainTable, "OUTBOX_TABLE": r.Env.OutboxTable, "INBOX_BUCKET": r.Env.InboxBucket}
	var out, errs bytes.Buffer
	code := run(context.Background(), args, Env{
		Getenv: func(k string) string { return vars[k] }, Stdout: &out, Stderr: &errs,
		Clients:    func(context.Context) (app.Clients, error) { return app.NewClients(r.AWS.Config, r.AWS.SESConfig), nil },
		Principals: func(context.Context) (app.PrincipalResolver, error) { return principals.New(r.AWS.IAM()), nil },
	})
	return code, out.String(), errs.String()
}

// TestOps runs each command against the demo portal: its customers, their accounts and
// activation mails, a rejected drop, the spaces file, and usage errors.
func TestOps(t *testing.T) {
	r := runner.MustStart(t, runner.Options{Demo: true})
	ctx := context.Background()

	t.Run("customer show", func(t *testing.T) {
		var out string
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, o, errs := ops(t, r, "customer", "show", "-space", "acme", "-number", "C1001")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			out = o
			// The activation mail is sent by the mailer shortly after the demo.
			if strings.Contains(out, "activation  claire.martin@example.com  sent") || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		for _, want := range []string{"acme C1001", "claire.martin@example.com", "1 account(s)", "activation  claire.martin@example.com  sent"} {
			if !strings.Contains(out, want) {
				t.Errorf("want %q in:\n%s", want, out)
			}
		}
		code, _, errs := ops(t, r, "customer", "show", "-space", "acme", "-number", "C9999")
		if code != 1 || !strings.Contains(errs, "no customer C9999 in space acme") {
			t.Errorf("unknown customer: exit %d %q, want 1 naming it", code, errs)
		}
	})

	t.Run("rejections", func(t *testing.T) {
		if _, err := r.AWS.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(r.Env.InboxBucket),
			Key: aws.String("inbox/acme/documents/no-metadata.pdf"), Body: strings.NewReader("%PDF-1.4 not really")}); err != nil {
			t.Fatal(err)
		}
		var out string
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(out, "rejected/acme/documents/no-metadata.pdf") && time.Now().Before(deadline) {
			time.Sleep(500 * time.Millisecond)
			code, o, errs := ops(t, r, "rejections", "-space", "acme")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			out = o
		}
		lines := strings.Split(out, "\n")
		if len(lines) < 3 || !strings.Contains(lines[1], "rejected/acme/documents/no-metadata.pdf") {
			t.Errorf("want the rejected drop first (newest), with its code:\n%s", out)
		}
		if !strings.Contains(out, "reports/acme/") || !strings.Contains(out, "referential:") {
			t.Errorf("want the demo referential's report listed:\n%s", out)
		}
		if code, _, errs := ops(t, r, "rejections"); code != 2 || !strings.Contains(errs, "-space is required") {
			t.Errorf("no space: exit %d %q, want 2", code, errs)
		}
	})

	t.Run("spaces apply and mail dead", func(t *testing.T) {
		code, out, errs := ops(t, r, "spaces", "apply", filepath.Join("..", "local", "demo", "spaces.json"))
		if code != 0 || !strings.Contains(out, "applied space acme") {
			t.Errorf("spaces apply: exit %d %q %q", code, out, errs)
		}
		code, out, errs = ops(t, r, "mail", "dead")
		if code != 0 || !strings.Contains(out, "0 dead") {
			t.Errorf("mail dead: exit %d %q %q", code, out, errs)
		}
	})

	t.Run("staff add", func(t *testing.T) {
		vars := []string{"staff", "add", "-space", "acme", "-identifier", "ops.advisor", "-role", "advisor", "-portal", r.PortalURL}
		code, out, errs := ops(t, r, vars...)
		if code != 0 || !strings.Contains(out, r.PortalURL+"/acme/staff/password#token=") || !strings.Contains(out, "otpauth://totp/") {
			t.Fatalf("staff add: exit %d %q %q", code, out, errs)
		}
		if code, _, errs := ops(t, r, vars...); code != 1 || !strings.Contains(errs, `identifier "ops.advisor" is already taken in space "acme"`) {
			t.Errorf("staff add again: exit %d %q, want 1 naming the identifier", code, errs)
		}
		if code, _, errs := ops(t, r, "staff", "add", "-space", "nowhere", "-identifier", "x.y", "-role", "advisor", "-portal", r.PortalURL); code != 1 || !strings.Contains(errs, `unknown space "nowhere"`) {
			t.Errorf("staff add, unknown space: exit %d %q", code, errs)
		}
	})

	t.Run("usage", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			code int
			want string
		}{
			{nil, 2, "customer show"},
			{[]string{"-h"}, 0, "rejections"},
			{[]string{"customer", "show", "-h"}, 0, "-number"},
			{[]string{"mail", "redrive", "-h"}, 0, "-all"},
			{[]string{"staff", "add", "-h"}, 0, "-role advisor|supervisor"},
			{[]string{"staff", "add", "-space", "acme"}, 2, "-space, -identifier, -role and a table are required"},
			{[]string{"spaces", "apply"}, 2, "give exactly one spaces file"},
			{[]string{"customer"}, 2, `unknown command "customer"`},
			{[]string{"customer", "show", "-bogus"}, 2, "flag provided but not defined"},
		} {
			code, _, errs := ops(t, r, c.args...)
			if code != c.code || !strings.Contains(errs, c.want) {
				t.Errorf("ops %v: exit %d, stderr %q; want %d with %q", c.args, code, errs, c.code, c.want)
			}
		}
	})
}
