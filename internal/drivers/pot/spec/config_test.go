package spec

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func seedConfig() map[string]any {
	return map[string]any{
		"image":    "https://potluck.honeyguide.net/nginx-nomad",
		"pot":      "nginx-nomad-amd64-13_1",
		"tag":      "1.1.13",
		"command":  "nginx",
		"args":     []any{"-g", "'daemon off;'"},
		"port_map": []any{map[string]any{"http": "80"}},
	}
}

func TestParseConfigSeed(t *testing.T) {
	c, err := ParseConfig(seedConfig())
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Image: "https://potluck.honeyguide.net/nginx-nomad", Pot: "nginx-nomad-amd64-13_1", Tag: "1.1.13",
		Command: "nginx", Args: []string{"-g", "'daemon off;'"}, PortMap: map[string]int{"http": 80},
		NetworkMode: NetworkBridge,
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	argv, err := ProcessArgs(c, nil)
	if err != nil || !reflect.DeepEqual(argv, []string{"nginx", "-g", "daemon off;"}) {
		t.Fatalf("argv %q, %v", argv, err)
	}
}

func TestParseConfigAllKeys(t *testing.T) {
	raw := seedConfig()
	raw["network_mode"] = "host"
	raw["port_map"] = map[string]any{"http": 8080.0}
	raw["mount"] = []string{"/data:/var/data"}
	raw["mount_read_only"] = []any{"/etc/ssl:/etc/ssl"}
	raw["copy"] = []any{"/tmp/a.conf:/usr/local/etc/a.conf"}
	raw["extra_hosts"] = []any{"db:10.0.0.5", "v6:fd00::1"}
	raw["attributes"] = map[string]any{"a": "x", "n": 3.0}
	c, err := ParseConfig(raw)
	if err != nil {
		t.Fatal(err)
	}
	if c.NetworkMode != NetworkHost || c.PortMap["http"] != 8080 || c.Mounts[0] != (Mount{"/data", "/var/data"}) ||
		c.MountsReadOnly[0].Dst != "/etc/ssl" || c.Copies[0].Src != "/tmp/a.conf" || len(c.ExtraHosts) != 2 ||
		c.Attributes["n"] != "3" {
		t.Fatalf("got %+v", c)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		key  string
		val  any
		want string
	}{
		{"port_map", map[string]any{"http": "eighty"}, `config.port_map["http"]: "eighty" is not a port`},
		{"port_map", map[string]any{"http": 70000.0}, `config.port_map["http"]: 70000 is not a port`},
		{"port_map", "80", `config.port_map: 80 is a string, not a map`},
		{"mount", []any{"/a"}, `config.mount[0]: "/a" must be "src:dst"`},
		{"mount_read_only", []any{"a:/b"}, `config.mount_read_only[0]: "a:/b": src and dst must be absolute`},
		{"copy", []any{":/b"}, `config.copy[0]: ":/b" must be "src:dst"`},
		{"args", []any{"-g", 3.0}, `config.args[1]: 3 is a float64, not a string`},
		{"command", 1.0, `config.command: 1 is a float64, not a string`},
		{"network_mode", "nat", `config.network_mode: "nat" is not`},
		{"extra_hosts", []any{"db"}, `config.extra_hosts[0]: "db" must be "name:ip"`},
		{"extra_hosts", []any{"x\n10.0.0.9\vapi:10.0.0.1"}, `config.extra_hosts[0]: "x\n10.0.0.9\vapi:10.0.0.1" must be "name:ip"`},
		{"extra_hosts", []any{"x\r:10.0.0.1"}, `must be "name:ip"`},
		{"extra_hosts", []any{"x#:10.0.0.1"}, `must be "name:ip"`},
		{"extra_hosts", []any{"x\u00a0y:10.0.0.1"}, `must be "name:ip"`},
		{"extra_hosts", []any{"db:nope"}, `config.extra_hosts[0]: "db:nope": "nope" is not an IP address`},
		{"attributes", map[string]any{"a": []any{}}, `config.attributes["a"]`},
		{"volumes", []any{}, `config.volumes: unknown key`},
		{"image", "", `config.image: missing required key`},
		{"pot", "", `config.pot: missing required key`},
		{"tag", " ", `config.tag: missing required key`},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			raw := seedConfig()
			raw[tt.key] = tt.val
			_, err := ParseConfig(raw)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrConfig) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  bool
	}{
		{`nginx -g 'daemon off;'`, []string{"nginx", "-g", "daemon off;"}, false},
		{`a  "b \"c\" $d" e\ f`, []string{"a", `b "c" $d`, "e f"}, false},
		{`x'y'"z"`, []string{"xyz"}, false},
		{`a ''`, []string{"a", ""}, false},
		{`a 'b`, nil, true},
		{`a "b`, nil, true},
	}
	for _, tt := range tests {
		got, err := SplitWords(tt.in)
		if (err != nil) != tt.err || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitWords(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestProcessArgsImageDefault(t *testing.T) {
	c := &Config{Args: []string{"-x"}}
	if got, _ := ProcessArgs(c, []string{"/bin/app", "a b"}); !reflect.DeepEqual(got, []string{"/bin/app", "a b", "-x"}) {
		t.Fatalf("got %q", got)
	}
	if _, err := ProcessArgs(c, nil); !errors.Is(err, ErrNoCommand) {
		t.Fatalf("err = %v", err)
	}
}

func TestHostsFile(t *testing.T) {
	got := string(HostsFile("web", "10.192.0.3", []string{"db:10.0.0.5", "bad"}))
	for _, want := range []string{"127.0.0.1\tlocalhost\n", "10.192.0.3\tweb\n", "10.0.0.5\tdb\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("hosts file lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "bad") {
		t.Errorf("invalid entry rendered:\n%s", got)
	}
}
