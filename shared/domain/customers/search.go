package customers

import (
	"strings"
	"unicode"
)

// Search keys of a customer (PRODUCT.md §11): the supplier's staff find a customer by
// number prefix, company-name prefix, SIREN or e-mail among a million, each through an
// index keyed by these values, never by reading every customer.

// NumberKey is the number as the number index sorts it: upper-cased, so a prefix typed
// in any case matches, then the number itself, which keys the customer.
func NumberKey(number string) string { return strings.ToUpper(number) + "#" + number }

// NumberPrefix is the number index prefix for what was typed.
func NumberPrefix(q string) string { return strings.ToUpper(strings.TrimSpace(q)) }

// NameKey is the company name as the name index sorts it: folded, then the number. ""
// for a customer without a name, which the index then leaves out.
func NameKey(name, number string) string {
	f := Fold(name)
	if f == "" {
		return ""
	}
	return f + "#" + number
}

// NumberOfKey returns the customer number ending a NumberKey or NameKey.
func NumberOfKey(k string) string {
	i := strings.LastIndexByte(k, '#')
	return k[i+1:]
}

// folds are the accented letters of French and its neighbours, by base letter.
var folds = map[rune]rune{
	'à': 'a', 'â': 'a', 'ä': 'a', 'á': 'a', 'ã': 'a', 'å': 'a', 'ç': 'c', 'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e',
	'î': 'i', 'ï': 'i', 'í': 'i', 'ì': 'i', 'ô': 'o', 'ö': 'o', 'ó': 'o', 'ò': 'o', 'õ': 'o', 'ù': 'u', 'û': 'u',
	'ü': 'u', 'ú': 'u', 'ÿ': 'y', 'ñ': 'n',
}

// Fold lower-cases s, drops accents, keeps letters and digits and turns every run of
// anything else into one space, so "Société  Générale" and "societe-generale" both
// fold to "societe generale".
func Fold(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if f, ok := folds[r]; ok {
			r = f
		}
		switch {
		case r == 'œ':
			b.WriteString("oe")
		case r == 'æ':
			b.WriteString("ae")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteRune(r)
		default:
			space = true
			continue
		}
		space = false
	}
	return b.String()
}

// SIRENOf returns q as a SIREN (nine digits, spaces allowed as typed), or "".
func SIRENOf(q string) string {
	d := strings.ReplaceAll(strings.TrimSpace(q), " ", "")
	if len(d) != 9 {
		return ""
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return ""
		}
	}
	return d
}
