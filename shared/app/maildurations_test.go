package app_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/app"
	"github.com/efacture/efacture/shared/domain/tokens"
	"github.com/efacture/efacture/shared/transport/lambdaevents"
)

// statedValidity finds the duration a mail states for its link ("valable 7 jours",
// "valid for 1 hour", "pendant 9 jours").
var statedValidity = regexp.MustCompile(`(?:valable|valid for|pendant|for) (\d+) (jours?|days?|heures?|hours?)\b`)

func stated(t *testing.T, text string) time.Duration {
	t.Helper()
	m := statedValidity.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no link duration in:\n%s", text)
	}
	n, _ := strconv.Atoi(m[1])
	switch m[2] {
	case "jour", "jours", "day", "days":
		return time.Duration(n) * 24 * time.Hour
	}
	return time.Duration(n) * time.Hour
}

// TestMailDurations renders each mail carrying a link through the real path and checks
// that the duration it states is the one its token gets: activation and recovery from
// the tokens package's constants, the digest's links from the space's link lifetime.
func TestMailDurations(t *testing.T) {
	p := newPortal(t, nil)
	// A link lifetime other than the default, so that the digest cannot pass by accident.
	dir := t.TempDir()
	spacesFile := filepath.Join(dir, "spaces.json")
	if err := os.WriteFile(spacesFile, []byte(`{"spaces":[{"id":"acme","name":"Acme Finance / Acme Location","since":"2022-12-02","linkLifetimeDays":9}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := app.ApplySpaces(context.Background(), app.Store(p.env, p.clients, app.Options{}), spacesFile); err != nil {
		t.Fatal(err)
	}
	p.seed("customer_number,email,notification,language\nC1,un@example.fr,digest,fr\n", "C1")
	expiry := func(token string) time.Duration {
		t.Helper()
		it := p.item(p.env.MainTable, pk("TOKEN#"+tokenHash(token), "TOKEN"))
		at, err := time.Parse(time.RFC3339, it["expiresAt"].(string))
		if err != nil {
			t.Fatalf("token %v: %v", it, err)
		}
		return at.Sub(p.now)
	}

	act := p.mailsTo("un@example.fr", "Activation")
	if len(act) != 1 {
		t.Fatalf("got %d activation mails, want 1", len(act))
	}
	if got := stated(t, act[0].Text); got != tokens.ActivationValidity {
		t.Errorf("activation mail states %v, want %v", got, tokens.ActivationValidity)
	}
	if got := expiry(p.token(act[0])); got != tokens.ActivationValidity {
		t.Errorf("activation token lives %v, want %v", got, tokens.ActivationValidity)
	}

	p.browser("198.51.100.40").post("/api/auth/recovery", map[string]any{"space": "acme", "email": "un@example.fr"}).want(t, http.StatusAccepted)
	p.mailAll()
	rec := p.mailsTo("un@example.fr", "oublié")
	if len(rec) != 1 {
		t.Fatalf("got %d recovery mails, want 1", len(rec))
	}
	if got := stated(t, rec[0].Text); got != tokens.RecoveryValidity {
		t.Errorf("recovery mail states %v, want %v", got, tokens.RecoveryValidity)
	}
	if got := expiry(p.token(rec[0])); got != tokens.RecoveryValidity {
		t.Errorf("recovery token lives %v, want %v", got, tokens.RecoveryValidity)
	}

	p.now = time.Date(2026, 11, 26, 17, 0, 5, 0, time.UTC) // 18:00:05 in Paris, the digest hour
	run := build[lambdaevents.ScheduleHandler](t, app.DigestFunction, p.env, p.clients, app.Options{Now: func() time.Time { return p.now }})
	if err := run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	p.mailAll()
	var digest string
	for _, m := range p.mailsTo("un@example.fr", "") {
		if linkPattern.MatchString(m.Text) {
			digest = m.Text
		}
	}
	if digest == "" {
		t.Fatal("no digest mail")
	}
	const nine = 9 * 24 * time.Hour
	if got := stated(t, digest); got != nine {
		t.Errorf("digest states %v, want the space's 9 days", got)
	}
	if got := expiry(linkPattern.FindStringSubmatch(digest)[1]); got != nine {
		t.Errorf("digest link lives %v, want 9 days", got)
	}
}
