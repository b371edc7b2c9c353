package spaces

import (
	"strings"
	"testing"
)

func TestEventUniqueID(t *testing.T) {
	cases := []struct {
		in, id string
		ok     bool
	}{
		{"AWS:AROA3XFRBF23EXAMPLEID:billing-run-42", "AROA3XFRBF23EXAMPLEID", true},
		{"AWS:AROA3XFRBF23EXAMPLEID:i-0abc@acme.example", "AROA3XFRBF23EXAMPLEID", true},
		{"AWS:AIDAJQABLZS4A3QDU576Q", "AIDAJQABLZS4A3QDU576Q", true},
		// Malformed or not a billing identity.
		{"", "", false},
		{"AWS:", "", false},
		{"AWS:LOCAL", "", false},
		{"AROA3XFRBF23EXAMPLEID:session", "", false},     // no AWS: prefix
		{"aws:AROA3XFRBF23EXAMPLEID:session", "", false}, // prefix is case-sensitive
		{"AWS:AROA3XFRBF23EXAMPLEID", "", false},         // a role acts only through a session
		{"AWS:AROA3XFRBF23EXAMPLEID:", "", false},        // empty session
		{"AWS:AROA3XFRBF23EXAMPLEID:a:b", "", false},     // a colon is no session character
		{"AWS:AROA3XFRBF23EXAMPLEID:" + strings.Repeat("s", 65), "", false},
		{"AWS:AIDAJQABLZS4A3QDU576Q:session", "", false}, // users have no session
		{"AWS:aroa3xfrbf23exampleid:session", "", false}, // ids are upper case
		{"AWS:AKIAIOSFODNN7EXAMPLE", "", false},          // an access key is not a principal
		{"AWS:123456789012", "", false},                  // the account's root
		{"A3NL1KOZZKExample", "", false},                 // a canonical id
		{"AWS:AROA3XFRBF23EXAMPLEID:sess ion", "", false},
		{"AWS:AROA\u00c93XFRBF23EXAMPLE:session", "", false},
	}
	for _, c := range cases {
		id, ok := EventUniqueID(c.in)
		if id != c.id || ok != c.ok {
			t.Errorf("EventUniqueID(%q) = %q, %v; want %q, %v", c.in, id, ok, c.id, c.ok)
		}
	}
}

func TestBillingAllows(t *testing.T) {
	open := Space{ID: "acme"}
	for _, p := range []string{"", "AWS:LOCAL", "AWS:AROA3XFRBF23EXAMPLEID:x1"} {
		if !open.BillingAllows(p) {
			t.Errorf("a space naming no principal refuses %q", p)
		}
	}
	sp := Space{ID: "acme",
		BillingPrincipals:   []string{"arn:aws:iam::123456789012:role/billing-acme", "arn:aws:iam::123456789012:user/acme-batch"},
		BillingPrincipalIDs: []string{"AROAACMEBILLING000001", "AIDAACMEBATCH00000001"}}
	allowed := []string{"AWS:AROAACMEBILLING000001:run-1", "AWS:AROAACMEBILLING000001:other-session", "AWS:AIDAACMEBATCH00000001"}
	refused := []string{"", "AWS:LOCAL", "AWS:AROAGLOBEXBILLING001:run-1", "AWS:AROAACMEBILLING000001",
		"AWS:AROAACMEBILLING0000011:run-1", "AWS:AROAACMEBILLING00000:run-1", "AWS:AIDAACMEBATCH00000001:s1",
		"AROAACMEBILLING000001:run-1", "arn:aws:iam::123456789012:role/billing-acme"}
	for _, p := range allowed {
		if !sp.BillingAllows(p) {
			t.Errorf("refuses its own principal %q", p)
		}
	}
	for _, p := range refused {
		if sp.BillingAllows(p) {
			t.Errorf("allows %q", p)
		}
	}
	// Named but never resolved (stored without the spaces command): nothing passes.
	unresolved := Space{ID: "acme", BillingPrincipals: sp.BillingPrincipals}
	if unresolved.BillingAllows(allowed[0]) {
		t.Error("a space with unresolved principals allows a drop")
	}
}

func TestParseBillingPrincipals(t *testing.T) {
	f, err := Parse(strings.NewReader(`{"spaces":[{"id":"acme","name":"Acme","since":"2022-12-02",
		"billingPrincipals":["arn:aws:iam::123456789012:role/billing-acme","arn:aws:iam::123456789012:role/ops/billing/acme-batch","arn:aws:iam::123456789012:user/acme-legacy"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(f.Spaces[0].BillingPrincipals); got != 3 || !f.Spaces[0].Confined() {
		t.Fatalf("got %d principals, confined %v", got, f.Spaces[0].Confined())
	}
	for arn, want := range map[string][2]string{
		"arn:aws:iam::123456789012:role/billing-acme":            {"role", "billing-acme"},
		"arn:aws:iam::123456789012:role/ops/billing/acme-batch":  {"role", "acme-batch"},
		"arn:aws:iam::123456789012:user/acme-legacy":             {"user", "acme-legacy"},
		"arn:aws-us-gov:iam::123456789012:role/billing-acme-gov": {"role", "billing-acme-gov"},
	} {
		kind, name, ok := PrincipalKind(arn)
		if !ok || kind != want[0] || name != want[1] {
			t.Errorf("PrincipalKind(%q) = %q, %q, %v", arn, kind, name, ok)
		}
	}

	cases := map[string]struct{ file, says string }{
		"not an ARN":    {`"billingPrincipals":["billing-acme"]`, `billingPrincipals[0] "billing-acme": want an IAM role ARN`},
		"assumed role":  {`"billingPrincipals":["arn:aws:sts::123456789012:assumed-role/billing-acme/run"]`, "want an IAM role ARN"},
		"short account": {`"billingPrincipals":["arn:aws:iam::12345:role/billing-acme"]`, "want an IAM role ARN"},
		"wildcard":      {`"billingPrincipals":["arn:aws:iam::123456789012:role/*"]`, "want an IAM role ARN"},
		"group":         {`"billingPrincipals":["arn:aws:iam::123456789012:group/billing"]`, "want an IAM role ARN"},
		"twice":         {`"billingPrincipals":["arn:aws:iam::123456789012:role/b","arn:aws:iam::123456789012:role/b"]`, "listed twice"},
		"ids in file":   {`"billingPrincipals":["arn:aws:iam::123456789012:role/b"],"billingPrincipalIds":["AROAACMEBILLING000001"]`, "filled by the spaces command"},
		"too many":      {`"billingPrincipals":[` + strings.TrimSuffix(strings.Repeat(`"arn:aws:iam::123456789012:role/b",`, 21), ",") + `]`, "at most 20"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(`{"spaces":[{"id":"acme","name":"Acme","since":"2022-12-02",` + c.file + `}]}`))
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Errorf("got %v, want an error saying %q", err, c.says)
			}
		})
	}
	_, err = Parse(strings.NewReader(`{"spaces":[
		{"id":"acme","name":"Acme","since":"2022-12-02","billingPrincipals":["arn:aws:iam::123456789012:role/billing"]},
		{"id":"globex","name":"Globex","since":"2022-12-02","billingPrincipals":["arn:aws:iam::123456789012:role/billing"]}]}`))
	if err == nil || !strings.Contains(err.Error(), "named by spaces acme and globex") {
		t.Errorf("a principal shared by two spaces: got %v", err)
	}
}
