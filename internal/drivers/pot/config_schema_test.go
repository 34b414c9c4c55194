package pot

import (
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/drivers/pot/spec"
)

// TestConfigSchemaAgreesWithParse keeps the submit-time schema and the
// start-time parser in step on keys and types.
func TestConfigSchemaAgreesWithParse(t *testing.T) {
	base := func(k string, v any) map[string]any {
		m := map[string]any{"image": "http://r/i", "pot": "p", "tag": "1"}
		if k != "" {
			m[k] = v
		}
		return m
	}
	for k := range ConfigSchema {
		if _, err := spec.ParseConfig(map[string]any{k: nil}); err != nil && strings.Contains(err.Error(), "unknown key") {
			t.Errorf("schema key %q is unknown to spec.ParseConfig", k)
		}
	}
	for _, c := range []map[string]any{
		base("", nil),
		base("network_mode", "host"),
		base("network_mode", "vnet"),
		base("network_mode", 1.0),
		base("args", []any{"-g", "'daemon off;'"}),
		base("args", []any{1.0}),
		base("args", "one"),
		base("port_map", []any{map[string]any{"http": "80"}}),
		base("port_map", map[string]any{"http": 0.0}),
		base("port_map", "80"),
		base("attributes", map[string]any{"a": true}),
		base("attributes", map[string]any{"a": []any{}}),
		base("copy", []any{"/a:/b"}),
		base("mount", 5.0),
		base("vnet", true),
		{"image": "x"},
	} {
		_, perr := spec.ParseConfig(c)
		serr := ConfigSchema.Validate(c)
		if (perr == nil) != (serr == nil) {
			t.Errorf("config %v: spec.ParseConfig says %v, schema says %v", c, perr, serr)
		}
	}
}
