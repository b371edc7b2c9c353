package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/infra/local/localaws"
	"github.com/efacture/efacture/shared/app"
)

func TestCheckRegistry(t *testing.T) {
	build := func(app.Env, app.Clients, app.Options) (any, error) { return nil, nil }
	api := localaws.Function{ID: "Api", HTTP: []localaws.Route{{Method: "GET", Path: "/api/a/{id}"}, {Method: "ANY", Path: "/api/f/{proxy+}"}}}
	worker := localaws.Function{ID: "Worker", SQS: []localaws.SQSSource{{QueueID: "Q"}}}
	tests := []struct {
		name string
		fns  map[string]localaws.Function
		reg  Registry
		want []string // fragments of the error; none means no error
	}{
		{"agree", map[string]localaws.Function{"Api": api, "Worker": worker},
			Registry{"Api": {New: build, Routes: []string{"GET /api/a/{id}", "/api/f/{proxy...}"}}, "Worker": {New: build}}, nil},
		{"function missing", map[string]localaws.Function{"Api": api, "Worker": worker},
			Registry{"Api": {New: build, Routes: []string{"GET /api/a/{id}", "/api/f/{proxy...}"}}},
			[]string{"template function Worker has no entry"}},
		{"function gone from the template", map[string]localaws.Function{"Worker": worker},
			Registry{"Worker": {New: build}, "Old": {New: build}}, []string{"runner.Functions has Old"}},
		{"route not served", map[string]localaws.Function{"Api": api},
			Registry{"Api": {New: build, Routes: []string{"GET /api/a/{id}"}}}, []string{`template route "ANY /api/f/{proxy+}" is not served`}},
		{"route not in the template", map[string]localaws.Function{"Api": api},
			Registry{"Api": {New: build, Routes: []string{"GET /api/a/{id}", "/api/f/{proxy...}", "POST /api/a"}}},
			[]string{`handler route "POST /api/a" is not in the template`}},
		{"routes not listed", map[string]localaws.Function{"Api": api}, Registry{"Api": {New: build}}, []string{"give its runner.Functions entry the handler's Routes"}},
		{"route outside /api", map[string]localaws.Function{"Api": {ID: "Api", HTTP: []localaws.Route{{Method: "GET", Path: "/admin"}}}},
			Registry{"Api": {New: build, Routes: []string{"GET /admin"}}}, []string{"outside /api/"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkRegistry(tc.fns, tc.reg)
			if len(tc.want) == 0 {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got nil, want an error with %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got %v, want it to say %q", err, w)
				}
			}
		})
	}
}

func TestSchedules(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		expr, tz, after, want string
	}{
		{"rate(1 hour)", "", "2026-11-26T10:17:03Z", "2026-11-26T11:00:00Z"},
		{"rate(1 hour)", "", "2026-11-26T11:00:00Z", "2026-11-26T12:00:00Z"},
		{"rate(15 minutes)", "", "2026-11-26T10:17:03Z", "2026-11-26T10:30:00Z"},
		{"rate(1 day)", "Europe/Paris", "2026-11-26T10:17:03Z", "2026-11-26T23:00:00Z"},
		{"cron(0 18 * * ? *)", "", "2026-11-26T18:00:00Z", "2026-11-27T18:00:00Z"},
		{"cron(0 18 * * ? *)", "Europe/Paris", "2026-11-26T10:00:00Z", "2026-11-26T17:00:00Z"},
		{"cron(0/20 8-9 ? * MON-FRI *)", "", "2026-11-27T09:45:00Z", "2026-11-30T08:00:00Z"}, // Friday → Monday
		{"cron(30 2 1 JAN,JUL ? 2027)", "", "2026-11-26T10:00:00Z", "2027-01-01T02:30:00Z"},
		{"cron(0 12 ? * SUN *)", "", "2026-11-26T10:00:00Z", "2026-11-29T12:00:00Z"},
	}
	for _, tc := range tests {
		t.Run(tc.expr+" "+tc.after, func(t *testing.T) {
			tt, err := parseSchedule(tc.expr, tc.tz)
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.next(at(tc.after)); !got.Equal(at(tc.want)) {
				t.Errorf("got %v, want %s", got.UTC(), tc.want)
			}
		})
	}
	for _, bad := range []string{"rate(1 hours)", "rate(2 hour)", "rate(0 minutes)", "cron(0 18 * * * *)", "cron(0 18 ? * ? *)",
		"cron(0 18 L * ? *)", "cron(0 18 ? * 6#3 *)", "cron(61 18 * * ? *)", "cron(0 18 * *)", "every hour"} {
		if _, err := parseSchedule(bad, ""); err == nil {
			t.Errorf("%s: got nil, want an error", bad)
		}
	}
}

func TestResolveWeb(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"index.html": "login", "forgot.html": "forgot", "documents/index.html": "docs", "staff.html": "staff",
		"assets/app.js": "js", ".env": "secret", "node_modules/x/y.js": "dep",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	tests := []struct{ path, name, page, redirect string }{
		{"/", "index.html", "", ""},
		{"/acme/", "index.html", "", ""},
		{"/acme", "", "", "/acme/"},
		{"/acme/forgot", "forgot.html", "forgot", ""},
		{"/globex/documents", "documents/index.html", "documents", ""},
		{"/acme/password", "index.html", "password", ""}, // not built yet: the login page
		{"/unknown-space/help", "index.html", "help", ""},
		{"/acme/nothing", "", "", ""},
		{"/acme/forgot/", "", "", ""},
		{"/assets/app.js", "assets/app.js", "", ""},
		{"/assets/missing.js", "", "", ""},
		{"/.env", "", "", ""},
		{"/node_modules/x/y.js", "", "", ""},
		{"/../../etc/passwd", "", "", ""},
		{"/ab/", "", "", ""}, // too short for a space id
		{"/acme/staff/", "staff.html", "staff/", ""},
		{"/acme/staff", "staff.html", "staff", ""},
		{"/globex/staff/password", "staff.html", "staff/password", ""},
		{"/acme/staff/customers/C001", "staff.html", "staff/customers/C001", ""},
		{"/acme/staffroom", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			name, page, redirect := resolveWeb(root, tc.path)
			if name != tc.name || page != tc.page || redirect != tc.redirect {
				t.Errorf("got (%q, %q, %q), want (%q, %q, %q)", name, page, redirect, tc.name, tc.page, tc.redirect)
			}
		})
	}
}
