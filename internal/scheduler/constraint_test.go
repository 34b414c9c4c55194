package scheduler

import (
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestTargetResolve(t *testing.T) {
	n := testNode("id-1", "dc9")
	n.NodeClass = "big"
	n.NodePool = "gpu"
	tests := []struct {
		target string
		want   string
		ok     bool
	}{
		{"linux", "linux", true},
		{"${attr.kernel.name}", "linux", true},
		{"${attr.nope}", "", false},
		{"${meta.rack}", "r1", true},
		{"${meta.nope}", "", false},
		{"${node.datacenter}", "dc9", true},
		{"${node.unique.id}", "id-1", true},
		{"${node.unique.name}", "node-id-1", true},
		{"${node.class}", "big", true},
		{"${node.pool}", "gpu", true},
		{"${node.bogus}", "", false},
		{"prefix-${node.class}", "prefix-${node.class}", true},
	}
	for _, tt := range tests {
		got, ok := parseTarget(tt.target).resolve(n)
		if got != tt.want || ok != tt.ok {
			t.Errorf("resolve(%q) = %q %v, want %q %v", tt.target, got, ok, tt.want, tt.ok)
		}
	}
	if v, _ := parseTarget("${node.pool}").resolve(testNode("x", "dc1")); v != defaultPool {
		t.Errorf("empty pool resolves to %q", v)
	}
}

func TestConstraintOperators(t *testing.T) {
	n := testNode("x", "dc1")
	n.Attributes["nomad.version"] = "1.6.2"
	n.Attributes["os.release"] = "13.1-RELEASE"
	n.Attributes["features"] = "a, b,c"
	n.Attributes["mem"] = "9"
	tests := []struct {
		l, op, r string
		want     bool
	}{
		{"${attr.kernel.name}", "=", "linux", true},
		{"${attr.kernel.name}", "==", "linux", true},
		{"${attr.kernel.name}", "is", "freebsd", false},
		{"${attr.kernel.name}", "", "linux", true},
		{"${attr.missing}", "=", "linux", false},
		{"${attr.kernel.name}", "!=", "freebsd", true},
		{"${attr.kernel.name}", "not", "linux", false},
		{"${attr.missing}", "!=", "linux", true},
		{"${attr.mem}", "<", "10", true},  // numeric: 9 < 10
		{"${attr.mem}", ">", "10", false}, // lexically "9" > "10"
		{"${attr.mem}", "<=", "9", true},
		{"${attr.mem}", ">=", "9.5", false},
		{"${attr.kernel.name}", "<", "m", true}, // lexical
		{"${attr.kernel.name}", ">", "m", false},
		{"${attr.missing}", "<", "10", false},
		{"${attr.kernel.name}", "regexp", "^lin", true},
		{"${attr.kernel.name}", "regexp", "bsd$", false},
		{"${attr.kernel.name}", "regexp", "([", false},
		{"${attr.nomad.version}", "version", ">= 1.2, < 2", true},
		{"${attr.nomad.version}", "version", ">= 1.7", false},
		{"${attr.nomad.version}", "semver", "~> 1.6.0", true},
		{"${attr.nomad.version}", "version", "~> 1.5.0", false},
		{"${attr.nomad.version}", "version", "!= 1.6.2", false},
		{"${attr.nomad.version}", "version", "garbage", false},
		{"${attr.os.release}", "version", ">= 13.0", true},
		{"${attr.features}", "set_contains", "a,c", true},
		{"${attr.features}", "set_contains_all", "a,d", false},
		{"${attr.features}", "set_contains_any", "d, b", true},
		{"${attr.features}", "set_contains_any", "d,e", false},
		{"${attr.kernel.name}", "is_set", "", true},
		{"${attr.missing}", "is_set", "", false},
		{"${attr.missing}", "is_not_set", "", true},
		{"${attr.kernel.name}", "is_not_set", "", false},
		{"${node.datacenter}", "=", "dc1", true},
		{"${meta.rack}", "=", "${meta.rack}", true},
		{"${attr.kernel.name}", "regexp", "${attr.kernel.name}", true},
		{"${attr.kernel.name}", "bogus", "linux", false},
	}
	for _, tt := range tests {
		cc := compileConstraint(&structs.Constraint{LTarget: tt.l, Operand: tt.op, RTarget: tt.r})
		if got := cc.check(n); got != tt.want {
			t.Errorf("%s %s %s = %v, want %v", tt.l, tt.op, tt.r, got, tt.want)
		}
	}
}

func TestConstraintKey(t *testing.T) {
	tests := []struct {
		c    structs.Constraint
		want string
	}{
		{structs.Constraint{LTarget: "${attr.kernel.name}", Operand: "=", RTarget: "linux"}, "${attr.kernel.name} = linux"},
		{structs.Constraint{LTarget: "${attr.x}", Operand: "is_set"}, "${attr.x} is_set"},
		{structs.Constraint{LTarget: "${attr.x}", RTarget: "1"}, "${attr.x} = 1"},
	}
	for _, tt := range tests {
		if got := compileConstraint(&tt.c).key; got != tt.want {
			t.Errorf("key = %q, want %q", got, tt.want)
		}
	}
}

func TestConstraintsOnGroupAndTask(t *testing.T) {
	nodes := testNodes(3, "dc1")
	nodes[2].Meta["rack"] = "r2"
	nodes[1].Attributes["kernel.name"] = "freebsd"
	job := testJob("web", 2)
	job.TaskGroups[0].Constraints = []*structs.Constraint{{LTarget: "${attr.kernel.name}", RTarget: "linux"}}
	job.TaskGroups[0].Tasks[0].Constraints = []*structs.Constraint{{LTarget: "${meta.rack}", RTarget: "r2"}}
	res := run(t, newFakeState(nodes...), job)
	as := placed(res.Plan)
	if len(as) != 2 || as[0].NodeID != "n2" || as[1].NodeID != "n2" {
		t.Fatalf("placed %v", countBy(as, nodeOf))
	}
}
