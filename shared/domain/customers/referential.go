package customers

import (
	"bytes"
	"fmt"
	"io"
	"net/mail"
	"strings"
)

// Columns of the referential, matched by header name case-insensitively.
var columns = []string{"customer_number", "company_name", "siren", "email", "notification", "delivery", "language"}

// Row is one valid referential line.
type Row struct {
	Line     int
	Customer Customer
}

// RowError is one refused line, for the report.
type RowError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// Parsed is the outcome of reading a referential file.
type Parsed struct {
	Rows   []Row
	Errors []RowError
}

// Customer numbers and SIRENs are checked by loops, not regexps: every function links
// this package, and compiling the patterns at each cold start cost more than all the
// checks a container makes (docs/BENCHMARKS.md, R9).

// ValidNumber reports whether s can be a customer number: a letter or digit followed by
// at most 39 letters, digits, '.', '_' or '-' (ASCII). Ingestion checks billing's
// customer-number metadata against the same rule.
func ValidNumber(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return true
}

// validSIREN reports whether s is 9 ASCII digits.
func validSIREN(s string) bool {
	if len(s) != 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseCSV reads a whole referential with a header row, `,` or `;` separated, with or
// without BOM. A file-level problem (no header, no customer_number column) is an error;
// line problems are reported in Parsed.Errors.
func ParseCSV(data []byte) (Parsed, error) { return parseAll(FormatCSV, data) }

// ParseJSONL reads one JSON object per line with the CSV's column names as keys.
func ParseJSONL(data []byte) (Parsed, error) { return parseAll(FormatJSONL, data) }

func parseAll(format string, data []byte) (Parsed, error) {
	r, err := NewReader(format, bytes.NewReader(data), Position{})
	if err != nil {
		return Parsed{}, err
	}
	var p Parsed
	for {
		row, errs, err := r.Next()
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return p, err
		}
		p.Errors = append(p.Errors, errs...)
		if row.Line > 0 {
			p.Rows = append(p.Rows, row)
		}
	}
}

// rowCustomer applies the blank-means-default rules of PRODUCT.md §3.
func rowCustomer(f map[string]string) (Customer, string) {
	v := func(k string) string { return strings.TrimSpace(f[k]) }
	c := Customer{
		Number:       v("customer_number"),
		CompanyName:  v("company_name"),
		SIREN:        strings.ReplaceAll(v("siren"), " ", ""),
		Email:        strings.ToLower(v("email")),
		Notification: strings.ToLower(v("notification")),
		Delivery:     strings.ToLower(v("delivery")),
		Language:     strings.ToLower(v("language")),
	}
	var problems []string
	if c.Number == "" {
		return c, "customer_number is blank"
	}
	if !ValidNumber(c.Number) {
		problems = append(problems, fmt.Sprintf("customer_number %q: letters, digits, '.', '_' or '-', at most 40", c.Number))
	}
	if c.SIREN != "" && !validSIREN(c.SIREN) {
		problems = append(problems, fmt.Sprintf("siren %q: want 9 digits", c.SIREN))
	}
	if c.Email != "" {
		if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email {
			problems = append(problems, fmt.Sprintf("email %q is not an e-mail address", c.Email))
		}
	}
	switch c.Notification {
	case "":
		c.Notification = NotifyNone
	case NotifyNone, NotifyAttachment, NotifyLink, NotifyDigest:
	default:
		problems = append(problems, fmt.Sprintf("notification %q: want none, attachment, link or digest", c.Notification))
	}
	switch c.Delivery {
	case "":
		c.Delivery = DeliveryElectronic
	case DeliveryElectronic, DeliveryPaper:
	default:
		problems = append(problems, fmt.Sprintf("delivery %q: want electronic or paper", c.Delivery))
	}
	switch c.Language {
	case "":
		c.Language = "fr"
	case "fr", "en":
	default:
		problems = append(problems, fmt.Sprintf("language %q: want fr or en", c.Language))
	}
	return c, strings.Join(problems, "; ")
}
