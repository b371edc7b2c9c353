package tokens

import "testing"

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		tok, h := New()
		if !WellFormed(tok) {
			t.Fatalf("token %q not well formed", tok)
		}
		if h != Hash(tok) || len(h) != 64 {
			t.Fatalf("hash %q does not match token", h)
		}
		if seen[tok] {
			t.Fatal("duplicate token")
		}
		seen[tok] = true
	}
	for _, bad := range []string{"", "short", "!!!!!!!!!!!!!!!!!!!!!!", "aaaaaaaaaaaaaaaaaaaaaaa"} {
		if WellFormed(bad) {
			t.Errorf("WellFormed(%q): got true", bad)
		}
	}
}
