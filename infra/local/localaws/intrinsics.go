package localaws

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// noValue is what AWS::NoValue resolves to; maps and lists drop it.
type noValue struct{}

// resolver evaluates CloudFormation intrinsic functions against parameter
// values and the physical ids of the resources provisioned so far.
type resolver struct {
	tpl        *template
	params     map[string]any // string, or []any for list parameters
	region     string
	account    string
	stackName  string
	refs       map[string]string            // logical id → value of Ref
	attrs      map[string]map[string]string // logical id → attribute → value
	conditions map[string]bool
	evaluating map[string]bool
}

func newResolver(tpl *template, params map[string]any, region, account, stackName string) *resolver {
	return &resolver{
		tpl:        tpl,
		params:     params,
		region:     region,
		account:    account,
		stackName:  stackName,
		refs:       map[string]string{},
		attrs:      map[string]map[string]string{},
		conditions: map[string]bool{},
		evaluating: map[string]bool{},
	}
}

func (r *resolver) setAttr(id, attr, value string) {
	if r.attrs[id] == nil {
		r.attrs[id] = map[string]string{}
	}
	r.attrs[id][attr] = value
}

// resolve returns v with every intrinsic function evaluated.
func (r *resolver) resolve(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		if fn, arg, ok := intrinsicOf(v); ok {
			return r.call(fn, arg)
		}
		out := make(map[string]any, len(v))
		for k, x := range v {
			y, err := r.resolve(x)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			if _, drop := y.(noValue); drop {
				continue
			}
			out[k] = y
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(v))
		for i, x := range v {
			y, err := r.resolve(x)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			if _, drop := y.(noValue); drop {
				continue
			}
			out = append(out, y)
		}
		return out, nil
	default:
		return v, nil
	}
}

// resolveString resolves v and requires a scalar result, rendered as text.
func (r *resolver) resolveString(v any) (string, error) {
	x, err := r.resolve(v)
	if err != nil {
		return "", err
	}
	return scalarString(x)
}

func scalarString(x any) (string, error) {
	switch x := x.(type) {
	case string:
		return x, nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(x), nil
	default:
		return "", fmt.Errorf("got %T, want a scalar", x)
	}
}

// intrinsicOf reports whether m is a one-key intrinsic function call.
func intrinsicOf(m map[string]any) (string, any, bool) {
	if len(m) != 1 {
		return "", nil, false
	}
	for k, v := range m {
		if k == "Ref" || strings.HasPrefix(k, "Fn::") {
			return k, v, true
		}
	}
	return "", nil, false
}

func (r *resolver) call(fn string, arg any) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, fmt.Errorf("Ref: got %T, want a name", arg)
		}
		return r.ref(name)
	case "Fn::GetAtt":
		id, attr, err := getAttTarget(arg)
		if err != nil {
			return nil, err
		}
		return r.getAtt(id, attr)
	case "Fn::Sub":
		return r.sub(arg)
	case "Fn::Join":
		args := asList(arg)
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Join: want [delimiter, list]")
		}
		delim, err := r.resolveString(args[0])
		if err != nil {
			return nil, fmt.Errorf("Fn::Join delimiter: %w", err)
		}
		list, err := r.resolveList(args[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::Join: %w", err)
		}
		parts := make([]string, len(list))
		for i, x := range list {
			if parts[i], err = scalarString(x); err != nil {
				return nil, fmt.Errorf("Fn::Join item %d: %w", i, err)
			}
		}
		return strings.Join(parts, delim), nil
	case "Fn::Select":
		args := asList(arg)
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Select: want [index, list]")
		}
		idxText, err := r.resolveString(args[0])
		if err != nil {
			return nil, fmt.Errorf("Fn::Select index: %w", err)
		}
		idx, err := strconv.Atoi(idxText)
		if err != nil {
			return nil, fmt.Errorf("Fn::Select index %q: %w", idxText, err)
		}
		list, err := r.resolveList(args[1])
		if err != nil {
			return nil, fmt.Errorf("Fn::Select: %w", err)
		}
		if idx < 0 || idx >= len(list) {
			return nil, fmt.Errorf("Fn::Select: index %d out of range (%d items)", idx, len(list))
		}
		return list[idx], nil
	case "Fn::Split":
		args := asList(arg)
		if len(args) != 2 {
			return nil, fmt.Errorf("Fn::Split: want [delimiter, string]")
		}
		delim, err := r.resolveString(args[0])
		if err != nil {
			return nil, err
		}
		s, err := r.resolveString(args[1])
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(s, delim) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::If":
		args := asList(arg)
		if len(args) != 3 {
			return nil, fmt.Errorf("Fn::If: want [condition, then, else]")
		}
		name, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("Fn::If: condition name is %T", args[0])
		}
		ok, err := r.condition(name)
		if err != nil {
			return nil, err
		}
		if ok {
			return r.resolve(args[1])
		}
		return r.resolve(args[2])
	case "Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or":
		return r.evalCondition(map[string]any{fn: arg})
	case "Fn::FindInMap":
		args := asList(arg)
		if len(args) != 3 {
			return nil, fmt.Errorf("Fn::FindInMap: want [map, top key, second key]")
		}
		keys := make([]string, 3)
		for i, a := range args {
			s, err := r.resolveString(a)
			if err != nil {
				return nil, fmt.Errorf("Fn::FindInMap: %w", err)
			}
			keys[i] = s
		}
		top, ok := asMap(r.tpl.Mappings[keys[0]])[keys[1]]
		if !ok {
			return nil, fmt.Errorf("Fn::FindInMap: no %s.%s", keys[0], keys[1])
		}
		v, ok := asMap(top)[keys[2]]
		if !ok {
			return nil, fmt.Errorf("Fn::FindInMap: no %s.%s.%s", keys[0], keys[1], keys[2])
		}
		return r.resolve(v)
	case "Fn::Base64":
		s, err := r.resolveString(arg)
		if err != nil {
			return nil, fmt.Errorf("Fn::Base64: %w", err)
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::GetAZs":
		return []any{r.region + "a", r.region + "b", r.region + "c"}, nil
	default:
		return nil, fmt.Errorf("%s is not supported locally", fn)
	}
}

