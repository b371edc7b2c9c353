package documents

import (
	"math/big"
	"mime"
	"strings"
	"time"
	"unicode"

	"github.com/efacture/efacture/shared/domain/customers"
)

// Metadata keys billing sets on each PDF (S3 user metadata, lower-case).
const (
	MetaCustomer  = "customer-number"
	MetaNumber    = "document-number"
	MetaType      = "document-type"
	MetaIssueDate = "issue-date"
	MetaAmount    = "amount"
	MetaCurrency  = "currency"
	MetaCopy      = "copy"
)

// Fields is what billing said about a document, normalised.
type Fields struct {
	CustomerNumber string
	Number         string
	Type           string
	IssueDate      string
	Amount         string
	Currency       string
	Copy           bool
}

var wordDecoder = mime.WordDecoder{}

// Validators are plain loops, not regular expressions: the Unicode-class pattern for
// numbers alone cost 6 ms and 2.5 MB at every cold start of every function.

// validNumber: a letter or digit, then up to 63 letters, digits, spaces or . _ / -.
func validNumber(s string) bool {
	n := 0
	for i, r := range s {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r)
		if i > 0 {
			ok = ok || strings.ContainsRune(" ._/-", r)
		}
		if !ok {
			return false
		}
		n++
	}
	return n >= 1 && n <= 64
}

func validCurrency(s string) bool {
	return len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z'
}

// validDecimal: an optional minus, digits, then optionally a dot and digits.
func validDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(s, ".")
	digits := func(x string) bool {
		for i := 0; i < len(x); i++ {
			if x[i] < '0' || x[i] > '9' {
				return false
			}
		}
		return x != ""
	}
	return digits(intPart) && (!hasDot || digits(frac))
}

// Embedded is a field's value in the PDF's embedded Factur-X XML and the XML's name for
// it (BT-1, …). It stands in for a metadata key billing left out (PRODUCT.md §3).
type Embedded struct{ Value, Term string }

// ParseMetadata normalises the S3 user metadata of a plain PDF (RFC 2047 words decoded)
// into Fields. It reports a missing_field rejection listing every required field absent,
// or a bad_value one listing every field that does not parse.
func ParseMetadata(meta map[string]string) (Fields, error) {
	return ParseMetadataWith(meta, nil)
}

