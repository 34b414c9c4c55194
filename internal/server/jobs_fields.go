package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"
)

// checkFields refuses a JSON body with fields the request type does not
// know. A body is walked along reqType (a struct of structs): a key must
// name a field of the struct wharf decodes it into, or a field Nomad's API
// has there (nomadFields), since Nomad's Go client sends its whole Job
// with nulls and zero values. A Nomad field wharf does not implement is
// refused, naming it, when it is set (except ignoredWhenSet); a wharf
// field in unsupportedFields too. Every other key is refused as unknown.
func checkFields(body []byte, reqType reflect.Type) error {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return jsonError(err)
	}
	w := &fieldWalker{}
	w.walk("", doc, reqType)
	var parts []string
	if len(w.unsupported) > 0 {
		parts = append(parts, "unsupported by wharf: "+strings.Join(w.unsupported, "; "))
	}
	if len(w.unknown) > 0 {
		parts = append(parts, "unknown field: "+strings.Join(w.unknown, "; "))
	}
	if len(parts) > 0 {
		return errorf(http.StatusBadRequest, "%s", strings.Join(parts, "; "))
	}
	return nil
}

// maxFieldProblems bounds the problems listed in one answer.
const maxFieldProblems = 20

type fieldWalker struct {
	unsupported, unknown []string
}

func (w *fieldWalker) full() bool {
	return len(w.unsupported)+len(w.unknown) >= maxFieldProblems
}

var durationType = reflect.TypeOf(time.Duration(0))

// walk checks v, decoded from JSON, against the Go type t.
func (w *fieldWalker) walk(path string, v any, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if obj, ok := v.(map[string]any); ok && t != durationType {
			w.object(path, obj, t)
		}
	case reflect.Slice, reflect.Array:
		if l, ok := v.([]any); ok && structLike(t.Elem()) {
			for i, e := range l {
				w.walk(fmt.Sprintf("%s[%d]", path, i), e, t.Elem())
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok && structLike(t.Elem()) {
			for _, k := range sortedKeys(m) {
				w.walk(fmt.Sprintf("%s[%q]", path, k), m[k], t.Elem())
			}
		}
	}
}

func structLike(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct && t != durationType
}

func (w *fieldWalker) object(path string, obj map[string]any, t reflect.Type) {
	fields := jsonFields(t)
	nomad := nomadFields[t.Name()]
	unsupported := unsupportedFields[t.Name()]
	for _, k := range sortedKeys(obj) {
		if w.full() {
			return
		}
		p := joinPath(path, k)
		if ft, ok := fields[strings.ToLower(k)]; ok {
			if name, ok := matchName(k, unsupported); ok && isSetJSON(obj[k]) {
				w.unsupported = append(w.unsupported, joinPath(path, name))
				continue
			}
			w.walk(p, obj[k], ft)
			continue
		}
		name, known := matchName(k, nomad)
		switch {
		case !known:
			w.unknown = append(w.unknown, p)
		case isSetJSON(obj[k]) && !contains(ignoredWhenSet[t.Name()], name):
			w.unsupported = append(w.unsupported, joinPath(path, name))
		}
	}
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// matchName finds k among names, ignoring case as encoding/json does.
func matchName(k string, names []string) (string, bool) {
	for _, n := range names {
		if strings.EqualFold(n, k) {
			return n, true
		}
	}
	return "", false
}

func contains(names []string, n string) bool {
	_, ok := matchName(n, names)
	return ok
}

// isSetJSON reports whether a decoded JSON value is more than empty:
// null, false, 0, "", [] and objects whose members are all empty are not.
func isSetJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		for _, e := range x {
			if isSetJSON(e) {
				return true
			}
		}
		return false
	}
	return true
}

var fieldCache sync.Map // reflect.Type -> map[string]reflect.Type

// jsonFields maps the lower-cased JSON names of struct t's fields to
// their types, following embedded structs as encoding/json does.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			for k, v := range jsonFields(f.Type) {
				m[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[strings.ToLower(name)] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
