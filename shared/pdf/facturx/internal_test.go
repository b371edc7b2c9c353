package facturx

import "testing"

func TestRank(t *testing.T) {
	tests := []struct {
		name string
		want int
	}{
		{"factur-x.xml", 0},
		{"zugferd-invoice.xml", 1},
		{"ZUGFeRD-invoice.xml", 2},
		{"xrechnung.xml", 3},
		{"FACTUR-X.XML", 4},
		{"Zugferd-Invoice.xml", 5}, // the case-insensitive match of the ZUGFeRD 2.0 name comes first
		{"XRechnung.xml", 7},
		{`C:\export\factur-x.xml`, 0},
		{"out/ZUGFeRD-invoice.xml", 2},
		{"factur-x.xml.bak", -1},
		{"invoice.xml", -1},
		{"", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rank(tt.name); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPickPrefersTheBestName(t *testing.T) {
	cs := []candidate{
		{names: []string{"logo.png"}},
		{names: []string{"XRECHNUNG.XML"}},
		{names: []string{"xrechnung.xml"}},
		{names: []string{"", "Attachment1", "zugferd-invoice.xml"}},
	}
	got, name, ok := pick(cs)
	if !ok || name != "zugferd-invoice.xml" || got.names[1] != "Attachment1" {
		t.Errorf("got %v %q %v, want the zugferd-invoice.xml candidate", got.names, name, ok)
	}
	if _, _, ok := pick(cs[:1]); ok {
		t.Error("got a pick among unrelated files, want none")
	}
}

func TestNormalizeAmount(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"1234.56", "1234.56", true},
		{"1234.5", "1234.50", true},
		{"1234", "1234.00", true},
		{"1234.", "1234.00", true},
		{".5", "0.50", true},
		{"000", "0.00", true},
		{"-0.00", "0.00", true},
		{"+7.10", "7.10", true},
		{"-7.1", "-7.10", true},
		{"12.3456", "12.3456", true},
		{" 12.30 ", "12.30", true},
		{"", "", false},
		{".", "", false},
		{"-", "", false},
		{"1,50", "", false},
		{"1 234.56", "", false},
		{"1e3", "", false},
		{"--1", "", false},
		{"1.2.3", "", false},
		{"EUR 12", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := normalizeAmount(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("got %q, %v; want %q, ok=%v", got, err, tt.want, tt.ok)
			}
		})
	}
}
