package drivers

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ErrUnknownDriver is returned by Schemas.Validate for a driver name no
// schema is known for.
var ErrUnknownDriver = errors.New("unknown driver")

// Kind is the type a driver config key takes.
type Kind int

// Kinds of config values, as HCL or JSON decoding delivers them.
const (
	// KindString is a string.
	KindString Kind = iota
	// KindStringList is a list of strings, or one string.
	KindStringList
	// KindScalarList is a list of strings, numbers or booleans.
	KindScalarList
	// KindPortMap is a map (or list of maps, as HCL blocks decode) of
	// ports: numbers or numeric strings in 1-65535.
	KindPortMap
	// KindScalarMap is a map (or list of maps) of strings, numbers or
	// booleans.
	KindScalarMap
)

// Field is the schema of one config key.
type Field struct {
	Kind Kind
	// Required keys must be present and, for strings, not blank.
	Required bool
	// Enum, when set, lists the values a string may take.
	Enum []string
}

// ConfigSchema describes a driver's config block: its keys and their
// types. Validate checks a config against it without any OS access, so a
// server can refuse a bad config when the job is submitted instead of a
// client failing the task. The driver still parses the config fully when
// it starts the task (paths, cross-field rules, port labels).
type ConfigSchema map[string]Field

// Validate checks config against s. Strings that interpolate runtime
// values ("${NOMAD_PORT_http}", "${meta.x}") are accepted wherever a
// string, an enum value or a port is expected: the client interpolates
// them before the driver reads the config. Errors name the key, e.g.
// `config.network_mode: "vnet" is not one of "bridge", "host"`.
func (s ConfigSchema) Validate(config map[string]any) error {
	var problems []string
	more := 0 // problems beyond maxConfigProblems, counted only
	for _, k := range sortedKeys(config) {
		f, ok := s[k]
		if len(problems) >= maxConfigProblems {
			if !ok || f.check("config."+k, config[k]) != nil {
				more++
			}
			continue
		}
		if !ok {
			problems = append(problems, fmt.Sprintf("config.%s: unknown key (known keys: %s)", k, strings.Join(sortedKeys(s), ", ")))
			continue
		}
		if err := f.check("config."+k, config[k]); err != nil {
			problems = append(problems, err.Error())
		}
	}
	for _, k := range sortedKeys(s) {
		if _, ok := config[k]; !ok && s[k].Required {
			problems = append(problems, fmt.Sprintf("config.%s: missing required key", k))
		}
	}
	if more > 0 {
		problems = append(problems, fmt.Sprintf("and %d more problems", more))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// maxConfigProblems bounds the problems Validate names: a config with a
// million unknown keys fits in a job body, and naming each (with the
// known keys) made an error of tens of megabytes.
const maxConfigProblems = 20

func (f Field) check(key string, v any) error {
	if v == nil {
		if f.Required {
			return fmt.Errorf("%s: missing required key", key)
		}
		return nil
	}
	switch f.Kind {
	case KindString:
		return f.checkString(key, v)
	case KindStringList:
		if _, ok := v.(string); ok {
			return nil
		}
		return eachElem(key, v, func(k string, e any) error { return typed[string](k, e, "a string") })
	case KindScalarList:
		return eachElem(key, v, checkScalar)
	case KindPortMap:
		return eachEntry(key, v, checkPort)
	case KindScalarMap:
		return eachEntry(key, v, checkScalar)
	}
	return fmt.Errorf("%s: no schema for this key's kind", key)
}

func (f Field) checkString(key string, v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("%s: %s is not a string", key, describe(v))
	}
	if f.Required && strings.TrimSpace(s) == "" {
		return fmt.Errorf("%s: must not be empty", key)
	}
	if len(f.Enum) > 0 && !interpolated(s) && !slices.Contains(f.Enum, s) {
		return fmt.Errorf("%s: %q is not one of %s", key, s, quoteAll(f.Enum))
	}
	return nil
}

// interpolated reports whether s holds a runtime interpolation.
func interpolated(s string) bool { return strings.Contains(s, "${") }

func typed[T any](key string, v any, what string) error {
	if _, ok := v.(T); !ok {
		return fmt.Errorf("%s: %s is not %s", key, describe(v), what)
	}
	return nil
}

func checkScalar(key string, v any) error {
	switch v.(type) {
	case string, bool, float64, int, int64, json.Number:
		return nil
	}
	return fmt.Errorf("%s: %s is not a string, number or boolean", key, describe(v))
}

func checkPort(key string, v any) error {
	var n float64
	switch p := v.(type) {
	case string:
		if interpolated(p) {
			return nil
		}
		i, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return fmt.Errorf("%s: %q is not a port", key, p)
		}
		n = float64(i)
	case json.Number:
		return checkPort(key, p.String())
	case float64:
		n = p
	case int:
		n = float64(p)
	case int64:
		n = float64(p)
	default:
		return fmt.Errorf("%s: %s is not a port", key, describe(v))
	}
	if n != math.Trunc(n) || n < 1 || n > 65535 {
		return fmt.Errorf("%s: %v is not a port (1-65535)", key, v)
	}
	return nil
}

// eachElem checks every element of a list.
func eachElem(key string, v any, check func(string, any) error) error {
	switch l := v.(type) {
	case []any:
		for i, e := range l {
			if err := check(fmt.Sprintf("%s[%d]", key, i), e); err != nil {
				return err
			}
		}
		return nil
	case []string:
		return nil
	}
	return fmt.Errorf("%s: %s is not a list", key, describe(v))
}

// eachEntry checks every value of a map, or of each map in a list of maps.
func eachEntry(key string, v any, check func(string, any) error) error {
	switch m := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(m) {
			if err := check(fmt.Sprintf("%s[%q]", key, k), m[k]); err != nil {
				return err
			}
		}
		return nil
	case map[string]string:
		for _, k := range sortedKeys(m) {
			if err := check(fmt.Sprintf("%s[%q]", key, k), m[k]); err != nil {
				return err
			}
		}
		return nil
	case []any:
		for i, e := range m {
			if err := eachEntry(fmt.Sprintf("%s[%d]", key, i), e, check); err != nil {
				return err
			}
		}
		return nil
	case []map[string]any:
		for i, e := range m {
			if err := eachEntry(fmt.Sprintf("%s[%d]", key, i), e, check); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%s: %s is not a map", key, describe(v))
}

// describe names a decoded value's type as a job's author would.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case float64, int, int64, json.Number:
		return fmt.Sprintf("the number %v", x)
	case []any, []string, []map[string]any:
		return "a list"
	case map[string]any, map[string]string:
		return "a map"
	}
	return fmt.Sprintf("a %T", v)
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Schemas are the config schemas of the drivers a cluster knows, by
// driver name.
type Schemas map[string]ConfigSchema

// Validate checks a task's driver name and config: an unknown driver is
// an error naming the known ones, a config is checked against its
// driver's schema.
func (s Schemas) Validate(driver string, config map[string]any) error {
	schema, ok := s[driver]
	if !ok {
		return fmt.Errorf("Driver: %q: %w (known drivers: %s)", driver, ErrUnknownDriver, quoteAll(sortedKeys(s)))
	}
	if err := schema.Validate(config); err != nil {
		return fmt.Errorf("invalid %s config: %w", driver, err)
	}
	return nil
}
