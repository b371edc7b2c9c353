package password

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name         string
		pw, confirm  string
		identifier   string
		wantMismatch bool
		want         []Rule // nil: the password passes
	}{
		{name: "strong", pw: "Tr0ub4dour&x", identifier: "pierre.durand_1"},
		{name: "exactly 8 with every class", pw: "Ab3$efgh", identifier: "x"},
		{name: "mismatch comes first", pw: "short", confirm: "other", wantMismatch: true},
		{name: "mismatch on a valid password", pw: "Tr0ub4dour&x", confirm: "Tr0ub4dour&y", wantMismatch: true},
		{name: "too short", pw: "Ab3$efg", want: []Rule{TooShort}},
		{name: "empty", pw: "", want: []Rule{TooShort, NeedsUpper, NeedsDigit, NeedsSpecial}},
		{name: "no upper", pw: "ab3$efghij", want: []Rule{NeedsUpper}},
		{name: "no digit", pw: "Abc$efghij", want: []Rule{NeedsDigit}},
		{name: "no special", pw: "Abc3efghij", want: []Rule{NeedsSpecial}},
		{name: "14 letters only", pw: "abcdefghijklmn", want: []Rule{NeedsUpper, NeedsDigit, NeedsSpecial}},
		{name: "passphrase of 15 letters", pw: "abcdefghijklmno"},
		{name: "passphrase with spaces", pw: "cheval agrafe pile"},
		{name: "space counts as special", pw: "Abc3 efgh"},
		{name: "256 characters", pw: strings.Repeat("a", 255) + "b"},
		{name: "257 characters", pw: strings.Repeat("a", 256) + "b", want: []Rule{TooLong}},
		{name: "unicode counted in code points", pw: "Éé3€ééé", want: []Rule{TooShort}},
		{name: "unicode upper and special", pw: "Ééé3€ééé"},
		{name: "unicode passphrase of 15 code points", pw: strings.Repeat("é", 15)},
		{name: "unicode 14 code points", pw: strings.Repeat("é", 14), want: []Rule{NeedsUpper, NeedsDigit, NeedsSpecial}},
		{name: "non-latin digit counts", pw: "Abcdef٣!"},
		{name: "common password", pw: "Password1!", want: []Rule{Common}},
		{name: "common French password", pw: "Azerty123!", want: []Rule{Common}},
		{name: "common passphrase", pw: "passwordpassword", want: []Rule{Common}},
		{name: "common and short", pw: "azerty", want: []Rule{TooShort, NeedsUpper, NeedsDigit, NeedsSpecial}},
		{name: "contains identifier", pw: "Xpierre.durand_1!", identifier: "pierre.durand_1", want: []Rule{ContainsIdentifier}},
		{name: "contains identifier, other case", pw: "PIERRE.DURAND_1!x", identifier: "Pierre.Durand_1", want: []Rule{ContainsIdentifier}},
		{name: "contains e-mail", pw: "a1!PIERRE@ACME.FR", identifier: "pierre@acme.fr", want: []Rule{ContainsIdentifier}},
		{name: "contains e-mail local part", pw: "Pierre#2024x", identifier: "pierre@acme.fr", want: []Rule{ContainsIdentifier}},
		{name: "short local part ignored", pw: "Jo#2024xyz", identifier: "jo@acme.fr"},
		{name: "three-letter local part counts", pw: "Ann#2024xyz", identifier: "ann@acme.fr", want: []Rule{ContainsIdentifier}},
		{name: "several rules", pw: "pierre1", identifier: "pierre@acme.fr", want: []Rule{TooShort, NeedsUpper, NeedsSpecial, ContainsIdentifier}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			confirm := tt.confirm
			if confirm == "" && !tt.wantMismatch {
				confirm = tt.pw
			}
			err := Check(tt.pw, confirm, tt.identifier)
			if tt.wantMismatch {
				if !errors.Is(err, ErrMismatch) {
					t.Fatalf("got %v, want ErrMismatch", err)
				}
				return
			}
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrPolicy) {
				t.Fatalf("got %v, want ErrPolicy", err)
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("got %T, want *PolicyError", err)
			}
			if !slices.Equal(pe.Rules, tt.want) {
				t.Errorf("got rules %v, want %v", pe.Rules, tt.want)
			}
			for _, r := range tt.want {
				if !pe.Has(r) {
					t.Errorf("Has(%s) = false, want true", r)
				}
				if !strings.Contains(err.Error(), string(r)) {
					t.Errorf("got message %q, want it to name %s", err.Error(), r)
				}
			}
		})
	}
}

func TestCommonList(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(commonText, "\n"), "\n")
	if len(lines) < 1000 {
		t.Fatalf("got %d common passwords, want at least 1000", len(lines))
	}
	for i, l := range lines {
		if l != strings.ToLower(strings.TrimSpace(l)) || l == "" {
			t.Errorf("line %d %q: want a lower-case, trimmed entry", i+1, l)
		}
		if n := utf8.RuneCountInString(l); n < MinLength {
			t.Errorf("line %d %q: %d characters, want at least %d", i+1, l, n, MinLength)
		}
		if i > 0 && lines[i-1] >= l {
			t.Errorf("line %d %q: not sorted or duplicated after %q", i+1, l, lines[i-1])
		}
	}
	for _, pw := range []string{"12345678", "password", "azertyuiop", "motdepasse", "soleil123", "password1!"} {
		if !isCommon(pw) {
			t.Errorf("isCommon(%q) = false, want true", pw)
		}
	}
	if isCommon("Tr0ub4dour&x") || isCommon("tr0ub4dour&x") {
		t.Errorf("isCommon(tr0ub4dour&x) = true, want false")
	}
}
