package localaws

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// template is a parsed CloudFormation/SAM template. Short-form tags such as
// !Ref or !Sub are rewritten to their long form ({"Ref": …}, {"Fn::Sub": …})
// so that the resolver handles a single shape.
type template struct {
	Parameters map[string]any
	Mappings   map[string]any
	Conditions map[string]any
	Globals    map[string]any
	Resources  map[string]resource
}

type resource struct {
	ID         string
	Type       string
	Properties map[string]any
	Metadata   map[string]any
	Condition  string
	DependsOn  []string
}

func loadTemplate(path string) (*template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseTemplate(data)
}

func parseTemplate(data []byte) (*template, error) {
	file, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if len(file.Docs) != 1 || file.Docs[0].Body == nil {
		return nil, fmt.Errorf("parse template: want one YAML document, got %d", len(file.Docs))
	}
	conv := converter{anchors: map[string]any{}}
	root, err := conv.value(file.Docs[0].Body)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	top, ok := root.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse template: top level is %T, want a mapping", root)
	}
	t := &template{
		Parameters: asMap(top["Parameters"]),
		Mappings:   asMap(top["Mappings"]),
		Conditions: asMap(top["Conditions"]),
		Globals:    asMap(top["Globals"]),
		Resources:  map[string]resource{},
	}
	for id, raw := range asMap(top["Resources"]) {
		m, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("resource %s: got %T, want a mapping", id, raw)
		}
		typ, _ := m["Type"].(string)
		if typ == "" {
			return nil, fmt.Errorf("resource %s: missing Type", id)
		}
		r := resource{
			ID:         id,
			Type:       typ,
			Properties: asMap(m["Properties"]),
			Metadata:   asMap(m["Metadata"]),
		}
		r.Condition, _ = m["Condition"].(string)
		switch d := m["DependsOn"].(type) {
		case string:
			r.DependsOn = []string{d}
		case []any:
			for _, x := range d {
				if s, ok := x.(string); ok {
					r.DependsOn = append(r.DependsOn, s)
				}
			}
		}
		t.Resources[id] = r
	}
	if len(t.Resources) == 0 {
		return nil, fmt.Errorf("parse template: no Resources")
	}
	return t, nil
}

// resourceIDs returns the logical ids in a stable order.
func (t *template) resourceIDs() []string {
	ids := make([]string, 0, len(t.Resources))
	for id := range t.Resources {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// converter turns a YAML AST into plain Go values: map[string]any, []any,
// string, int64, uint64, float64, bool and nil.
type converter struct {
	anchors map[string]any
}

func (c *converter) value(n ast.Node) (any, error) {
	switch n := n.(type) {
	case nil:
		return nil, nil
	case *ast.NullNode:
		return nil, nil
	case *ast.StringNode:
		return n.Value, nil
	case *ast.LiteralNode:
		return n.Value.Value, nil
	case *ast.IntegerNode:
		// Small unsigned values become int64 so that callers see one type.
		if u, ok := n.Value.(uint64); ok && u <= math.MaxInt64 {
			return int64(u), nil
		}
		return n.Value, nil
	case *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.(ast.ScalarNode).GetValue(), nil
	case *ast.MappingNode:
		out := make(map[string]any, len(n.Values))
		for _, mv := range n.Values {
			if err := c.mappingValue(out, mv); err != nil {
				return nil, err
			}
		}
		return out, nil
	case *ast.MappingValueNode:
		out := map[string]any{}
		if err := c.mappingValue(out, n); err != nil {
			return nil, err
		}
		return out, nil
	case *ast.SequenceNode:
		out := make([]any, 0, len(n.Values))
		for _, v := range n.Values {
			x, err := c.value(v)
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		return out, nil
	case *ast.TagNode:
		return c.tag(n)
	case *ast.AnchorNode:
		v, err := c.value(n.Value)
		if err != nil {
			return nil, err
		}
		c.anchors[n.Name.String()] = v
		return v, nil
	case *ast.AliasNode:
		v, ok := c.anchors[n.Value.String()]
		if !ok {
			return nil, fmt.Errorf("line %d: unknown alias %s", n.GetToken().Position.Line, n.Value.String())
		}
		return v, nil
	case *ast.CommentNode, *ast.CommentGroupNode:
		return nil, nil
	default:
		return nil, fmt.Errorf("line %d: unsupported YAML node %s", n.GetToken().Position.Line, n.Type())
	}
}

func (c *converter) mappingValue(out map[string]any, mv *ast.MappingValueNode) error {
	if mv.Key.IsMergeKey() {
		return fmt.Errorf("line %d: YAML merge keys are not supported in templates", mv.GetToken().Position.Line)
	}
	k, err := c.value(mv.Key)
	if err != nil {
		return err
	}
	v, err := c.value(mv.Value)
	if err != nil {
		return err
	}
	out[fmt.Sprint(k)] = v
	return nil
}

// tag rewrites a CloudFormation short form into its long form.
func (c *converter) tag(n *ast.TagNode) (any, error) {
	name := n.Start.Value
	v, err := c.value(n.Value)
	if err != nil {
		return nil, err
	}
	switch {
	case name == "!!str":
		return fmt.Sprint(v), nil
	case strings.HasPrefix(name, "!!"):
		return v, nil
	case name == "!Ref":
		return map[string]any{"Ref": v}, nil
	case name == "!Condition":
		return map[string]any{"Condition": v}, nil
	case strings.HasPrefix(name, "!"):
		return map[string]any{"Fn::" + name[1:]: v}, nil
	default:
		return nil, fmt.Errorf("line %d: unknown tag %s", n.GetToken().Position.Line, name)
	}
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	if m == nil {
		return map[string]any{}
	}
	return m
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
