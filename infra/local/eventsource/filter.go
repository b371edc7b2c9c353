package eventsource

import (
	"encoding/json"
	"fmt"
	"strings"
)

// MatchFilter reports whether record (any value that marshals to the JSON
// Lambda filters, such as events.DynamoDBEventRecord or events.SQSMessage)
// matches an event filtering pattern. Supported: nested keys, lists of exact
// values (strings, numbers, booleans, null) and the matchers prefix,
// suffix, equals-ignore-case, anything-but, exists and numeric. Keys are
// ANDed, list entries ORed; a list-valued field matches when any element
// does. An SQS record's JSON body is filtered as JSON, as Lambda does.
func MatchFilter(pattern []byte, record any) (bool, error) {
	var pat map[string]any
	if err := json.Unmarshal(pattern, &pat); err != nil {
		return false, fmt.Errorf("filter pattern: %w", err)
	}
	raw, err := json.Marshal(record)
	if err != nil {
		return false, fmt.Errorf("filter record: %w", err)
	}
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		return false, fmt.Errorf("filter record is not a JSON object: %w", err)
	}
	if rec["eventSource"] == "aws:sqs" {
		if body, ok := rec["body"].(string); ok {
			var parsed map[string]any
			if json.Unmarshal([]byte(body), &parsed) == nil {
				rec["body"] = parsed
			}
		}
	}
	return matchObject(pat, rec)
}

func matchObject(pat, rec map[string]any) (bool, error) {
	for key, want := range pat {
		got, present := rec[key]
		switch want := want.(type) {
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok {
				return false, nil
			}
			ok, err := matchObject(want, sub)
			if err != nil || !ok {
				return false, err
			}
		case []any:
			ok, err := matchLeaf(want, got, present)
			if err != nil || !ok {
				return false, err
			}
		default:
			return false, fmt.Errorf("filter pattern: %s must be an object or a list, got %v", key, want)
		}
	}
	return true, nil
}

// matchLeaf reports whether any matcher in want accepts the field value.
func matchLeaf(want []any, got any, present bool) (bool, error) {
	values := []any{got}
	if l, ok := got.([]any); ok {
		values = l
	}
	for _, m := range want {
		if rule, ok := m.(map[string]any); ok {
			if ex, ok := rule["exists"]; ok && len(rule) == 1 {
				b, ok := ex.(bool)
				if !ok {
					return false, fmt.Errorf("filter pattern: exists wants a boolean")
				}
				if b == present {
					return true, nil
				}
				continue
			}
		}
		if !present {
			continue
		}
		for _, v := range values {
			ok, err := matchValue(m, v)
			if err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
		}
	}
	return false, nil
}

func matchValue(m, v any) (bool, error) {
	rule, ok := m.(map[string]any)
	if !ok {
		if _, nested := m.([]any); nested {
			return false, fmt.Errorf("filter pattern: nested list %v", m)
		}
		switch v.(type) {
		case map[string]any, []any:
			return false, nil
		}
		return m == v, nil
	}
	if len(rule) != 1 {
		return false, fmt.Errorf("filter pattern: a matcher has one key, got %v", rule)
	}
	s, isString := v.(string)
	for op, arg := range rule {
		switch op {
		case "prefix", "suffix", "equals-ignore-case":
			a, ok := arg.(string)
			if !ok {
				return false, fmt.Errorf("filter pattern: %s wants a string", op)
			}
			if !isString {
				return false, nil
			}
			switch op {
			case "prefix":
				return strings.HasPrefix(s, a), nil
			case "suffix":
				return strings.HasSuffix(s, a), nil
			default:
				return strings.EqualFold(s, a), nil
			}
		case "anything-but":
			excluded := []any{arg}
			if l, ok := arg.([]any); ok {
				excluded = l
			}
			for _, x := range excluded {
				ok, err := matchValue(x, v)
				if err != nil {
					return false, err
				}
				if ok {
					return false, nil
				}
			}
			return true, nil
		case "numeric":
			return matchNumeric(arg, v)
		default:
			return false, fmt.Errorf("filter pattern: matcher %q is not supported locally", op)
		}
	}
	return false, nil
}

// matchNumeric applies [">", 0, "<=", 5]-style comparisons to a number.
func matchNumeric(arg, v any) (bool, error) {
	ops, ok := arg.([]any)
	if !ok || len(ops) == 0 || len(ops)%2 != 0 {
		return false, fmt.Errorf("filter pattern: numeric wants [op, number, ...]")
	}
	n, ok := v.(float64)
	if !ok {
		return false, nil
	}
	for i := 0; i < len(ops); i += 2 {
		op, _ := ops[i].(string)
		x, ok := ops[i+1].(float64)
		if !ok {
			return false, fmt.Errorf("filter pattern: numeric operand %v is not a number", ops[i+1])
		}
		var pass bool
		switch op {
		case "=":
			pass = n == x
		case "<":
			pass = n < x
		case "<=":
			pass = n <= x
		case ">":
			pass = n > x
		case ">=":
			pass = n >= x
		default:
			return false, fmt.Errorf("filter pattern: numeric operator %q", op)
		}
		if !pass {
			return false, nil
		}
	}
	return true, nil
}
