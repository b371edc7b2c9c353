package customers

import "testing"

func FuzzParseReferential(f *testing.F) {
	f.Add([]byte("\ufeffcustomer_number;email\nC1;a@b.fr\n"))
	f.Add([]byte("customer_number,notification\n\"C,1\",digest\n"))
	f.Add([]byte(`{"customer_number":"C1","email":null}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) (Parsed, error){ParseCSV, ParseJSONL} {
			p, err := parse(data)
			if err != nil {
				continue
			}
			for _, r := range p.Rows {
				c := r.Customer
				if c.Number == "" || c.Notification == "" || c.Delivery == "" || c.Language == "" {
					t.Fatalf("row %d applied without defaults: %+v", r.Line, c)
				}
			}
		}
	})
}
