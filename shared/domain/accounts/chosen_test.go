package accounts

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// ValidChosenIdentifier accepts exactly what the pattern it replaced accepted.
func TestValidChosenIdentifierAsPattern(t *testing.T) {
	pattern := regexp.MustCompile(`^[a-z0-9._-]{3,64}$`)
	cases := []string{"", "ab", "abc", "A.B-c_9", "ab c", "abé", "ÉCOLE", strings.Repeat("a", 64), strings.Repeat("a", 65), "ab\n"}
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("aZ9._-@ \xc3\x89")
	for i := 0; i < 5000; i++ {
		b := make([]byte, rng.IntN(70))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, id := range cases {
		if got, want := ValidChosenIdentifier(id), pattern.MatchString(strings.ToLower(id)); got != want {
			t.Errorf("ValidChosenIdentifier(%q): got %v, want %v", id, got, want)
		}
	}
}
