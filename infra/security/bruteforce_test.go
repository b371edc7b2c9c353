package security

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// wrongPassword is a well-formed password no account has.
const wrongPassword = "Wrong-Guess-2026!"

func loginBody(identifier, password string) map[string]string {
	return map[string]string{"identifier": identifier, "password": password}
}

// TestLockAfterFiveFailures: after the 5th consecutive failure on one identifier no
// attempt succeeds, even with the right password from another client, and the refusal
// reads exactly as a wrong password; once the lock has run out the right password works.
func TestLockAfterFiveFailures(t *testing.T) {
	w := theWorld(t)
	p, a := w.p, w.targets["bf.lock"]
	attacker := p.client()
	var refusal response
	for i := 1; i <= limits.LockAfter; i++ {
		refusal = attacker.send(t, http.MethodPost, "/api/auth/login", loginBody(a.identifier, wrongPassword)).
			want(t, http.StatusUnauthorized, fmt.Sprintf("failure %d", i))
	}
	for i := 1; i <= 10; i++ {
		owner := p.client()
		got := owner.send(t, http.MethodPost, "/api/auth/login", loginBody(a.identifier, a.password))
		if got.status == http.StatusOK {
			t.Fatalf("attempt %d after the lock: the right password signed in", i)
		}
		if got.status != refusal.status || string(got.body) != string(refusal.body) {
			t.Errorf("attempt %d after the lock: got %s, want %s as for a wrong password", i, got, refusal)
		}
		if owner.cookie() != "" {
			t.Errorf("attempt %d after the lock set a session cookie", i)
		}
	}
	p.clock.advance(limits.LockFirst + time.Second)
	p.client().login(t, a.identifier, a.password)
}

// TestClientLimit: the 21st failed login from one client gets 429, known or unknown
// identifiers alike, and then so does a right password from that client; another client
// is not affected.
func TestClientLimit(t *testing.T) {
	w := theWorld(t)
	p, a := w.p, w.targets["bf.client"]
	c := p.client()
	for i := 1; i <= limits.LoginFailuresPerClient.Max; i++ {
		identifier := fmt.Sprintf("nobody.%02d@example.test", i)
		if i%2 == 0 {
			identifier = a.identifier // known identifiers count alike, without locking it
		}
		c.send(t, http.MethodPost, "/api/auth/login", loginBody(identifier, wrongPassword)).
			want(t, http.StatusUnauthorized, fmt.Sprintf("failure %d", i))
		if i%8 == 0 {
			// A success in between resets the account's count, not the client's.
			p.client().login(t, a.identifier, a.password)
		}
	}
	got := c.send(t, http.MethodPost, "/api/auth/login", loginBody("nobody.21@example.test", wrongPassword))
	if got.status != http.StatusTooManyRequests || got.errorCode() != "too_many_requests" {
		t.Fatalf("21st failure: got %s, want 429 too_many_requests", got)
	}
	got = c.send(t, http.MethodPost, "/api/auth/login", loginBody(a.identifier, a.password))
	if got.status != http.StatusTooManyRequests {
		t.Errorf("right password from the throttled client: got %s, want 429", got)
	}
	p.client().login(t, a.identifier, a.password)
}

// TestForwardedForSpoofing: a client that claims another address in X-Forwarded-For at
// each attempt is still counted as itself, so its 21st failure gets 429 too.
func TestForwardedForSpoofing(t *testing.T) {
	w := theWorld(t)
	c := w.p.client()
	for i := 1; i <= limits.LoginFailuresPerClient.Max+1; i++ {
		c.forwardedFor = fmt.Sprintf("198.51.100.%d", i)
		got := c.send(t, http.MethodPost, "/api/auth/login", loginBody(fmt.Sprintf("spoof.%02d@example.test", i), wrongPassword))
		want := http.StatusUnauthorized
		if i > limits.LoginFailuresPerClient.Max {
			want = http.StatusTooManyRequests
		}
		if got.status != want {
			t.Fatalf("failure %d claiming %s: got %s, want %d", i, c.forwardedFor, got, want)
		}
	}
}

