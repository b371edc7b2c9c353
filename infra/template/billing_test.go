package template_test

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// statement is one policy statement of the transformed template and where it is.
type statement struct {
	where string
	body  map[string]any
}

// statements walks every policy document of every resource: managed policies, roles'
// inline policies (SAM's function policies end up there), bucket and queue policies.
func statements(tmpl map[string]any) []statement {
	var out []statement
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if list, ok := v["Statement"].([]any); ok {
				for i, s := range list {
					if m, ok := s.(map[string]any); ok {
						out = append(out, statement{fmt.Sprintf("%s[%d]", where, i), m})
					}
				}
			}
			for k, c := range v {
				walk(where+"."+k, c)
			}
		case []any:
			for i, c := range v {
				walk(fmt.Sprintf("%s[%d]", where, i), c)
			}
		}
	}
	for id, r := range resources(tmpl) {
		walk(id, r)
	}
	return out
}

// strs lists a statement field's values: a string or a list of them.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, strs(e)...)
		}
		return out
	}
	return nil
}

// rendered is a Resource entry as CloudFormation renders it: !Sub strings with the
// inbox bucket's ARN filled in and ${!x} escapes turned into the ${x} IAM reads.
func rendered(v any) []string {
	var out []string
	for _, r := range asSlice(v) {
		out = append(out, rendered(r)...)
	}
	if s, ok := v.(string); ok {
		out = append(out, s)
	}
	if m, ok := v.(map[string]any); ok {
		if sub, ok := m["Fn::Sub"].(string); ok {
			sub = strings.ReplaceAll(sub, "${InboxBucket.Arn}", "arn:aws:s3:::INBOX")
			out = append(out, strings.ReplaceAll(sub, "${!", "${"))
		} else if att, ok := getAttTarget(m, "Arn"); ok {
			out = append(out, "arn:aws:s3:::"+strings.ToUpper(strings.TrimSuffix(att, "Bucket")))
		}
	}
	return out
}

var putObject = regexp.MustCompile(`^s3:(PutObject|Put\*|\*)$|^\*$`)

// TestBillingPolicyIsSpaceScoped reads the transformed template: billing's policy lets
// a principal put objects only under inbox/{its efacture-space tag}/, and only when it
// carries the tag; no statement of the template grants anyone s3:PutObject on all of
// inbox/ (PRODUCT.md §9).
func TestBillingPolicyIsSpaceScoped(t *testing.T) {
	tmpl := transformed(t)
	policy := resources(tmpl)["BillingWritePolicy"]
	if get(policy, "Type") != "AWS::IAM::ManagedPolicy" {
		t.Fatalf("BillingWritePolicy: got %v, want an AWS::IAM::ManagedPolicy", get(policy, "Type"))
	}
	list, _ := get(policy, "Properties", "PolicyDocument", "Statement").([]any)
	const scoped = "arn:aws:s3:::INBOX/inbox/${aws:PrincipalTag/efacture-space}/*"
	puts := 0
	for _, s := range list {
		if get(s, "Effect") != "Allow" {
			continue
		}
		if !slices.ContainsFunc(strs(get(s, "Action")), putObject.MatchString) {
			continue
		}
		puts++
		if res := rendered(get(s, "Resource")); !reflect.DeepEqual(res, []string{scoped}) {
			t.Errorf("billing's PutObject resource: got %q, want only %q", res, scoped)
		}
		if c := get(s, "Condition", "Null", "aws:PrincipalTag/efacture-space"); c != "false" {
			t.Errorf("billing's PutObject condition: got %v, want Null aws:PrincipalTag/efacture-space false (untagged principals write nothing)", get(s, "Condition"))
		}
	}
	if puts != 1 {
		t.Errorf("BillingWritePolicy: got %d statements allowing PutObject, want 1", puts)
	}

	for _, s := range statements(tmpl) {
		if get(s.body, "Effect") != "Allow" || !slices.ContainsFunc(strs(get(s.body, "Action")), putObject.MatchString) {
			continue
		}
		for _, res := range rendered(get(s.body, "Resource")) {
			if strings.HasPrefix(res, "arn:aws:s3:::INBOX") && (strings.HasSuffix(res, "/inbox/*") || strings.HasSuffix(res, "INBOX/*") || res == "arn:aws:s3:::INBOX") {
				t.Errorf("%s allows PutObject on %s: any space's inbox", s.where, res)
			}
		}
	}
}
