package customers

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// The loops accept exactly what the patterns they replaced accepted.
var (
	numberPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._\-]{0,39}$`)
	sirenPattern  = regexp.MustCompile(`^[0-9]{9}$`)
)

func TestValidNumberAndSIREN(t *testing.T) {
	cases := []string{
		"", "C", "C001", "c-1.2_3", ".C1", "-C1", "_C1", "C 1", "C/1", "Cé1", "C1\n",
		"A123456789012345678901234567890123456789", "A1234567890123456789012345678901234567890",
		"123456789", "12345678", "1234567890", "12345678a", "١٢٣٤٥٦٧٨٩",
	}
	// Random strings over the edges of both alphabets.
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("aZ09._-/ \xc3\xa9#")
	for i := 0; i < 5000; i++ {
		b := make([]byte, rng.IntN(45))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		if got, want := ValidNumber(s), numberPattern.MatchString(s); got != want {
			t.Errorf("ValidNumber(%q): got %v, want %v", s, got, want)
		}
		if got, want := validSIREN(s), sirenPattern.MatchString(s); got != want {
			t.Errorf("validSIREN(%q): got %v, want %v", s, got, want)
		}
	}
}