// TestSprayCost: spraying 200 identifiers from one client costs at most 20
// password-hash verifications; the rest are refused before any hashing.
func TestSprayCost(t *testing.T) {
	w := theWorld(t)
	p := w.p
	c := p.client()
	before := p.hashes.verify.Load()
	counts := map[int]int{}
	for i := 0; i < 200; i++ {
		identifier := fmt.Sprintf("spray.%03d@example.test", i)
		if i%10 == 0 {
			identifier = w.actors[i/10%len(w.actors)].identifier // some real ones among them
		}
		r := c.send(t, http.MethodPost, "/api/auth/login", loginBody(identifier, "Summer-2026!"))
		counts[r.status]++
	}
	spent := p.hashes.verify.Load() - before
	t.Logf("spray of 200 identifiers from one client: %d verifications, answers %v", spent, counts)
	if spent > int64(limits.LoginFailuresPerClient.Max) {
		t.Errorf("got %d password-hash verifications, want at most %d", spent, limits.LoginFailuresPerClient.Max)
	}
	if counts[http.StatusUnauthorized] != limits.LoginFailuresPerClient.Max || counts[http.StatusTooManyRequests] != 200-limits.LoginFailuresPerClient.Max {
		t.Errorf("got answers %v, want %d × 401 then 429", counts, limits.LoginFailuresPerClient.Max)
	}
}

// TestEnumeration: a known identifier or address answers exactly as an unknown one, in
// status and body; the median times of -samples requests each are reported, not asserted
// (docs/SECURITY.md gives a run with 200).
func TestEnumeration(t *testing.T) {
	w := theWorld(t)
	p := w.p
	samples := *samples

	// Each client stays below the per-client limits (20): a new one every 18 requests.
	var c *client
	used := 0
	next := func() *client {
		if c == nil || used == 18 {
			c, used = p.client(), 0
		}
		used++
		return c
	}
	timed := func(body any, path string) (response, time.Duration) {
		cl := next()
		t0 := time.Now()
		r := cl.send(t, http.MethodPost, path, body)
		return r, time.Since(t0)
	}

	reference, _ := timed(loginBody("nobody.reference@example.test", wrongPassword), "/api/auth/login")
	if reference.status != http.StatusUnauthorized || reference.errorCode() != "invalid_credentials" {
		t.Fatalf("unknown identifier: got %s, want 401 invalid_credentials", reference)
	}
	same := func(what string, r response) {
		if r.status != reference.status || string(r.body) != string(reference.body) {
			t.Errorf("%s: got %s, want %s as for an unknown identifier", what, r, reference)
		}
	}
	r, _ := timed(loginBody(w.targets["bf.inactive"].identifier, w.targets["bf.inactive"].password), "/api/auth/login")
	same("inactive account, right password", r)

	var known, unknown []time.Duration
	for i := 0; i < samples; i++ {
		r, d := timed(loginBody(w.targets["bf.timing"].identifier, wrongPassword), "/api/auth/login")
		same(fmt.Sprintf("known identifier, sample %d", i), r)
		known = append(known, d)
		r, d = timed(loginBody(fmt.Sprintf("nobody.%03d@example.test", i), wrongPassword), "/api/auth/login")
		same(fmt.Sprintf("unknown identifier, sample %d", i), r)
		unknown = append(unknown, d)
	}
	t.Logf("login, median of %d: known identifier (wrong password, then locked) %v, unknown identifier %v",
		samples, median(known), median(unknown))

	recovery := func(email string) map[string]string { return map[string]string{"space": "acme", "email": email} }
	reference, _ = timed(recovery("nobody.reference@example.test"), "/api/auth/recovery")
	if reference.status != http.StatusAccepted {
		t.Fatalf("unknown address: got %s, want 202", reference)
	}
	known, unknown = known[:0], unknown[:0]
	for i := 0; i < samples; i++ {
		r, d := timed(recovery(w.timingAddresses[i%len(w.timingAddresses)]), "/api/auth/recovery")
		if r.status != reference.status || string(r.body) != string(reference.body) {
			t.Errorf("known address, sample %d: got %s, want %s as for an unknown address", i, r, reference)
		}
		known = append(known, d)
		r, d = timed(recovery(fmt.Sprintf("nobody.%03d@example.test", i)), "/api/auth/recovery")
		if r.status != reference.status || string(r.body) != string(reference.body) {
			t.Errorf("unknown address, sample %d: got %s, want %s", i, r, reference)
		}
		unknown = append(unknown, d)
	}
	t.Logf("recovery, median of %d: known address %v, unknown address %v", samples, median(known), median(unknown))
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(100 * time.Microsecond)
}
