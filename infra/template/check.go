// Package template compares template.yaml with the code: the functions it declares and
// the routes each API function serves. The template tests and the local runner's
// start-up both use Check, so they cannot disagree on what matching means.
package template

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Check compares the functions template.yaml declares, by logical id with their HttpApi
// route keys ("GET /api/documents/{id}"), with those the code builds, by logical id with
// the net/http patterns their handlers serve (nil for a function without routes). list
// names the code's list in messages. It returns every difference at once.
func Check(declared, code map[string][]string, list string) error {
	var problems []string
	for _, id := range slices.Sorted(maps.Keys(declared)) {
		routes := declared[id]
		served, ok := code[id]
		if !ok {
			problems = append(problems, fmt.Sprintf("template function %s has no entry in %s", id, list))
			continue
		}
		if len(routes) == 0 {
			if len(served) > 0 {
				problems = append(problems, fmt.Sprintf("%s: %s lists routes %v, the template none", id, list, served))
			}
			continue
		}
		if served == nil {
			problems = append(problems, fmt.Sprintf("%s has HttpApi events: give its %s entry the handler's Routes", id, list))
			continue
		}
		tpl := map[string]bool{}
		for _, key := range routes {
			tpl[key] = true
			_, path, _ := strings.Cut(key, " ")
			if path != "/api" && !strings.HasPrefix(path, "/api/") {
				problems = append(problems, fmt.Sprintf("%s: route %s is outside /api/, which is all CloudFront sends to the API", id, key))
			}
		}
		got := map[string]bool{}
		for _, p := range served {
			got[RouteKey(p)] = true
		}
		for _, k := range slices.Sorted(maps.Keys(tpl)) {
			if !got[k] {
				problems = append(problems, fmt.Sprintf("%s: template route %q is not served by the handler", id, k))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(got)) {
			if !tpl[k] {
				problems = append(problems, fmt.Sprintf("%s: handler route %q is not in the template", id, k))
			}
		}
	}
	for _, id := range slices.Sorted(maps.Keys(code)) {
		if _, ok := declared[id]; !ok {
			problems = append(problems, fmt.Sprintf("%s has %s, which the template does not declare", list, id))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("template and code disagree (the functions are listed in shared/app/functions.go):\n  %s", strings.Join(problems, "\n  "))
	}
	return nil
}

// RouteKey turns a net/http pattern into an API Gateway route key: no method means ANY,
// and {name...} is {name+}.
func RouteKey(pattern string) string {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "ANY", pattern
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "...}") {
			segs[i] = strings.TrimSuffix(s, "...}") + "+}"
		}
	}
	return strings.ToUpper(method) + " " + strings.Join(segs, "/")
}
