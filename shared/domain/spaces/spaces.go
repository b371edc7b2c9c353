// Package spaces holds a supplier's space: its settings, their defaults and the JSON file
// ops edit to configure them (docs/SPACES.md).
package spaces

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"
	_ "time/tzdata" // Lambda images need not carry a zone database.
)

// Defaults of PRODUCT.md §2 and §3, applied to every field a space file leaves out.
const (
	DefaultTimeZone            = "Europe/Paris"
	DefaultDigestHour          = 18
	DefaultRetentionMonths     = 24
	DefaultLinkLifetimeDays    = 14
	DefaultMaxDocumentBytes    = 20 << 20
	DefaultAttachmentThreshold = 10 << 20
	DefaultProfile             = "Aucun"
	// MaxDocumentBytesCap bounds what ingestion ever reads into memory.
	MaxDocumentBytesCap = 64 << 20
)

// Brand is what the portal and mails show of a supplier.
type Brand struct {
	Color   string `json:"color"`
	LogoURL string `json:"logoUrl,omitempty"`
}

// Space is one supplier's independent area. Every field is set once Normalize has run.
type Space struct {
	ID                    string   `json:"id"`
	Name                  string   `json:"name"`
	SenderName            string   `json:"senderName"`
	ReplyTo               string   `json:"replyTo,omitempty"`
	Brand                 Brand    `json:"brand"`
	TimeZone              string   `json:"timeZone"`
	DigestHour            *int     `json:"digestHour,omitempty"`
	RetentionMonths       int      `json:"retentionMonths"`
	LinkLifetimeDays      int      `json:"linkLifetimeDays"`
	Since                 string   `json:"since"`
	MaxDocumentBytes      int64    `json:"maxDocumentBytes"`
	AttachmentThreshold   int64    `json:"attachmentThresholdBytes"`
	Profiles              []string `json:"profiles"`
	RevealUnknownAccounts bool     `json:"revealUnknownAccounts"`
	// BillingPrincipals are the IAM roles (or users) allowed to drop files for the
	// space; none keeps the space open to any principal that can write to the inbox.
	BillingPrincipals []string `json:"billingPrincipals,omitempty"`
	// BillingPrincipalIDs are their IAM unique ids, which S3 events carry instead of
	// ARNs; the spaces command resolves them, the file never holds them.
	BillingPrincipalIDs []string `json:"billingPrincipalIds,omitempty"`

	loc *time.Location
}

// File is the document ops edit: every space of a deployment.
type File struct {
	Spaces []Space `json:"spaces"`
}

// ValidID reports whether id is a space id: 3 to 32 of a-z, 0-9 and "-", neither first
// nor last a "-".
func ValidID(id string) bool {
	if len(id) < 3 || len(id) > 32 || id[0] == '-' || id[len(id)-1] == '-' {
		return false
	}
	return allBytes(id, func(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c == '-' })
}

// validColor: #rrggbb.
func validColor(c string) bool {
	return len(c) == 7 && c[0] == '#' && allBytes(c[1:], func(b byte) bool { return isDigit(b) || b >= 'a' && b <= 'f' || b >= 'A' && b <= 'F' })
}

// Parse reads a spaces file, applying defaults and reporting every invalid setting.
func Parse(r io.Reader) (File, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return File{}, fmt.Errorf("spaces file: %w", err)
	}
	seen := map[string]bool{}
	var errs []error
	for i := range f.Spaces {
		if len(f.Spaces[i].BillingPrincipalIDs) > 0 {
			errs = append(errs, fmt.Errorf("spaces[%d]: billingPrincipalIds is filled by the spaces command from billingPrincipals; leave it out", i))
		}
		if err := f.Spaces[i].Normalize(); err != nil {
			errs = append(errs, fmt.Errorf("spaces[%d]: %w", i, err))
			continue
		}
		if seen[f.Spaces[i].ID] {
			errs = append(errs, fmt.Errorf("spaces[%d]: duplicate id %q", i, f.Spaces[i].ID))
		}
		seen[f.Spaces[i].ID] = true
	}
	if len(f.Spaces) == 0 {
		errs = append(errs, errors.New("spaces file: no space"))
	}
	if err := checkSharedPrincipals(f); err != nil {
		errs = append(errs, err)
	}
	return f, errors.Join(errs...)
}

