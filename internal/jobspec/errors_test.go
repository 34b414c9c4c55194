package jobspec

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// wantDiag is one expected diagnostic: its position and words of its text.
type wantDiag struct {
	line, col int
	text      string
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []wantDiag
	}{
		{"syntax error", "job \"j\" {\n  count = \n}\n", []wantDiag{{2, 11, "Invalid expression"}}},
		{"unclosed block", "job \"j\" {\n  group \"g\" {\n", []wantDiag{{2, 13, "Unclosed configuration block"}}},
		{"no job", "variable \"x\" {\n  default = 1\n}\n", []wantDiag{{1, 1, "Missing job block"}}},
		{"two jobs", "job \"a\" {}\njob \"b\" {}\n", []wantDiag{{2, 1, "Duplicate job block"}}},
		{"job without name", "job {\n}\n", []wantDiag{{1, 1, "Missing name"}}},
		{"top-level attribute", "count = 1\n" + inJob(""), []wantDiag{{1, 1, `argument named "count" is not expected in a file block`}}},
		{"unknown attribute with suggestion", inTask(`drivr = "pot"`), []wantDiag{{8, 1, `"drivr" is not expected in a task block (did you mean "driver"?)`}}},
		{"unknown block with suggestion", inTask(`resource {
  cpu = 1
}`), []wantDiag{{8, 1, `blocks of type "resource" are not expected in a task block (did you mean "resources"?)`}}},
		{"unknown attribute without suggestion", inGroup(`flavour = "x"`), []wantDiag{{3, 1, `an argument named "flavour" is not expected in a group block`}}},
		{"block written as argument", inTask(`config = { image = "x" }`), []wantDiag{{8, 1, `"config" is a block in a task block, not an argument (write config { ... })`}}},
		{"argument written as block", inTask(`driver {
}`), []wantDiag{{8, 1, `"driver" is an argument in a task block, not a block`}}},
		{"wrong type count", inGroup(`count = "two"`), []wantDiag{{3, 9, `inappropriate value for "count": a number is required, got string`}}},
		{"fractional count", inGroup(`count = 1.5`), []wantDiag{{3, 9, `"count" must be a whole number`}}},
		{"wrong type list", inJob(`datacenters = "dc1"`), []wantDiag{{2, 15, "a list of strings is required"}}},
		{"wrong type bool", inJob(`all_at_once = "maybe"`), []wantDiag{{2, 15, "a bool is required"}}},
		{"negative count", inGroup(`count = -1`), []wantDiag{{3, 1, "count -1 must not be negative"}}},
		{"missing driver", "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n    }\n  }\n}\n", []wantDiag{{3, 5, "missing driver"}}},
		{"duplicate group", "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"x\"\n    }\n  }\n  group \"g\" {\n    task \"t\" {\n      driver = \"x\"\n    }\n  }\n}\n",
			[]wantDiag{{7, 9, `a group named "g" was already defined at line 2`}}},
		{"duplicate task", inGroup("task \"t\" {\n  driver = \"x\"\n}"), []wantDiag{{6, 10, `a task named "t" was already defined at line 3`}}},
		{"duplicate port in group", inGroup("network {\n  port \"a\" {}\n  port \"a\" {}\n}"), []wantDiag{{5, 8, `port "a" was already declared at line 4`}}},
		{"duplicate port across group and task", inTask("resources {\n  network {\n    port \"http\" {}\n  }\n}"), []wantDiag{{10, 10, `port "http" was already declared at line 4`}}},
		{"bad duration", inTask(`kill_timeout = "5 seconds"`), []wantDiag{{8, 16, `"5 seconds" is not a duration`}}},
		{"numeric duration", inTask(`kill_timeout = 5`), []wantDiag{{8, 16, "must be a duration string with a unit, not a number"}}},
		{"bad check duration", inTask("service {\n  port = \"http\"\n  check {\n    type = \"tcp\"\n    interval = \"5 seconds\"\n    timeout = \"1s\"\n  }\n}"),
			[]wantDiag{{12, 16, `"interval": "5 seconds" is not a duration`}}},
		{"undeclared service port", inTask("service {\n  port = \"web\"\n}"), []wantDiag{{9, 3, `port label "web" is not declared`}}},
		{"undeclared check port", inTask("service {\n  port = \"http\"\n  check {\n    type = \"tcp\"\n    port = \"admin\"\n    interval = \"5s\"\n    timeout = \"1s\"\n  }\n}"),
			[]wantDiag{{12, 5, `port label "admin" is not declared`}}},
		{"group service sees no task port", "job \"j\" {\n  group \"g\" {\n    service {\n      port = \"http\"\n    }\n    task \"t\" {\n      driver = \"x\"\n      resources {\n        network {\n          port \"http\" {}\n        }\n      }\n    }\n  }\n}\n",
			[]wantDiag{{4, 7, `port label "http" is not declared`}}},
		{"grpc check", inTask("service {\n  port = \"http\"\n  check {\n    type = \"grpc\"\n    interval = \"5s\"\n    timeout = \"1s\"\n  }\n}"),
			[]wantDiag{{11, 5, "grpc checks are not supported by wharf"}}},
		{"http check without path", inTask("service {\n  port = \"http\"\n  check {\n    type = \"http\"\n    interval = \"5s\"\n    timeout = \"1s\"\n  }\n}"),
			[]wantDiag{{10, 3, "http check needs a path"}}},
		{"script check without command", inTask("service {\n  check {\n    type = \"script\"\n    interval = \"5s\"\n    timeout = \"1s\"\n  }\n}"),
			[]wantDiag{{9, 3, "script check needs a command"}}},
		{"short check interval", inTask("service {\n  port = \"http\"\n  check {\n    type = \"tcp\"\n    interval = \"100ms\"\n    timeout = \"1s\"\n  }\n}"),
			[]wantDiag{{12, 5, "check interval 100ms is below the minimum of 1s"}}},
		{"bad restart mode", inGroup("restart {\n  mode = \"never\"\n}"), []wantDiag{{4, 3, `unknown restart mode "never"`}}},
		{"bad delay function", inGroup("reschedule {\n  delay_function = \"linear\"\n}"), []wantDiag{{4, 3, `unknown delay function "linear"`}}},
		{"negative max_parallel", inGroup("update {\n  max_parallel = -1\n}"), []wantDiag{{4, 3, "max_parallel -1 must not be negative"}}},
		{"spread over 100", inJob("spread {\n  attribute = \"${node.datacenter}\"\n  target \"a\" {\n    percent = 70\n  }\n  target \"b\" {\n    percent = 40\n  }\n}"),
			[]wantDiag{{4, 3, "add up to 110"}}},
		{"log max_files", inTask("logs {\n  max_files = 0\n}"), []wantDiag{{9, 3, "max_files 0 must be at least 1"}}},
		{"explicit zero cpu", inTask("resources {\n  cpu = 0\n}"), []wantDiag{{9, 9, "cpu 0 MHz is below the minimum of 1"}}},
		{"low memory", inTask("resources {\n  memory = 5\n}"), []wantDiag{{9, 3, "memory 5 MB is below the minimum of 10 MB"}}},
		{"static port out of range", inGroup("network {\n  port \"x\" {\n    static = 70000\n  }\n}"), []wantDiag{{5, 5, "static port 70000 is out of range"}}},
		{"priority out of range", inJob("priority = 200"), []wantDiag{{2, 1, "priority 200 is out of range"}}},
		{"system job", inJob(`type = "system"`), []wantDiag{{2, 1, `job type "system" is not supported by wharf`}}},
		{"job id with space", "job \"a b\" {\n  group \"g\" {\n    task \"t\" {\n      driver = \"x\"\n    }\n  }\n}\n", []wantDiag{{1, 5, "contains a space"}}},
		{"env twice", inTask("env = { A = \"1\" }\nenv {\n  B = \"2\"\n}"), []wantDiag{{9, 1, "env is set both as an argument (line 8) and as a block"}}},
		{"two network blocks", inGroup("network {\n}\nnetwork {\n}"), []wantDiag{{5, 1, "only one network block is allowed here"}}},
		{"conflicting constraint", inJob("constraint {\n  attribute = \"${attr.x}\"\n  regexp = \"a\"\n  version = \">1\"\n}"), []wantDiag{{2, 12, "more than one operator"}}},
		{"unknown variable", inTask(`user = foo`), []wantDiag{{8, 8, "Unknown variable"}}},
		{"unquoted runtime reference", inTask(`user = attr.x`), []wantDiag{{8, 8, `runtime values must be quoted`}}},
		{"undeclared var", inTask(`user = var.nope`), []wantDiag{{8, 11, "Unsupported attribute"}}},
		{"variable without value", "variable \"x\" {}\n" + inJob(""), []wantDiag{{1, 1, `variable "x" has no default and no value was given`}}},
		{"variable validation block", "variable \"x\" {\n  default = 1\n  validation {}\n}\n" + inJob(""), []wantDiag{{3, 3, `"validation" is not supported by wharf`}}},
		{"several problems at once", inTask("drivr = \"x\"\nkill_timeout = \"soon\"\ntemplate {}"),
			[]wantDiag{{8, 1, `"drivr"`}, {9, 16, `"soon" is not a duration`}, {10, 1, `"template" is not supported`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertDiags(t, tt.src, tt.want)
		})
	}
}

