package documents

import (
	"strings"
	"testing"
)

func FuzzParseInboxKey(f *testing.F) {
	for _, s := range []string{"inbox/acme/documents/F+1.pdf", "inbox/acme/customers/a%20b.csv", "inbox//x", "%zz", "rejected/acme/x.pdf", "inbox/a/documents/%C3%A9.PDF"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		k, ok := ParseInboxKey(key)
		if !ok {
			return
		}
		if !strings.HasPrefix(k.Raw, "inbox/"+k.Space+"/") || k.Space == "" || strings.Contains(k.Space, "/") {
			t.Fatalf("key %q parsed as %+v", key, k)
		}
		if !strings.HasPrefix(k.RejectedKey(), "rejected/") {
			t.Fatalf("rejected key %q leaves rejected/", k.RejectedKey())
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	f.Add("C1", "F-1", "invoice", "2026-11-20", "1 234,56", "EUR", "true")
	f.Add("=?UTF-8?B?QzE=?=", "F/2", "381", "2026-02-30", "1.234,5", "eur", "no")
	f.Fuzz(func(t *testing.T, cust, number, typ, date, amount, currency, copyFlag string) {
		fields, err := ParseMetadata(map[string]string{
			MetaCustomer: cust, MetaNumber: number, MetaType: typ, MetaIssueDate: date,
			MetaAmount: amount, MetaCurrency: currency, MetaCopy: copyFlag,
		})
		if err != nil {
			if _, ok := AsRejection(err); !ok {
				t.Fatalf("error %v is not a rejection", err)
			}
			return
		}
		if fields.Amount != "" {
			if again, ok := NormalizeAmount(fields.Amount); !ok || again != fields.Amount {
				t.Fatalf("amount %q is not canonical (%q)", fields.Amount, again)
			}
		}
	})
}
