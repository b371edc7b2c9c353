package security

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
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
	wantClientLimit(t, spent, counts, limits.LoginFailuresPerClient.Max)
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

// accountItem reads an account's item as stored.
func (p *portal) accountItem(t testing.TB, identifier string) map[string]ddbtypes.AttributeValue {
	t.Helper()
	out, err := p.r.AWS.DynamoDB.GetItem(context.Background(), &dynamodb.GetItemInput{
		TableName: aws.String(p.r.Env.MainTable), ConsistentRead: aws.Bool(true),
		Key: map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: "ACCT#" + identifier}, "sk": &ddbtypes.AttributeValueMemberS{Value: "ACCT"},
		},
	})
	if err != nil {
		t.Error(err) // called from goroutines too: no Fatal
		return nil
	}
	return out.Item
}

// burst sends n requests at once, each from the client pick returns, and returns the
// answers in order.
func burst(t *testing.T, n int, pick func(i int) *client, body func(i int) any) []response {
	t.Helper()
	answers := make([]response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		c := pick(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			answers[i] = c.send(t, http.MethodPost, "/api/auth/login", body(i))
		}()
	}
	close(start)
	wg.Wait()
	return answers
}

// TestConcurrentLockCost: 200 wrong passwords fired at one account at once, each from its
// own client, cost at most LockAfter hash verifications inside one lock window, and the
// right password sent once the lock is in place is refused like them. Each attempt takes
// its place in the account's count before any hashing, so none of them reads a stale
// "not locked".
func TestConcurrentLockCost(t *testing.T) {
	w := theWorld(t)
	p, a := w.p, w.targets["bf.burst"]
	release := p.clock.hold() // one lock window, however long the burst takes
	defer release()
	clients := make([]*client, 200)
	for i := range clients {
		clients[i] = p.client()
	}
	before := p.hashes.verify.Load()
	// The owner sends the right password as soon as the lock is stored, while the burst
	// is still being served.
	var right response
	burstDone, done := make(chan struct{}), make(chan struct{})
	owner := p.client()
	go func() {
		defer close(done)
		for {
			if _, ok := p.accountItem(t, a.identifier)["lockedUntil"]; ok {
				break
			}
			select {
			case <-burstDone:
				t.Error("no lock was stored during the burst")
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
		right = owner.send(t, http.MethodPost, "/api/auth/login", loginBody(a.identifier, a.password))
	}()
	answers := burst(t, len(clients), func(i int) *client { return clients[i] },
		func(int) any { return loginBody(a.identifier, wrongPassword) })
	close(burstDone)
	<-done
	spent := p.hashes.verify.Load() - before
	counts := map[int]int{}
	for i, r := range answers {
		counts[r.status]++
		if r.status != http.StatusUnauthorized || string(r.body) != string(answers[0].body) {
			t.Errorf("attempt %d: got %s, want %s", i, r, answers[0])
		}
	}
	t.Logf("200 parallel wrong passwords on one account, then the right one: %d verifications, answers %v", spent, counts)
	if spent > int64(limits.LockAfter) {
		t.Errorf("got %d password-hash verifications, want at most %d (LockAfter)", spent, limits.LockAfter)
	}
	if right.status != http.StatusUnauthorized || string(right.body) != string(answers[0].body) {
		t.Errorf("the right password after the lock: got %s, want %s as for a wrong one", right, answers[0])
	}
	if f := p.accountItem(t, a.identifier)["failures"]; f == nil || f.(*ddbtypes.AttributeValueMemberN).Value != fmt.Sprint(limits.LockAfter) {
		t.Errorf("the account counts %v failures, want %d: attempts during the lock count nothing", f, limits.LockAfter)
	}
	release()
	p.clock.advance(limits.LockFirst + time.Second)
	p.client().login(t, a.identifier, a.password)
}

// TestConcurrentSprayCost: 200 logins over 200 identifiers fired at once from one client
// cost at most the client limit's 20 verifications: each attempt takes its place in the
// client's count before hashing, and the 21st place is refused with 429.
func TestConcurrentSprayCost(t *testing.T) {
	w := theWorld(t)
	p := w.p
	c := p.client()
	before := p.hashes.verify.Load()
	answers := burst(t, 200, func(int) *client { return c }, func(i int) any {
		identifier := fmt.Sprintf("burst.%03d@example.test", i)
		if i%10 == 0 {
			identifier = w.actors[i/10%len(w.actors)].identifier // some real ones among them
		}
		return loginBody(identifier, "Autumn-2026!")
	})
	spent := p.hashes.verify.Load() - before
	counts := map[int]int{}
	for _, r := range answers {
		counts[r.status]++
	}
	t.Logf("200 parallel logins over 200 identifiers from one client: %d verifications, answers %v", spent, counts)
	wantClientLimit(t, spent, counts, limits.LoginFailuresPerClient.Max)
}

// wantClientLimit checks 200 logins from one client against its limit: at most
// limit password-hash verifications, limit × 401 and the rest 429.
func wantClientLimit(t *testing.T, spent int64, counts map[int]int, limit int) {
	t.Helper()
	if spent > int64(limit) {
		t.Errorf("got %d password-hash verifications, want at most %d", spent, limit)
	}
	if counts[http.StatusUnauthorized] != limit || counts[http.StatusTooManyRequests] != 200-limit {
		t.Errorf("got answers %v, want %d × 401 and the rest 429", counts, limit)
	}
}

// TestPasswordChangeCountsTowardLock: a signed-in session guessing its own current
// password (POST /api/me/password) counts toward the account's lock as logins do; once
// locked, even the right current password is refused without hashing, and so is a login.
func TestPasswordChangeCountsTowardLock(t *testing.T) {
	w := theWorld(t)
	p, a := w.p, w.targets["bf.change"]
	release := p.clock.hold()
	defer release()
	thief := p.client()
	thief.login(t, a.identifier, a.password)
	change := func(current string) response {
		return thief.send(t, http.MethodPost, "/api/me/password", map[string]string{
			"currentPassword": current, "newPassword": "Stolen-Session-99!", "confirmation": "Stolen-Session-99!",
		})
	}
	for i := 1; i <= limits.LockAfter; i++ {
		if got := change(wrongPassword); got.status != http.StatusBadRequest || got.errorCode() != "wrong_password" {
			t.Fatalf("wrong current password %d: got %s, want 400 wrong_password", i, got)
		}
	}
	before := p.hashes.verify.Load()
	if got := change(a.password); got.status != http.StatusBadRequest || got.errorCode() != "wrong_password" {
		t.Errorf("right current password on a locked account: got %s, want 400 wrong_password", got)
	}
	got := p.client().send(t, http.MethodPost, "/api/auth/login", loginBody(a.identifier, a.password))
	if got.status != http.StatusUnauthorized {
		t.Errorf("login on the locked account: got %s, want 401", got)
	}
	if spent := p.hashes.verify.Load() - before; spent != 0 {
		t.Errorf("the locked account cost %d verifications, want none", spent)
	}
	release()
	p.clock.advance(limits.LockFirst + time.Second)
	p.client().login(t, a.identifier, a.password)
}