func (r *resolver) resolveList(v any) ([]any, error) {
	x, err := r.resolve(v)
	if err != nil {
		return nil, err
	}
	l, ok := x.([]any)
	if !ok {
		return nil, fmt.Errorf("got %T, want a list", x)
	}
	return l, nil
}

func (r *resolver) ref(name string) (any, error) {
	switch name {
	case "AWS::Region":
		return r.region, nil
	case "AWS::AccountId":
		return r.account, nil
	case "AWS::StackName":
		return r.stackName, nil
	case "AWS::StackId":
		return fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/local", r.region, r.account, r.stackName), nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::NoValue":
		return noValue{}, nil
	}
	if v, ok := r.params[name]; ok {
		return v, nil
	}
	if v, ok := r.refs[name]; ok {
		return v, nil
	}
	if _, ok := r.tpl.Resources[name]; ok {
		return nil, fmt.Errorf("Ref %s: resource not provisioned yet", name)
	}
	return nil, fmt.Errorf("Ref %s: no such parameter or resource", name)
}

func (r *resolver) getAtt(id, attr string) (any, error) {
	if v, ok := r.attrs[id][attr]; ok {
		return v, nil
	}
	if _, ok := r.tpl.Resources[id]; !ok {
		return nil, fmt.Errorf("Fn::GetAtt %s.%s: no such resource", id, attr)
	}
	return nil, fmt.Errorf("Fn::GetAtt %s.%s: attribute not available locally", id, attr)
}

// getAttTarget accepts both "Id.Attr" and [Id, Attr].
func getAttTarget(arg any) (string, string, error) {
	switch a := arg.(type) {
	case string:
		id, attr, ok := strings.Cut(a, ".")
		if !ok {
			return "", "", fmt.Errorf("Fn::GetAtt %q: want Resource.Attribute", a)
		}
		return id, attr, nil
	case []any:
		if len(a) == 2 {
			id, ok1 := a[0].(string)
			attr, ok2 := a[1].(string)
			if ok1 && ok2 {
				return id, attr, nil
			}
		}
	}
	return "", "", fmt.Errorf("Fn::GetAtt: got %v, want [Resource, Attribute]", arg)
}

