package accounts

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/efacture/efacture/shared/domain/fault"
)

func TestWith(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	prev := t0.Add(-24 * time.Hour)
	a := Account{
		Identifier: "jean.dupont", FirstName: "Jean", Phone: "01", Active: true, SessionEpoch: 3,
		Failures: 4, LockedUntil: t0.Add(time.Minute), PasswordHash: "old", LastLoginAt: &prev,
	}
	name, empty, no := "Jean-Marc", "", false
	at := t0
	got := a.With(Update{
		Set:             Fields{FirstName: &name, Phone: &empty, Active: &no},
		PasswordHash:    "new",
		ResetFailures:   true,
		EndSessions:     true,
		LoginAt:         &at,
		PreviousLoginAt: &prev,
	})
	if got.FirstName != "Jean-Marc" || got.Phone != "" || got.Active || got.PasswordHash != "new" {
		t.Errorf("fields: got %+v", got)
	}
	if got.Failures != 0 || !got.LockedUntil.IsZero() || got.SessionEpoch != 4 {
		t.Errorf("lock and epoch: got failures %d lockedUntil %v epoch %d, want 0, zero, 4", got.Failures, got.LockedUntil, got.SessionEpoch)
	}
	if !got.LastLoginAt.Equal(t0) || !got.PreviousLoginAt.Equal(prev) {
		t.Errorf("logins: got %v and %v", got.LastLoginAt, got.PreviousLoginAt)
	}
	if a.FirstName != "Jean" || a.SessionEpoch != 3 {
		t.Error("With changed its receiver")
	}
	if same := a.With(Update{}); same.PasswordHash != "old" || same.SessionEpoch != 3 || same.Failures != 4 {
		t.Errorf("an empty update changed the account: %+v", same)
	}
}

func TestValidEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"pierre.durand@example.fr":              true,
		"p+tag@sub.example.fr":                  true,
		"":                                      false,
		"pierre":                                false,
		"pierre@":                               false,
		"Pierre <pierre@example.fr>":            false,
		"pierre@example.fr, x@y.fr":             false,
		" pierre@example.fr":                    false,
		"a@" + strings.Repeat("b", 250) + ".fr": false,
	} {
		if got := ValidEmail(s); got != want {
			t.Errorf("ValidEmail(%q): got %v, want %v", s, got, want)
		}
	}
	if got := NormalizeEmail("  Pierre.Durand@Example.FR "); got != "pierre.durand@example.fr" {
		t.Errorf("NormalizeEmail: got %q", got)
	}
}

func TestCheckFields(t *testing.T) {
	s := &Service{}
	profiles := []string{"Aucun", "Comptabilité"}
	str := func(v string) *string { return &v }
	tests := []struct {
		name    string
		in      Fields
		field   string // the invalid field, "" when valid
		profile string
	}{
		{"default profile", Fields{Profile: str(" ")}, "", "Aucun"},
		{"listed profile", Fields{Profile: str("Comptabilité")}, "", "Comptabilité"},
		{"unlisted profile", Fields{Profile: str("Direction")}, "profile", ""},
		{"control character", Fields{FirstName: str("Jean\x00")}, "firstName", ""},
		{"too long", Fields{LastName: str(strings.Repeat("é", 101))}, "lastName", ""},
		{"bad e-mail", Fields{Email: str("jean@")}, "email", ""},
		{"removed e-mail", Fields{Email: str("")}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.checkFields(profiles, tt.in)
			var inv *fault.Error
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tt.field != "" && (!errors.As(err, &inv) || inv.Field != tt.field || !errors.Is(err, fault.ErrInvalid)):
				t.Fatalf("got %v, want an invalid %s", err, tt.field)
			}
			if tt.profile != "" && (got.Profile == nil || *got.Profile != tt.profile) {
				t.Errorf("profile: got %v, want %q", got.Profile, tt.profile)
			}
		})
	}
}
