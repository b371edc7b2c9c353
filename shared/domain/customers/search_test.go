package customers

import "testing"

func TestSearchKeys(t *testing.T) {
	for in, want := range map[string]string{
		"Société  Générale": "societe generale", "societe-generale": "societe generale", "  ŒUVRE & Cie ": "oeuvre cie",
		"#": "", "": "", "Ça va": "ca va",
	} {
		if got := Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
	if got := NameKey("Acme #1", "C-1"); got != "acme 1#C-1" || NumberOfKey(got) != "C-1" {
		t.Errorf("NameKey: got %q", got)
	}
	if got := NumberKey("c1001"); got != "C1001#c1001" || NumberOfKey(got) != "c1001" {
		t.Errorf("NumberKey: got %q", got)
	}
	if NameKey("  ", "C1") != "" {
		t.Error("a blank name got a name key")
	}
	for in, want := range map[string]string{"552 100 554": "552100554", "552100554": "552100554", "55210055": "", "55210055a": ""} {
		if got := SIRENOf(in); got != want {
			t.Errorf("SIRENOf(%q) = %q, want %q", in, got, want)
		}
	}
}