// Normalize applies defaults and validates the settings.
func (s *Space) Normalize() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if !ValidID(s.ID) {
		bad("id %q: 3–32 characters of a-z, 0-9 and -", s.ID)
	}
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		bad("name is required")
	}
	if s.SenderName = strings.TrimSpace(s.SenderName); s.SenderName == "" {
		s.SenderName = s.Name
	}
	if s.ReplyTo != "" {
		if _, err := mail.ParseAddress(s.ReplyTo); err != nil {
			bad("replyTo %q is not an e-mail address", s.ReplyTo)
		}
	}
	if s.Brand.Color == "" {
		s.Brand.Color = "#1f4e79"
	} else if !validColor(s.Brand.Color) {
		bad("brand.color %q: want #rrggbb", s.Brand.Color)
	}
	if s.Brand.LogoURL != "" && !strings.HasPrefix(s.Brand.LogoURL, "/") {
		// A third-party origin would break the portal's CSP; logos are served with the site.
		bad("brand.logoUrl %q: must be a path on the portal origin", s.Brand.LogoURL)
	}
	if s.TimeZone == "" {
		s.TimeZone = DefaultTimeZone
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		bad("timeZone %q: %v", s.TimeZone, err)
	}
	s.loc = loc
	if s.DigestHour == nil {
		h := DefaultDigestHour
		s.DigestHour = &h
	} else if *s.DigestHour < 0 || *s.DigestHour > 23 {
		bad("digestHour %d: want 0–23", *s.DigestHour)
	}
	if s.RetentionMonths == 0 {
		s.RetentionMonths = DefaultRetentionMonths
	} else if s.RetentionMonths < 1 || s.RetentionMonths > 120 {
		bad("retentionMonths %d: want 1–120", s.RetentionMonths)
	}
	if s.LinkLifetimeDays == 0 {
		s.LinkLifetimeDays = DefaultLinkLifetimeDays
	} else if s.LinkLifetimeDays < 1 || s.LinkLifetimeDays > 90 {
		bad("linkLifetimeDays %d: want 1–90", s.LinkLifetimeDays)
	}
	if _, err := time.Parse(time.DateOnly, s.Since); err != nil {
		bad("since %q: want YYYY-MM-DD", s.Since)
	}
	if s.MaxDocumentBytes == 0 {
		s.MaxDocumentBytes = DefaultMaxDocumentBytes
	} else if s.MaxDocumentBytes < 1024 || s.MaxDocumentBytes > MaxDocumentBytesCap {
		bad("maxDocumentBytes %d: want 1024 to %d", s.MaxDocumentBytes, int64(MaxDocumentBytesCap))
	}
	if s.AttachmentThreshold == 0 {
		s.AttachmentThreshold = DefaultAttachmentThreshold
	} else if s.AttachmentThreshold < 0 {
		bad("attachmentThresholdBytes %d: want a positive size", s.AttachmentThreshold)
	}
	if len(s.Profiles) == 0 {
		s.Profiles = []string{DefaultProfile}
	}
	for _, p := range s.Profiles {
		if strings.TrimSpace(p) == "" {
			bad("profiles: empty label")
		}
	}
	s.checkPrincipals(bad)
	return errors.Join(errs...)
}

// Location is the space's time zone; every calendar rule of the space uses it.
func (s *Space) Location() *time.Location {
	if s.loc == nil {
		if loc, err := time.LoadLocation(s.TimeZone); err == nil {
			s.loc = loc
		} else {
			s.loc = time.UTC
		}
	}
	return s.loc
}

// Today is the space's calendar date at instant now.
func (s *Space) Today(now time.Time) string {
	return now.In(s.Location()).Format(time.DateOnly)
}

// Hour is the digest hour, defaulted.
func (s *Space) Hour() int {
	if s.DigestHour == nil {
		return DefaultDigestHour
	}
	return *s.DigestHour
}

// SinceDate is the go-live date as a time at midnight in the space's zone.
func (s *Space) SinceDate() time.Time {
	t, _ := time.ParseInLocation(time.DateOnly, s.Since, s.Location())
	return t
}

// ExpiresAt is the end of the issue date's day plus the retention, in the space's zone:
// a document issued 2024-03-15 with 24 months stays until 2026-03-15 23:59:59 local time.
func (s *Space) ExpiresAt(issueDate string) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, issueDate, s.Location())
	if err != nil {
		return time.Time{}, err
	}
	end := AddMonthsClamped(d, s.RetentionMonths).AddDate(0, 0, 1)
	return end.Add(-time.Second).UTC(), nil
}

// AddMonthsClamped adds months without Go's overflow into the next month:
// 31 August + 6 months is 28 or 29 February, not 3 March.
func AddMonthsClamped(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return time.Date(first.Year(), first.Month(), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}
