package staffcmd

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/aws/dynamo"
	"github.com/efacture/efacture/shared/domain/staff"
)

// TestAdd creates members against moto through the command and checks what it prints,
// that the link sets the password, and the refusals.
func TestAdd(t *testing.T) {
	le := localaws.MustStart(t)
	fnEnv := le.Stack.FunctionEnv("StaffFunction")
	env, err := app.EnvFrom(func(k string) string { return fnEnv[k] })
	if err != nil {
		t.Fatal(err)
	}
	clients := app.NewClients(le.Config, le.SESConfig)
	ctx := context.Background()
	if _, err := app.ApplySpaces(ctx, app.Store(env, clients, app.Options{}), "../../../shared/app/testdata/spaces.json"); err != nil {
		t.Fatal(err)
	}
	svc := app.StaffService(dynamo.New(clients.DynamoDB, dynamo.Tables{Main: env.MainTable}, nil), app.Options{})
	open := func(table string) (Adder, error) {
		if table != env.MainTable {
			t.Errorf("opened table %q, want %q", table, env.MainTable)
		}
		return svc, nil
	}
	getenv := func(k string) string {
		return map[string]string{"MAIN_TABLE": env.MainTable, "PORTAL_BASE_URL": "https://factures.example.com/"}[k]
	}
	cmd := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(ctx, args, getenv, &out, &errOut, open)
		return code, out.String(), errOut.String()
	}

	code, out, _ := cmd("add", "-space", "acme", "-identifier", "Marie.Dupont", "-role", "supervisor")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	link := regexp.MustCompile(`https://factures\.example\.com/acme/staff/password#token=([A-Za-z0-9_-]{22})\n`).FindStringSubmatch(out)
	uri := regexp.MustCompile(`otpauth://totp/efacture:acme:marie\.dupont\?secret=([A-Z2-7]{32})&issuer=efacture&algorithm=SHA1&digits=6&period=30\n`).FindStringSubmatch(out)
	if link == nil || uri == nil {
		t.Fatalf("output lacks the link or the enrolment URI:\n%s", out)
	}
	m, err := svc.InspectPassword(ctx, link[1])
	if err != nil || m.Identifier != "marie.dupont" || m.Role != staff.RoleSupervisor {
		t.Fatalf("the printed link opens on %+v, %v", m, err)
	}
	if m.TOTPSecret != uri[1] {
		t.Error("the enrolment URI's secret is not the member's")
	}

	for _, c := range []struct {
		args []string
		exit int
		msg  string
	}{
		{[]string{"add", "-space", "acme", "-identifier", "marie.dupont", "-role", "advisor"}, 1, `identifier "marie.dupont" is already taken in space "acme"`},
		{[]string{"add", "-space", "nowhere", "-identifier", "paul", "-role", "advisor"}, 1, `unknown space "nowhere"`},
		{[]string{"add", "-space", "acme", "-identifier", "paul", "-role", "boss"}, 1, `invalid role "boss"`},
		{[]string{"add", "-space", "acme", "-identifier", "a b", "-role", "advisor"}, 1, `invalid identifier "a b"`},
		{[]string{"add", "-space", "acme", "-role", "advisor"}, 2, "are required"},
		{[]string{"remove"}, 2, `unknown command "remove"`},
		{[]string{"-help"}, 0, "usage:"},
		{[]string{"add", "-help"}, 0, "usage:"},
	} {
		code, _, errOut := cmd(c.args...)
		if code != c.exit || !strings.Contains(errOut, c.msg) {
			t.Errorf("%v: got exit %d %q, want %d with %q", c.args, code, errOut, c.exit, c.msg)
		}
	}
}
