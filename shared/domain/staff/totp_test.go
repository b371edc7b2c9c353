package staff

import (
	"strings"
	"testing"
	"time"
)

// TestCodeRFC6238 checks the SHA-1 test vectors of RFC 6238, appendix B (8 digits, the
// 20-byte ASCII key "12345678901234567890").
func TestCodeRFC6238(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, c := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		if got := Code(key, Step(time.Unix(c.unix, 0)), 8); got != c.want {
			t.Errorf("T=%d: got %s, want %s", c.unix, got, c.want)
		}
	}
	// Six digits are the last six of the same value (RFC 4226's truncation modulo 10^6).
	if got := Code(key, Step(time.Unix(59, 0)), 6); got != "287082" {
		t.Errorf("6 digits at T=59: got %s, want 287082", got)
	}
}

func TestMatchStep(t *testing.T) {
	key, err := DecodeSecret(NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_015, 0)
	cur := Step(now)
	for _, c := range []struct {
		name string
		step int64
		used int64
		ok   bool
	}{
		{"current step", cur, 0, true},
		{"one step behind", cur - 1, 0, true},
		{"one step ahead", cur + 1, 0, true},
		{"two steps behind", cur - 2, 0, false},
		{"two steps ahead", cur + 2, 0, false},
		{"replayed", cur, cur, false},
		{"older than the last used", cur - 1, cur, false},
		{"newer than the last used", cur + 1, cur, true},
	} {
		got, ok := MatchStep(key, Code(key, c.step, TOTPDigits), now, c.used)
		if ok != c.ok || (ok && got != c.step) {
			t.Errorf("%s: got step %d ok %v, want %d %v", c.name, got, ok, c.step, c.ok)
		}
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := MatchStep(key, bad, now, 0); ok {
			t.Errorf("code %q accepted", bad)
		}
	}
}

func TestSecretAndURI(t *testing.T) {
	s := NewSecret()
	if len(s) != 32 || strings.ContainsAny(s, "=") {
		t.Errorf("secret %q: want 32 base32 characters, no padding", s)
	}
	if _, err := DecodeSecret(strings.ToLower(s)); err != nil {
		t.Errorf("lower-case secret refused: %v", err)
	}
	if _, err := DecodeSecret("NOT-BASE32!"); err == nil {
		t.Error("garbage secret accepted")
	}
	got := EnrolmentURI("acme", "marie.dupont", "JBSWY3DPEHPK3PXP")
	want := "otpauth://totp/efacture:acme:marie.dupont?secret=JBSWY3DPEHPK3PXP&issuer=efacture&algorithm=SHA1&digits=6&period=30"
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
