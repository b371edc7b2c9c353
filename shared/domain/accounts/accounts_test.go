package accounts

import "testing"

func TestCandidateIdentifier(t *testing.T) {
	cases := []struct {
		email string
		n     int
		want  string
	}{
		{"Pierre.Durand@Example.fr", 0, "pierre.durand@example.fr"},
		{"Pierre.Durand@Example.fr", 1, "pierre.durand_1"},
		{"pierre.durand@example.fr", 2, "pierre.durand_2"},
	}
	for _, c := range cases {
		if got := CandidateIdentifier(c.email, c.n); got != c.want {
			t.Errorf("CandidateIdentifier(%q, %d): got %q, want %q", c.email, c.n, got, c.want)
		}
	}
}

func TestValidChosenIdentifier(t *testing.T) {
	cases := []struct {
		id   string
		want bool
	}{
		{"jdupont", true},
		{"j.dupont-2_x", true},
		{"jd", false},
		{"Jean Dupont", false},
		{"jean@example.fr", false}, // an address, even the user's own, is ingestion's
		{"jean@x", false},
		{string(make([]byte, 65)), false},
	}
	for _, c := range cases {
		if got := ValidChosenIdentifier(c.id); got != c.want {
			t.Errorf("ValidChosenIdentifier(%q): got %v, want %v", c.id, got, c.want)
		}
	}
}
