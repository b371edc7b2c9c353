package mail

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Non-breaking spaces keep "1 234,56 €" on one line, as French typography wants.
const (
	nbsp       = "\u00a0" // before a currency sign
	narrowNbsp = "\u202f" // between digit groups
)

var monthsEN = [...]string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

// formatDate writes a calendar date: 02/12/2022 in French, 2 December 2022 in English.
func formatDate(l Lang, t time.Time) string {
	y, m, d := t.Date()
	if l == English {
		return fmt.Sprintf("%d %s %d", d, monthsEN[m-1], y)
	}
	return fmt.Sprintf("%02d/%02d/%d", d, int(m), y)
}

// formatDateTime writes an instant in loc with its zone abbreviation.
func formatDateTime(l Lang, t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if l == English {
		return formatDate(l, t) + " at " + t.Format("15:04 (MST)")
	}
	return formatDate(l, t) + " à " + t.Format("15:04 (MST)")
}

// formatIssueDate formats a YYYY-MM-DD date.
func formatIssueDate(l Lang, s string) (string, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return "", invalid("issue date %q: want YYYY-MM-DD", s)
	}
	return formatDate(l, t), nil
}

// typeLabel names a document type in running text.
func typeLabel(l Lang, typ string) (string, error) {
	labels := map[string][2]string{"invoice": {"facture", "invoice"}, "credit_note": {"avoir", "credit note"}}
	pair, ok := labels[typ]
	if !ok {
		return "", invalid("document type %q: want invoice or credit_note", typ)
	}
	if l == English {
		return pair[1], nil
	}
	return pair[0], nil
}

var currencySigns = map[string]string{"EUR": "€", "USD": "$", "GBP": "£"}

// formatAmount writes a decimal string such as "-1234.5" as "-1 234,50 €" in French and
// "-€1,234.50" in English. Currencies without a sign here keep their ISO code
// ("1 234,56 CHF", "CHF 1,234.56"); an empty currency writes the number alone.
func formatAmount(l Lang, amount, currency string) (string, error) {
	digits, neg := strings.CutPrefix(amount, "-")
	whole, frac, _ := strings.Cut(digits, ".")
	if !allDigits(whole) || (frac != "" && !allDigits(frac)) || (strings.Contains(digits, ".") && frac == "") {
		return "", invalid("amount %q: want a decimal such as 1234.56", amount)
	}
	currency = strings.ToUpper(currency)
	if currency != "" && (len(currency) != 3 || strings.Trim(currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "") {
		return "", invalid("currency %q: want an ISO 4217 code", currency)
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	for len(frac) < 2 {
		frac += "0"
	}
	group, point := narrowNbsp, ","
	if l == English {
		group, point = ",", "."
	}
	number := groupThousands(whole, group) + point + frac
	sign := ""
	if neg {
		sign = "-"
	}
	symbol, hasSign := currencySigns[currency]
	switch {
	case currency == "":
		return sign + number, nil
	case l == English && hasSign:
		return sign + symbol + number, nil
	case l == English:
		return sign + currency + nbsp + number, nil
	case hasSign:
		return sign + number + nbsp + symbol, nil
	default:
		return sign + number + nbsp + currency, nil
	}
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func groupThousands(s, sep string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// formatDays writes "7 jours" or "1 day".
func formatDays(l Lang, n int) string {
	if l == English {
		return plural(n, "day", "days")
	}
	return plural(n, "jour", "jours")
}

// formatMinutes writes whole hours as hours ("1 heure", "2 hours"), else minutes.
func formatMinutes(l Lang, n int) string {
	if n%60 == 0 {
		if l == English {
			return plural(n/60, "hour", "hours")
		}
		return plural(n/60, "heure", "heures")
	}
	return plural(n, "minute", "minutes") // the same word in both languages
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// textOn picks black or white text for a background colour #rrggbb, whichever reaches the
// WCAG contrast of 4.5:1 (white is preferred when both do).
func textOn(hex string) string {
	lum := func(c uint64) float64 {
		v := float64(c) / 255
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	n, _ := strconv.ParseUint(strings.TrimPrefix(hex, "#"), 16, 32)
	l := 0.2126*lum(n>>16&0xff) + 0.7152*lum(n>>8&0xff) + 0.0722*lum(n&0xff)
	if 1.05/(l+0.05) >= 4.5 {
		return "#ffffff"
	}
	return "#000000"
}

// formatMonths writes "24 mois" or "24 months".
func formatMonths(l Lang, n int) string {
	if l == English {
		return plural(n, "month", "months")
	}
	return plural(n, "mois", "mois")
}