func (r *resolver) sub(arg any) (any, error) {
	var text string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		text = a
	case []any:
		if len(a) != 2 {
			return nil, fmt.Errorf("Fn::Sub: want a string or [string, variables]")
		}
		s, ok := a[0].(string)
		if !ok {
			return nil, fmt.Errorf("Fn::Sub: template is %T", a[0])
		}
		text, vars = s, asMap(a[1])
	default:
		return nil, fmt.Errorf("Fn::Sub: got %T", arg)
	}
	var out strings.Builder
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			out.WriteString(text)
			return out.String(), nil
		}
		out.WriteString(text[:i])
		j := strings.Index(text[i:], "}")
		if j < 0 {
			return nil, fmt.Errorf("Fn::Sub: unclosed ${ in %q", text)
		}
		name := text[i+2 : i+j]
		text = text[i+j+1:]
		if strings.HasPrefix(name, "!") {
			out.WriteString("${" + name[1:] + "}")
			continue
		}
		var (
			val any
			err error
		)
		if v, ok := vars[name]; ok {
			val, err = r.resolve(v)
		} else if id, attr, ok := strings.Cut(name, "."); ok && !strings.HasPrefix(name, "AWS::") {
			val, err = r.getAtt(id, attr)
		} else {
			val, err = r.ref(name)
		}
		if err != nil {
			return nil, fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
		}
		s, err := scalarString(val)
		if err != nil {
			return nil, fmt.Errorf("Fn::Sub ${%s}: %w", name, err)
		}
		out.WriteString(s)
	}
}

// condition evaluates a named entry of the Conditions section once.
func (r *resolver) condition(name string) (bool, error) {
	if v, ok := r.conditions[name]; ok {
		return v, nil
	}
	def, ok := r.tpl.Conditions[name]
	if !ok {
		return false, fmt.Errorf("unknown condition %s", name)
	}
	if r.evaluating[name] {
		return false, fmt.Errorf("condition %s refers to itself", name)
	}
	r.evaluating[name] = true
	defer delete(r.evaluating, name)
	v, err := r.evalCondition(def)
	if err != nil {
		return false, fmt.Errorf("condition %s: %w", name, err)
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("condition %s: got %T, want a boolean", name, v)
	}
	r.conditions[name] = b
	return b, nil
}

func (r *resolver) evalCondition(v any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return nil, fmt.Errorf("condition: got %v, want one function", v)
	}
	for fn, arg := range m {
		args := asList(arg)
		switch fn {
		case "Condition":
			name, _ := arg.(string)
			return r.condition(name)
		case "Fn::Equals":
			if len(args) != 2 {
				return nil, fmt.Errorf("Fn::Equals: want two values")
			}
			a, err := r.resolveString(args[0])
			if err != nil {
				return nil, err
			}
			b, err := r.resolveString(args[1])
			if err != nil {
				return nil, err
			}
			return a == b, nil
		case "Fn::Not", "Fn::And", "Fn::Or":
			if len(args) == 0 {
				return nil, fmt.Errorf("%s: no operands", fn)
			}
			vals := make([]bool, len(args))
			for i, a := range args {
				x, err := r.evalCondition(a)
				if err != nil {
					return nil, err
				}
				b, ok := x.(bool)
				if !ok {
					return nil, fmt.Errorf("%s: operand %d is %T", fn, i, x)
				}
				vals[i] = b
			}
			switch fn {
			case "Fn::Not":
				return !vals[0], nil
			case "Fn::And":
				for _, b := range vals {
					if !b {
						return false, nil
					}
				}
				return true, nil
			default:
				for _, b := range vals {
					if b {
						return true, nil
					}
				}
				return false, nil
			}
		default:
			return nil, fmt.Errorf("%s is not a condition function", fn)
		}
	}
	return nil, nil
}

// references lists the logical ids that v refers to through Ref, Fn::GetAtt
// or Fn::Sub, so resources can be provisioned in dependency order.
func references(v any) []string {
	set := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if fn, arg, ok := intrinsicOf(v); ok {
				switch fn {
				case "Ref":
					if s, ok := arg.(string); ok {
						set[s] = true
					}
					return
				case "Fn::GetAtt":
					if id, _, err := getAttTarget(arg); err == nil {
						set[id] = true
					}
					return
				case "Fn::Sub":
					text, _ := arg.(string)
					vars := map[string]any{}
					if l := asList(arg); len(l) == 2 {
						text, _ = l[0].(string)
						vars = asMap(l[1])
						walk(l[1])
					}
					for _, name := range subNames(text) {
						if _, local := vars[name]; local {
							continue
						}
						id, _, _ := strings.Cut(name, ".")
						set[id] = true
					}
					return
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

// subNames returns the variable names of an Fn::Sub string.
func subNames(text string) []string {
	var names []string
	for {
		i := strings.Index(text, "${")
		if i < 0 {
			return names
		}
		j := strings.Index(text[i:], "}")
		if j < 0 {
			return names
		}
		if name := text[i+2 : i+j]; !strings.HasPrefix(name, "!") {
			names = append(names, name)
		}
		text = text[i+j+1:]
	}
}
