package spaces

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// The regexps the hand-written checks stand for; they are compiled here only.
var shapes = []struct {
	name  string
	re    *regexp.Regexp
	check func(string) bool
	seeds []string
}{
	{"principal ARN", regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(role|user)(/[\x21-\x7e]*)?/[A-Za-z0-9+=,.@_-]{1,64}$`), validPrincipalARN, []string{
		"arn:aws:iam::123456789012:role/billing", "arn:aws:iam::123456789012:role/path/to/billing-acme",
		"arn:aws-us-gov:iam::123456789012:user/x", "arn:aws-cn-x:iam::123456789012:role//a", "arn:aws:iam::123456789012:role/",
		"arn:aws-:iam::123456789012:role/a", "arn:aws:iam::12345678901:role/a", "arn:aws:iam::123456789012:group/a",
		"arn:aws:iam::123456789012:role/a b", "arn:aws:iam::123456789012:role/p é/a", "arn:aws:sts::123456789012:role/a",
	}},
	{"unique id", regexp.MustCompile(`^(AROA|AIDA)[A-Z0-9]{4,124}$`), validUniqueID, []string{
		"AROA1234", "AIDAABCDEFGH", "AROA123", "AROAabcd", "ASIA12345", "AROA" + string(make([]byte, 0)),
	}},
	{"session name", regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{2,64}$`), validSessionName, []string{"ab", "a", "billing@acme", "a b", "x/y"}},
	{"space id", regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$`), ValidID, []string{"acme", "ab", "a-b", "-ab", "ab-", "Acme", "a--b"}},
	{"colour", regexp.MustCompile(`^#[0-9a-fA-F]{6}$`), validColor, []string{"#00aaFF", "#00aaF", "00aaFF0", "#00aaFG"}},
}

// TestShapesEqualTheirRegexps: each check accepts exactly what its regexp does, on the
// seeds, on every one-byte change of them, and on random strings over the bytes that
// matter, at lengths around each bound.
func TestShapesEqualTheirRegexps(t *testing.T) {
	alphabet := []byte("arnws:-im0123456789ABZOIDAzroleuser/+=,.@_# é\x7f\x20fFgG")
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sh := range shapes {
		try := func(s string) {
			if got, want := sh.check(s), sh.re.MatchString(s); got != want {
				t.Errorf("%s %q: check %v, regexp %v", sh.name, s, got, want)
			}
		}
		for _, seed := range sh.seeds {
			try(seed)
			for i := 0; i <= len(seed); i++ {
				for _, c := range alphabet {
					try(seed[:i] + string(c) + seed[i:]) // insert
					if i < len(seed) {
						try(seed[:i] + string(c) + seed[i+1:]) // replace
						try(seed[:i] + seed[i+1:])             // delete
					}
				}
			}
			for _, n := range []int{1, 2, 3, 4, 30, 31, 32, 33, 63, 64, 65, 123, 124, 125} {
				b := make([]byte, n)
				for i := range b {
					b[i] = "A0a-"[rng.IntN(4)]
				}
				try(seed + string(b))
				try(string(b))
			}
		}
		for range 20000 {
			b := make([]byte, rng.IntN(40))
			for i := range b {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
			try(string(b))
			if len(sh.seeds) > 0 {
				try(sh.seeds[0][:rng.IntN(len(sh.seeds[0])+1)] + string(b))
			}
		}
	}
}
