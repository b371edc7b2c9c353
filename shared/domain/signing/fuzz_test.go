package signing

import (
	"bytes"
	"strings"
	"testing"
)

func fuzzKey(tb testing.TB, b byte) *Key {
	tb.Helper()
	k, err := NewKey(bytes.Repeat([]byte{b}, MinSecretLen))
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// FuzzVerify feeds Verify what clients send back as cursors: it never panics, and a
// token it accepts is bound to its purpose and key (another purpose, even a prefix or an
// extension of it, or another key refuses it).
func FuzzVerify(f *testing.F) {
	k := fuzzKey(f, 1)
	valid := k.Sign("audit-cursor|acme#C001", []byte("2026-11-26T10:00:00.000000000Z#ab"))
	for _, s := range []string{valid, valid + "A", "." + valid, "", ".", "..", "e30.", "e30.AAAA", "\x00.\x00", valid[:len(valid)-1] + "B"} {
		f.Add("audit-cursor|acme#C001", s)
	}
	f.Add("documents-cursor|globex#C001|00", valid)
	f.Fuzz(func(t *testing.T, purpose, token string) {
		payload, err := k.Verify(purpose, token)
		if err != nil {
			if err != ErrInvalid {
				t.Fatalf("Verify: got %v, want ErrInvalid", err)
			}
			return
		}
		for _, other := range []string{purpose + "x", purpose + "|", "x" + purpose} {
			if _, err := k.Verify(other, token); err == nil {
				t.Fatalf("a token for %q verifies for %q", purpose, other)
			}
		}
		if len(purpose) > 0 {
			if _, err := k.Verify(purpose[:len(purpose)-1], token); err == nil {
				t.Fatalf("a token for %q verifies for a prefix of it", purpose)
			}
		}
		if _, err := fuzzKey(t, 2).Verify(purpose, token); err == nil {
			t.Fatal("a token verifies under another key")
		}
		if again, err := k.Verify(purpose, k.Sign(purpose, payload)); err != nil || !bytes.Equal(again, payload) {
			t.Fatalf("re-signing the payload: got %q, %v", again, err)
		}
	})
}

// FuzzSignVerify: what Sign makes, Verify gives back for the same purpose only; moving
// bytes between the purpose and the payload never keeps a MAC valid.
func FuzzSignVerify(f *testing.F) {
	f.Add("documents-cursor|acme#C001|0011", []byte(`{"s":"2026-11-02#F-1"}`), 5)
	f.Add("", []byte{}, 0)
	f.Add("a|b", []byte("|c"), 1)
	k := fuzzKey(f, 3)
	f.Fuzz(func(t *testing.T, purpose string, payload []byte, cut int) {
		token := k.Sign(purpose, payload)
		got, err := k.Verify(purpose, token)
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("Verify(Sign(%q, %q)): got %q, %v", purpose, payload, got, err)
		}
		if len(purpose) == 0 {
			return
		}
		n := cut % len(purpose)
		if n < 0 {
			n = -n
		}
		// The same MAC over purpose[:n] and purpose[n:]+payload: the length prefix of the
		// purpose must make it a different message.
		_, mac, _ := strings.Cut(token, ".")
		shifted := b64.EncodeToString(append([]byte(purpose[n:]), payload...)) + "." + mac
		if _, err := k.Verify(purpose[:n], shifted); err == nil {
			t.Fatalf("moving %q from the purpose into the payload kept the MAC valid", purpose[n:])
		}
	})
}
