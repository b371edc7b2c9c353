package spaces

import (
	"strings"
	"testing"
	"time"
)

func TestParseDefaults(t *testing.T) {
	f, err := Parse(strings.NewReader(`{"spaces":[{"id":"acme","name":"Acme Finance","since":"2022-12-02"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	s := f.Spaces[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"timeZone", s.TimeZone, DefaultTimeZone},
		{"digestHour", s.Hour(), 18},
		{"retention", s.RetentionMonths, 24},
		{"linkDays", s.LinkLifetimeDays, 14},
		{"maxBytes", s.MaxDocumentBytes, int64(20 << 20)},
		{"threshold", s.AttachmentThreshold, int64(10 << 20)},
		{"profiles", strings.Join(s.Profiles, ","), "Aucun"},
		{"senderName", s.SenderName, "Acme Finance"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	cases := map[string]string{
		"bad id":        `{"spaces":[{"id":"A B","name":"x","since":"2022-12-02"}]}`,
		"no name":       `{"spaces":[{"id":"acme","since":"2022-12-02"}]}`,
		"bad zone":      `{"spaces":[{"id":"acme","name":"x","since":"2022-12-02","timeZone":"Mars/Olympus"}]}`,
		"bad hour":      `{"spaces":[{"id":"acme","name":"x","since":"2022-12-02","digestHour":24}]}`,
		"bad since":     `{"spaces":[{"id":"acme","name":"x","since":"02/12/2022"}]}`,
		"unknown field": `{"spaces":[{"id":"acme","name":"x","since":"2022-12-02","colour":"red"}]}`,
		"duplicate":     `{"spaces":[{"id":"acme","name":"x","since":"2022-12-02"},{"id":"acme","name":"y","since":"2022-12-02"}]}`,
		"foreign logo":  `{"spaces":[{"id":"acme","name":"x","since":"2022-12-02","brand":{"logoUrl":"https://evil.example/l.png"}}]}`,
		"empty":         `{"spaces":[]}`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(strings.NewReader(in)); err == nil {
				t.Errorf("got no error for %s", in)
			}
		})
	}
}

func TestDigestHourZeroIsKept(t *testing.T) {
	f, err := Parse(strings.NewReader(`{"spaces":[{"id":"acme","name":"x","since":"2022-12-02","digestHour":0}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Spaces[0].Hour(); got != 0 {
		t.Errorf("got hour %d, want 0", got)
	}
}

func TestExpiresAt(t *testing.T) {
	s := Space{ID: "acme", Name: "x", Since: "2022-12-02"}
	if err := s.Normalize(); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ issue, want string }{
		{"2024-03-15", "2026-03-15T22:59:59Z"}, // CET, UTC+1
		{"2024-07-01", "2026-07-01T21:59:59Z"}, // CEST, UTC+2
		{"2024-02-29", "2026-02-28T22:59:59Z"}, // clamped
	}
	for _, c := range cases {
		got, err := s.ExpiresAt(c.issue)
		if err != nil {
			t.Fatal(err)
		}
		if got.Format(time.RFC3339) != c.want {
			t.Errorf("ExpiresAt(%s): got %s, want %s", c.issue, got.Format(time.RFC3339), c.want)
		}
	}
}

func TestToday(t *testing.T) {
	s := Space{ID: "acme", Name: "x", Since: "2022-12-02"}
	_ = s.Normalize()
	// 23:30 UTC on 31 Dec is already 1 Jan in Paris.
	now := time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)
	if got := s.Today(now); got != "2026-01-01" {
		t.Errorf("got %s, want 2026-01-01", got)
	}
}
