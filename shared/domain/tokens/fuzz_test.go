package tokens

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// FuzzWellFormed feeds WellFormed what arrives in link paths, set-password bodies and
// session cookies: only a 22-character base64url string of 16 bytes passes, and its hash
// is always a 64-digit hex key.
func FuzzWellFormed(f *testing.F) {
	tok, _ := New()
	for _, s := range []string{tok, "", strings.Repeat("A", 22), strings.Repeat("A", 21) + "=", strings.Repeat("A", 21) + "/",
		strings.Repeat("é", 11), strings.Repeat("A", 21) + "B", strings.Repeat("-", 22), strings.Repeat("A", 23), "%2e%2e%2f" + strings.Repeat("A", 13)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := Hash(s)
		if _, err := hex.DecodeString(h); err != nil || len(h) != 64 {
			t.Fatalf("Hash(%q) = %q, want 64 hex digits", s, h)
		}
		if !WellFormed(s) {
			return
		}
		if len(s) != 22 {
			t.Fatalf("WellFormed(%q) with %d bytes", s, len(s))
		}
		for _, r := range s {
			if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				t.Fatalf("WellFormed(%q) accepts %q", s, r)
			}
		}
		if b, err := base64.RawURLEncoding.DecodeString(s); err != nil || len(b) != 16 {
			t.Fatalf("WellFormed(%q) but it decodes to %d bytes (%v)", s, len(b), err)
		}
	})
}