// ParseMetadataWith is ParseMetadata for a PDF that carries XML: a metadata key that is
// absent or empty takes its value from xml, keyed by metadata key, and a bad value taken
// from there is reported under its XML name. The customer number always comes from the
// metadata.
func ParseMetadataWith(meta map[string]string, xml map[string]Embedded) (Fields, error) {
	terms := map[string]string{} // metadata key → XML term, for values taken from xml
	get := func(k string) string {
		for mk, v := range meta {
			if strings.EqualFold(mk, k) {
				if dec, err := wordDecoder.DecodeHeader(v); err == nil {
					v = dec
				}
				if v = strings.TrimSpace(v); v != "" {
					return v
				}
			}
		}
		if e, ok := xml[k]; ok && k != MetaCustomer && strings.TrimSpace(e.Value) != "" {
			terms[k] = e.Term
			return strings.TrimSpace(e.Value)
		}
		return ""
	}
	name := func(k string) string {
		if t, ok := terms[k]; ok {
			return t
		}
		return k
	}
	f := Fields{
		CustomerNumber: get(MetaCustomer),
		Number:         get(MetaNumber),
		IssueDate:      get(MetaIssueDate),
		Currency:       strings.ToUpper(get(MetaCurrency)),
	}
	docType, amount := get(MetaType), get(MetaAmount)
	var missing []string
	for _, r := range []struct{ key, val string }{
		{MetaCustomer, f.CustomerNumber}, {MetaNumber, f.Number},
		{MetaType, docType}, {MetaIssueDate, f.IssueDate},
	} {
		if r.val == "" {
			missing = append(missing, r.key)
		}
	}
	if len(missing) > 0 {
		if xml != nil {
			return f, Reject(CodeMissingField, missing,
				"required field missing from both the S3 metadata and the embedded Factur-X XML: %s; set it as S3 user metadata (x-amz-meta-…)",
				"champ obligatoire absent des métadonnées S3 comme du XML Factur-X joint : %s ; renseignez-le en métadonnées S3 (x-amz-meta-…)",
				strings.Join(missing, ", "))
		}
		return f, Reject(CodeMissingField, missing,
			"required metadata missing: %s; set it as S3 user metadata (x-amz-meta-…)",
			"métadonnées obligatoires absentes : %s ; renseignez-les en métadonnées S3 (x-amz-meta-…)",
			strings.Join(missing, ", "))
	}
	var bad []string
	if !customers.ValidNumber(f.CustomerNumber) {
		bad = append(bad, MetaCustomer)
	}
	if !validNumber(f.Number) {
		bad = append(bad, name(MetaNumber))
	}
	var ok bool
	if f.Type, ok = NormalizeType(docType); !ok {
		bad = append(bad, name(MetaType))
	}
	if _, err := time.Parse(time.DateOnly, f.IssueDate); err != nil {
		bad = append(bad, name(MetaIssueDate))
	}
	if amount != "" {
		if f.Amount, ok = NormalizeAmount(amount); !ok {
			bad = append(bad, name(MetaAmount))
		}
	}
	if f.Currency != "" && !validCurrency(f.Currency) {
		bad = append(bad, name(MetaCurrency))
	}
	switch strings.ToLower(get(MetaCopy)) {
	case "", "false", "no", "0":
	case "true", "yes", "1":
		f.Copy = true
	default:
		bad = append(bad, MetaCopy)
	}
	if len(bad) > 0 {
		en, fr := "", ""
		if len(terms) > 0 {
			en, fr = "; a BT-… name is the value of the embedded Factur-X XML", " ; un nom BT-… désigne la valeur du XML Factur-X joint"
		}
		return f, Reject(CodeBadValue, bad,
			"metadata value not understood: %s (document-type: invoice, credit_note, 380 or 381; issue-date: YYYY-MM-DD; amount: 1234.56; currency: ISO 4217 code; copy: true or false"+en+")",
			"valeur de métadonnée non reconnue : %s (document-type : invoice, credit_note, 380 ou 381 ; issue-date : AAAA-MM-JJ ; amount : 1234.56 ; currency : code ISO 4217 ; copy : true ou false"+fr+")",
			strings.Join(bad, ", "))
	}
	return f, nil
}

// NormalizeType maps billing's and Factur-X's type codes onto invoice / credit_note.
func NormalizeType(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "invoice", "380":
		return Invoice, true
	case "credit_note", "creditnote", "381":
		return CreditNote, true
	}
	return "", false
}

// NormalizeAmount accepts "1234.56", "1 234,56", "1.234,56", "-12,5" and returns the
// canonical form with at least two decimals ("1234.56", "-12.50").
func NormalizeAmount(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '\'':
			return -1
		}
		return r
	}, s)
	if s == "" {
		return "", false
	}
	lastComma, lastDot := strings.LastIndex(s, ","), strings.LastIndex(s, ".")
	switch {
	case lastComma >= 0 && lastDot >= 0:
		// The later separator is the decimal one; the other groups thousands.
		if lastComma > lastDot {
			s = strings.ReplaceAll(s, ".", "")
			s = strings.Replace(s, ",", ".", 1)
		} else {
			s = strings.ReplaceAll(s, ",", "")
		}
	case lastComma >= 0:
		if strings.Count(s, ",") > 1 {
			return "", false
		}
		s = strings.Replace(s, ",", ".", 1)
	}
	if strings.Count(s, ".") > 1 {
		return "", false
	}
	if !validDecimal(s) {
		return "", false
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return "", false
	}
	decimals := 2
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 2 {
		decimals = len(s) - i - 1
	}
	out := r.FloatString(decimals)
	// Trailing zeros beyond two decimals carry no information.
	for decimals > 2 && strings.HasSuffix(out, "0") {
		out = out[:len(out)-1]
		decimals--
	}
	return out, true
}

// SameAmount compares two amounts numerically.
func SameAmount(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}