// assertDiags parses src and checks that each wanted diagnostic is there,
// at its position, and that Error prints it as file:line:col.
func assertDiags(t *testing.T, src string, want []wantDiag) {
	t.Helper()
	_, err := Parse("t.hcl", []byte(src))
	var diags Diagnostics
	if !errors.As(err, &diags) {
		t.Fatalf("err = %v (%T), want Diagnostics\nsource:\n%s", err, err, src)
	}
	msg := err.Error()
	for _, w := range want {
		prefix := fmt.Sprintf("t.hcl:%d:%d: ", w.line, w.col)
		found := false
		for _, line := range strings.Split(msg, "\n") {
			if strings.HasPrefix(line, prefix) && strings.Contains(line, w.text) {
				found = true
			}
		}
		if !found {
			t.Errorf("want %s...%s; got:\n%s\nsource:\n%s", prefix, w.text, msg, numbered(src))
		}
	}
}

func numbered(src string) string {
	lines := strings.Split(src, "\n")
	for i := range lines {
		lines[i] = fmt.Sprintf("%3d  %s", i+1, lines[i])
	}
	return strings.Join(lines, "\n")
}

// TestUnsupportedFeatures checks that every Nomad feature wharf lacks is
// an error naming it, with a hint, at the place it is written.
func TestUnsupportedFeatures(t *testing.T) {
	tests := []struct {
		where, name, src string
	}{
		{"job", "vault", "vault {}"}, {"job", "periodic", "periodic {}"}, {"job", "parameterized", "parameterized {}"},
		{"job", "multiregion", "multiregion {}"}, {"job", "affinity", "affinity {}"},
		{"job", "ui", "ui {}"}, {"job", "consul_token", `consul_token = "x"`}, {"job", "task", "task \"x\" {}"},
		{"group", "volume", "volume \"v\" {}"}, {"group", "scaling", "scaling {}"}, {"group", "consul", "consul {}"},
		{"group", "disconnect", "disconnect {}"}, {"group", "max_client_disconnect", `max_client_disconnect = "1h"`},
		{"group", "affinity", "affinity {}"},
		{"task", "template", "template {}"}, {"task", "artifact", "artifact {}"}, {"task", "vault", "vault {}"},
		{"task", "volume_mount", "volume_mount {}"}, {"task", "csi_plugin", "csi_plugin {}"},
		{"task", "lifecycle", "lifecycle {}"}, {"task", "dispatch_payload", "dispatch_payload {}"},
		{"task", "consul", "consul {}"}, {"task", "identity", "identity {}"}, {"task", "secret", "secret \"s\" {}"},
		{"task", "action", "action \"a\" {}"}, {"task", "scaling", "scaling \"cpu\" {}"}, {"task", "affinity", "affinity {}"},
		{"task", "kind", `kind = "x"`},
		{"resources", "device", "device \"nvidia/gpu\" {}"}, {"resources", "numa", "numa {}"},
		{"service", "connect", "connect {}"}, {"service", "tagged_addresses", "tagged_addresses {}"},
		{"check", "grpc_service", `grpc_service = "x"`}, {"check", "expose", "expose = true"},
		{"network", "dns", "dns {}"}, {"task", "dynamic", "dynamic \"service\" {}"},
	}
	for _, tt := range tests {
		t.Run(tt.where+"/"+tt.name, func(t *testing.T) {
			src, line := unsupportedSource(tt.where, tt.src)
			assertDiags(t, src, []wantDiag{{line, 1, fmt.Sprintf("Unsupported feature: %q is not supported by wharf (", tt.name)}})
		})
	}
}

// unsupportedSource places snippet at the start of a line in the given
// block of an otherwise valid job and returns the line it is on.
func unsupportedSource(where, snippet string) (string, int) {
	switch where {
	case "job":
		return inJob(snippet), 2
	case "group":
		return inGroup(snippet), 3
	case "task":
		return inTask(snippet), 8
	case "resources":
		return inTask("resources {\n" + snippet + "\n}"), 9
	case "service":
		return inTask("service {\nport = \"http\"\n" + snippet + "\n}"), 10
	case "check":
		return inTask("service {\nport = \"http\"\ncheck {\ntype = \"tcp\"\ninterval = \"5s\"\ntimeout = \"1s\"\n" + snippet + "\n}\n}"), 14
	default: // group network
		return inGroup("network {\n" + snippet + "\n}"), 4
	}
}
