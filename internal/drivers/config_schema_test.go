package drivers

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

var testSchema = ConfigSchema{
	"image": {Kind: KindString, Required: true},
	"mode":  {Kind: KindString, Enum: []string{"bridge", "host"}},
	"args":  {Kind: KindScalarList},
	"mount": {Kind: KindStringList},
	"ports": {Kind: KindPortMap},
	"attrs": {Kind: KindScalarMap},
}

func TestConfigSchemaValidate(t *testing.T) {
	tests := []struct {
		name   string
		config map[string]any
		want   string // "" means valid
	}{
		{"minimal", map[string]any{"image": "x"}, ""},
		{"everything", map[string]any{"image": "x", "mode": "host", "args": []any{"a", 1.0, true},
			"mount": []any{"/a:/b"}, "ports": map[string]any{"http": 80.0, "b": "81"}, "attrs": []any{map[string]any{"a": 1}}}, ""},
		{"single string as list", map[string]any{"image": "x", "mount": "/a:/b"}, ""},
		{"interpolated enum and port", map[string]any{"image": "x", "mode": "${meta.mode}", "ports": map[string]any{"h": "${NOMAD_PORT_h}"}}, ""},
		{"unknown key", map[string]any{"image": "x", "imgae": "y"}, `config.imgae: unknown key (known keys: args, attrs, image, mode, mount, ports)`},
		{"missing required", map[string]any{}, "config.image: missing required key"},
		{"blank required", map[string]any{"image": " "}, "config.image: must not be empty"},
		{"wrong type", map[string]any{"image": 3.0}, "config.image: the number 3 is not a string"},
		{"bad enum", map[string]any{"image": "x", "mode": "vnet"}, `config.mode: "vnet" is not one of "bridge", "host"`},
		{"list of maps", map[string]any{"image": "x", "args": []any{map[string]any{}}}, "config.args[0]: a map is not a string, number or boolean"},
		{"not a list", map[string]any{"image": "x", "args": "a b"}, `config.args: "a b" is not a list`},
		{"string list element", map[string]any{"image": "x", "mount": []any{"/a:/b", 2.0}}, "config.mount[1]: the number 2 is not a string"},
		{"port out of range", map[string]any{"image": "x", "ports": map[string]any{"h": 70000.0}}, `config.ports["h"]: 70000 is not a port`},
		{"port not a number", map[string]any{"image": "x", "ports": map[string]any{"h": "web"}}, `config.ports["h"]: "web" is not a port`},
		{"map expected", map[string]any{"image": "x", "attrs": "a=b"}, `config.attrs: "a=b" is not a map`},
		{"every problem at once", map[string]any{"mode": 1.0, "x": 1.0}, "config.mode: the number 1 is not a string; config.x: unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := testSchema.Validate(tt.config)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Validate = %v, want valid", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSchemasValidate(t *testing.T) {
	s := Schemas{"pot": testSchema, "raw_exec": {"command": {Kind: KindString, Required: true}}}
	err := s.Validate("docker", map[string]any{"image": "x"})
	if !errors.Is(err, ErrUnknownDriver) || !strings.Contains(err.Error(), `"docker"`) || !strings.Contains(err.Error(), `"pot", "raw_exec"`) {
		t.Fatalf("unknown driver: %v", err)
	}
	if err := s.Validate("pot", map[string]any{"mode": "vnet", "image": "x"}); err == nil || !strings.HasPrefix(err.Error(), "invalid pot config: config.mode") {
		t.Fatalf("bad config: %v", err)
	}
	if err := s.Validate("raw_exec", map[string]any{"command": "/bin/true"}); err != nil {
		t.Fatalf("good config: %v", err)
	}
}

// TestValidateBoundsProblems checks a config with 100,000 unknown keys:
// the error names maxConfigProblems of them and counts the rest, where
// it used to name each with the known keys (17 MB for one job).
func TestValidateBoundsProblems(t *testing.T) {
	s := ConfigSchema{"command": {Kind: KindString, Required: true}, "args": {Kind: KindStringList}}
	config := map[string]any{"command": "/bin/true", "args": []any{"a"}}
	for i := range 100_000 {
		config[fmt.Sprintf("u%d", i)] = 1
	}
	err := s.Validate(config)
	if err == nil {
		t.Fatal("100,000 unknown keys accepted")
	}
	msg := err.Error()
	if want := fmt.Sprintf("; and %d more problems", 100_000-maxConfigProblems); !strings.HasSuffix(msg, want) {
		t.Fatalf("error ends %q, want %q", msg[max(0, len(msg)-80):], want)
	}
	if len(msg) > 16<<10 {
		t.Fatalf("the error is %d bytes", len(msg))
	}
}
