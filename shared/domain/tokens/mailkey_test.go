package tokens

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

var (
	secretA = []byte(strings.Repeat("a", 32))
	secretB = []byte(strings.Repeat("b", 32))
)

func mustKey(t *testing.T, secret []byte) *MailKey {
	t.Helper()
	k, err := NewMailKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestMailKeyRefusesShortSecrets(t *testing.T) {
	if _, err := NewMailKey(secretA[:31]); !errors.Is(err, ErrWeakMailSecret) {
		t.Errorf("31-byte secret: got %v, want ErrWeakMailSecret", err)
	}
}

func TestMailTokenIsStableAndWellFormed(t *testing.T) {
	k := mustKey(t, secretA)
	tok := k.Token(KindActivation, "activation#jo@x.fr", "n1", 0)
	if !WellFormed(tok) {
		t.Fatalf("token %q not well formed", tok)
	}
	// The mailer, another process with the same secret, derives the same token.
	if again := mustKey(t, append([]byte(nil), secretA...)).Token(KindActivation, "activation#jo@x.fr", "n1", 0); again != tok {
		t.Errorf("same inputs: got %q then %q", tok, again)
	}
	// Pinned, so a change of the derivation, which would break every mail in flight, is seen.
	sub := hmac.New(sha256.New, secretA)
	sub.Write([]byte("efacture mail token\x00activation"))
	m := hmac.New(sha256.New, sub.Sum(nil))
	m.Write([]byte{0, 0, 0, 0, 0, 0, 0, 18})
	m.Write([]byte("activation#jo@x.fr"))
	m.Write([]byte{0, 0, 0, 0, 0, 0, 0, 2})
	m.Write([]byte("n1"))
	m.Write([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	if want := base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16]); tok != want {
		t.Errorf("token: got %q, want %q", tok, want)
	}
}

func TestMailTokensDifferByEveryInput(t *testing.T) {
	a, b := mustKey(t, secretA), mustKey(t, secretB)
	type in struct {
		k                    *MailKey
		purpose, mail, nonce string
		index                int
	}
	base := in{a, KindLink, "digest#acme#C1#2026-12-05", "nonce", 0}
	variants := map[string]in{
		"base":             base,
		"other secret":     {b, base.purpose, base.mail, base.nonce, base.index},
		"other purpose":    {a, KindRecovery, base.mail, base.nonce, base.index},
		"other mail":       {a, base.purpose, "digest#acme#C1#2026-12-06", base.nonce, base.index},
		"other nonce":      {a, base.purpose, base.mail, "nonce2", base.index},
		"other index":      {a, base.purpose, base.mail, base.nonce, 1},
		"shifted boundary": {a, base.purpose, "digest#acme#C1#2026-12-05n", "once", base.index},
	}
	seen := map[string]string{}
	for name, v := range variants {
		tok := v.k.Token(v.purpose, v.mail, v.nonce, v.index)
		if other, dup := seen[tok]; dup {
			t.Errorf("%s and %s give the same token %q", name, other, tok)
		}
		seen[tok] = name
	}
}

func TestNewNonce(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		n := NewNonce()
		if len(n) != 22 || seen[n] {
			t.Fatalf("nonce %q: want 22 characters, never repeated", n)
		}
		seen[n] = true
	}
}
