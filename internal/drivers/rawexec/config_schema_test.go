package rawexec

import "testing"

// TestConfigSchemaAgreesWithParse keeps the submit-time schema and the
// start-time parser in step: what one refuses, the other refuses.
func TestConfigSchemaAgreesWithParse(t *testing.T) {
	for _, c := range []map[string]any{
		{"command": "/bin/true"},
		{"command": "/bin/echo", "args": []any{"a", 1.0, true}},
		{"command": "/bin/echo", "args": []string{"a"}},
		{},
		{"command": ""},
		{"command": 1.0},
		{"command": "/bin/true", "env": "x"},
		{"command": "/bin/true", "args": "a"},
		{"command": "/bin/true", "args": []any{map[string]any{}}},
	} {
		_, perr := parseConfig(c)
		serr := ConfigSchema.Validate(c)
		if (perr == nil) != (serr == nil) {
			t.Errorf("config %v: parseConfig says %v, schema says %v", c, perr, serr)
		}
	}
}
