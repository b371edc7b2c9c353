package template_test

import (
	"fmt"
	"reflect"
	"testing"
)

// conditions evaluates a template's Conditions for parameter values and a region, the
// defaults standing in for parameters not given, as CloudFormation does at deploy time.
type conditions struct {
	tmpl   map[string]any
	params map[string]string
	region string
}

func (c *conditions) value(v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return v, nil
	}
	for fn, arg := range m {
		switch fn {
		case "Ref":
			name := fmt.Sprint(arg)
			switch name {
			case "AWS::Region":
				return c.region, nil
			case "AWS::NoValue":
				return nil, nil // the property is left out
			}
			if p, ok := c.params[name]; ok {
				return p, nil
			}
			if d := get(c.tmpl, "Parameters", name, "Default"); d != nil {
				return fmt.Sprint(d), nil
			}
			return nil, fmt.Errorf("parameter %s has no value", name)
		case "Condition":
			return c.holds(fmt.Sprint(arg))
		case "Fn::Equals":
			args := asSlice(arg)
			if len(args) != 2 {
				return nil, fmt.Errorf("Fn::Equals %v", arg)
			}
			a, err := c.value(args[0])
			if err != nil {
				return nil, err
			}
			b, err := c.value(args[1])
			return fmt.Sprint(a) == fmt.Sprint(b), err
		case "Fn::Not", "Fn::And", "Fn::Or":
			results := []bool{}
			for _, x := range asSlice(arg) {
				v, err := c.value(x)
				if err != nil {
					return nil, err
				}
				b, ok := v.(bool)
				if !ok {
					return nil, fmt.Errorf("%s of %v, want conditions", fn, x)
				}
				results = append(results, b)
			}
			switch fn {
			case "Fn::Not":
				return len(results) == 1 && !results[0], nil
			case "Fn::And":
				for _, b := range results {
					if !b {
						return false, nil
					}
				}
				return true, nil
			default:
				for _, b := range results {
					if b {
						return true, nil
					}
				}
				return false, nil
			}
		case "Fn::If":
			args := asSlice(arg)
			if len(args) != 3 {
				return nil, fmt.Errorf("Fn::If %v", arg)
			}
			ok, err := c.holds(fmt.Sprint(args[0]))
			if err != nil {
				return nil, err
			}
			if ok {
				return c.value(args[1])
			}
			return c.value(args[2])
		}
	}
	return v, nil
}

func (c *conditions) holds(name string) (bool, error) {
	def := get(c.tmpl, "Conditions", name)
	if def == nil {
		return false, fmt.Errorf("no condition %s", name)
	}
	v, err := c.value(def)
	b, ok := v.(bool)
	if err == nil && !ok {
		err = fmt.Errorf("condition %s is %v", name, v)
	}
	return b, err
}

// TestWebAcl: the WAF web ACL and its place on the distribution (WebACLId; CloudFront
// takes no WebACLAssociation) exist only when asked for, and the stack creates one only
// in us-east-1, the one region where CloudFront's web ACLs can be made; elsewhere it puts
// on the distribution the ARN of one made there.
func TestWebAcl(t *testing.T) {
	const existing = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/portal/0a1b2c3d"
	cases := []struct {
		name, region string
		params       map[string]string
		created      bool
		onCloudFront any // the distribution's WebACLId, nil when absent
	}{
		{"default", "us-east-1", nil, false, nil},
		{"default elsewhere", "eu-west-3", nil, false, nil},
		{"enabled in us-east-1", "us-east-1", map[string]string{"WebAclEnabled": "true"}, true,
			map[string]any{"Fn::GetAtt": []any{"WebAcl", "Arn"}}},
		{"enabled elsewhere", "eu-west-3", map[string]string{"WebAclEnabled": "true"}, false, nil},
		{"existing ACL elsewhere", "eu-west-3", map[string]string{"WebAclEnabled": "true", "WebAclArn": existing}, false, existing},
		{"existing ACL in us-east-1", "us-east-1", map[string]string{"WebAclArn": existing}, false, existing},
	}
	// The transform leaves conditions to CloudFormation, so one transform serves every case.
	out := transformed(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := &conditions{tmpl: out, params: tc.params, region: tc.region}
			acl, ok := resources(out)["WebAcl"].(map[string]any)
			if !ok {
				t.Fatal("got no WebAcl resource in the transformed template")
			}
			created, err := c.holds(fmt.Sprint(acl["Condition"]))
			if err != nil {
				t.Fatal(err)
			}
			if created != tc.created {
				t.Errorf("got WebAcl created %v, want %v", created, tc.created)
			}
			cfg := get(resources(out)["WebDistribution"], "Properties", "DistributionConfig")
			got, err := c.value(get(cfg, "WebACLId"))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.onCloudFront) {
				t.Errorf("got distribution WebACLId %v, want %v", got, tc.onCloudFront)
			}
			if !created {
				return
			}
			props := get(acl, "Properties")
			if get(props, "Scope") != "CLOUDFRONT" || get(props, "DefaultAction", "Allow") == nil {
				t.Errorf("got Scope %v, DefaultAction %v, want CLOUDFRONT and Allow", get(props, "Scope"), get(props, "DefaultAction"))
			}
			rules := asSlice(get(props, "Rules"))
			if len(rules) != 1 {
				t.Fatalf("got %d rules, want the rate rule", len(rules))
			}
			rate := get(rules[0], "Statement", "RateBasedStatement")
			if get(rules[0], "Action", "Block") == nil || get(rate, "AggregateKeyType") != "IP" ||
				!reflect.DeepEqual(get(rate, "Limit"), map[string]any{"Ref": "WebAclRateLimit"}) {
				t.Errorf("got rule %v, want a per-address rate rule blocking past WebAclRateLimit", rules[0])
			}
			scope := get(rate, "ScopeDownStatement", "ByteMatchStatement")
			if get(scope, "SearchString") != "/api/" || get(scope, "PositionalConstraint") != "STARTS_WITH" || get(scope, "FieldToMatch", "UriPath") == nil {
				t.Errorf("got scope %v, want paths starting with /api/", scope)
			}
		})
	}
}
