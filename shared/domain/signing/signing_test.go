package signing

import (
	"errors"
	"strings"
	"testing"
)

var secret = []byte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01")

func TestRoundTrip(t *testing.T) {
	k, err := NewKey(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, payload := range [][]byte{nil, []byte("2026-11-26T10:00:00.000000000Z#ab12"), {0, 1, 2, 255}} {
		tok := k.Sign("audit-cursor|acme#C001", payload)
		got, err := k.Verify("audit-cursor|acme#C001", tok)
		if err != nil {
			t.Fatalf("Verify(%q): %v", tok, err)
		}
		if string(got) != string(payload) {
			t.Errorf("got payload %q, want %q", got, payload)
		}
	}
}

func TestRejects(t *testing.T) {
	k, _ := NewKey(secret)
	other, _ := NewKey(append([]byte("x"), secret...))
	tok := k.Sign("audit-cursor|acme#C001", []byte("last"))
	body, sig, _ := strings.Cut(tok, ".")
	tests := []struct {
		name, purpose, token string
		key                  *Key
	}{
		{"other purpose", "audit-cursor|acme#C002", tok, k},
		{"other key", "audit-cursor|acme#C001", tok, other},
		{"edited payload", "audit-cursor|acme#C001", "bGFzdA" + "x." + sig, k},
		{"another payload, same signature", "audit-cursor|acme#C001", "Zmlyc3Q." + sig, k},
		{"no signature", "audit-cursor|acme#C001", body, k},
		{"empty signature", "audit-cursor|acme#C001", body + ".", k},
		{"not base64", "audit-cursor|acme#C001", "%%%." + sig, k},
		{"empty", "audit-cursor|acme#C001", "", k},
		{"purpose and payload split elsewhere", "ab", shifted(k), k},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.key.Verify(tt.purpose, tt.token); !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
}

// shifted keeps the signature of ("abc" split as "ab" + "c") on the split "a" + "bc".
func shifted(k *Key) string {
	_, sig, _ := strings.Cut(k.Sign("a", []byte("bc")), ".")
	return b64.EncodeToString([]byte("c")) + "." + sig
}

func TestWeakSecret(t *testing.T) {
	if _, err := NewKey([]byte("short")); !errors.Is(err, ErrWeakSecret) {
		t.Errorf("got %v, want ErrWeakSecret", err)
	}
}
