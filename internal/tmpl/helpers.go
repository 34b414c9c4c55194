package tmpl

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// contains reports whether list holds s; its argument order lets
// templates pipe a list into it: {{ if .Tags | contains "blue" }}.
func contains(s string, list []string) bool { return slices.Contains(list, s) }

// join joins list with sep: {{ .Tags | join "," }}.
func join(sep string, list []string) string { return strings.Join(list, sep) }

// split splits s at each sep: {{ split "," "a,b" }}.
func split(sep, s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

// replaceAll replaces every old in s with new: {{ .Name | replaceAll "-" "_" }}.
func replaceAll(old, new, s string) string { return strings.ReplaceAll(s, old, new) }

// byTag groups instances by tag; an instance with several tags is in
// several groups: {{ range $tag, $in := service "web" | byTag }}.
func byTag(instances []*Instance) map[string][]*Instance {
	out := map[string][]*Instance{}
	for _, in := range instances {
		for _, t := range in.Tags {
			out[t] = append(out[t], in)
		}
	}
	return out
}

// sortBy returns a copy of list (a slice of structs or pointers to
// structs) sorted by the named string or integer field, stably:
// {{ range service "web" | sortBy "Port" }}.
func sortBy(field string, list any) (any, error) {
	v := reflect.ValueOf(list)
	if v.Kind() != reflect.Slice {
		return nil, fmt.Errorf("sortBy %q: want a list, got %T", field, list)
	}
	keys := make([]reflect.Value, v.Len())
	for i := range keys {
		k, err := fieldOf(v.Index(i), field)
		if err != nil {
			return nil, fmt.Errorf("sortBy %q: %w", field, err)
		}
		keys[i] = k
	}
	idx := make([]int, v.Len())
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return compareValues(keys[a], keys[b]) })
	out := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	for i, j := range idx {
		out.Index(i).Set(v.Index(j))
	}
	return out.Interface(), nil
}

// fieldOf is the field named name of the struct e points to or holds.
func fieldOf(e reflect.Value, name string) (reflect.Value, error) {
	for e.Kind() == reflect.Pointer || e.Kind() == reflect.Interface {
		if e.IsNil() {
			return reflect.Value{}, fmt.Errorf("nil element")
		}
		e = e.Elem()
	}
	if e.Kind() != reflect.Struct {
		return reflect.Value{}, fmt.Errorf("element is a %s, not a struct", e.Kind())
	}
	f := e.FieldByName(name)
	if !f.IsValid() {
		return reflect.Value{}, fmt.Errorf("%s has no field %s", e.Type(), name)
	}
	switch f.Kind() {
	case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Bool:
		return f, nil
	}
	return reflect.Value{}, fmt.Errorf("field %s is a %s; want a string, number or bool", name, f.Kind())
}

func compareValues(a, b reflect.Value) int {
	switch a.Kind() {
	case reflect.String:
		return cmp.Compare(a.String(), b.String())
	case reflect.Bool:
		return cmp.Compare(boolInt(a.Bool()), boolInt(b.Bool()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return cmp.Compare(a.Uint(), b.Uint())
	default:
		return cmp.Compare(a.Int(), b.Int())
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
