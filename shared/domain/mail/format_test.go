package mail

import (
	"errors"
	"testing"
	"time"
)

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		amount, currency string
		fr, en           string
	}{
		{"1234.56", "EUR", "1\u202f234,56\u00a0€", "€1,234.56"},
		{"1234567.8", "eur", "1\u202f234\u202f567,80\u00a0€", "€1,234,567.80"},
		{"0.5", "USD", "0,50\u00a0$", "$0.50"},
		{"12", "GBP", "12,00\u00a0£", "£12.00"},
		{"-99.90", "CHF", "-99,90\u00a0CHF", "-CHF\u00a099.90"},
		{"-1000", "EUR", "-1\u202f000,00\u00a0€", "-€1,000.00"},
		{"100", "JPY", "100,00\u00a0JPY", "JPY\u00a0100.00"},
		{"007.125", "", "7,125", "7.125"},
		{"999", "", "999,00", "999.00"},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			lang Lang
			want string
		}{{French, tt.fr}, {English, tt.en}} {
			got, err := formatAmount(c.lang, tt.amount, tt.currency)
			if err != nil || got != c.want {
				t.Errorf("formatAmount(%s, %q, %q) = %q, %v; want %q", c.lang, tt.amount, tt.currency, got, err, c.want)
			}
		}
	}
	for _, bad := range []string{"", "1 234,56", "1,234.56", "12.", ".5", "--1", "1e3", "١٢"} {
		if _, err := formatAmount(French, bad, "EUR"); !errors.Is(err, ErrInvalid) {
			t.Errorf("formatAmount(%q) error = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestFormatDate(t *testing.T) {
	d := time.Date(2022, 12, 2, 23, 30, 0, 0, time.UTC)
	if got := formatDate(French, d); got != "02/12/2022" {
		t.Errorf("got %q, want 02/12/2022", got)
	}
	if got := formatDate(English, d); got != "2 December 2022" {
		t.Errorf("got %q, want 2 December 2022", got)
	}
	if got, err := formatIssueDate(English, "2024-01-31"); err != nil || got != "31 January 2024" {
		t.Errorf("got %q, %v; want 31 January 2024", got, err)
	}
	paris := time.FixedZone("CEST", 2*3600)
	if got := formatDateTime(French, d, paris); got != "03/12/2022 à 01:30 (CEST)" {
		t.Errorf("got %q, want the date and time in the given zone", got)
	}
}

func TestTidyText(t *testing.T) {
	got := tidyText("\n\nA  \n\n\n\nB\t\n\n")
	if want := "A\n\nB\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
