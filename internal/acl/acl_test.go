package acl

import (
	"errors"
	"strings"
	"testing"
)

func mustParse(t *testing.T, rules string) *Policy {
	t.Helper()
	p, err := Parse(rules)
	if err != nil {
		t.Fatalf("parse %q: %v", rules, err)
	}
	return p
}

func compile(t *testing.T, rules ...string) *ACL {
	t.Helper()
	var ps []*Policy
	for _, r := range rules {
		ps = append(ps, mustParse(t, r))
	}
	return New(ps)
}

func TestNamespaceOperations(t *testing.T) {
	tests := []struct {
		name  string
		rules []string
		ns    string
		cap   string
		want  bool
	}{
		{"no rules deny", nil, "default", CapReadJob, false},
		{"read grants read-job", []string{`namespace "default" { policy = "read" }`}, "default", CapReadJob, true},
		{"read grants list-jobs", []string{`namespace "default" { policy = "read" }`}, "default", CapListJobs, true},
		{"read lacks submit-job", []string{`namespace "default" { policy = "read" }`}, "default", CapSubmitJob, false},
		{"read lacks read-logs", []string{`namespace "default" { policy = "read" }`}, "default", CapReadLogs, false},
		{"write grants submit-job", []string{`namespace "default" { policy = "write" }`}, "default", CapSubmitJob, true},
		{"write grants alloc-exec", []string{`namespace "default" { policy = "write" }`}, "default", CapAllocExec, true},
		{"write lacks alloc-node-exec", []string{`namespace "default" { policy = "write" }`}, "default", CapAllocNodeExec, false},
		{"scale grants scale-job", []string{`namespace "default" { policy = "scale" }`}, "default", CapScaleJob, true},
		{"scale lacks read-job", []string{`namespace "default" { policy = "scale" }`}, "default", CapReadJob, false},
		{"other namespace", []string{`namespace "default" { policy = "write" }`}, "prod", CapReadJob, false},
		{"capabilities only", []string{`namespace "default" { capabilities = ["read-logs"] }`}, "default", CapReadLogs, true},
		{"capabilities add to policy", []string{`namespace "default" {
  policy = "read"
  capabilities = ["alloc-exec"]
}`}, "default", CapAllocExec, true},
		{"policies add up", []string{`namespace "default" { policy = "read" }`, `namespace "default" { capabilities = ["submit-job"] }`}, "default", CapSubmitJob, true},
		{"deny wins over write", []string{`namespace "default" { policy = "write" }`, `namespace "default" { policy = "deny" }`}, "default", CapReadJob, false},
		{"deny capability wins", []string{`namespace "default" { capabilities = ["deny", "read-job"] }`}, "default", CapReadJob, false},
		{"glob star", []string{`namespace "*" { policy = "read" }`}, "anything", CapReadJob, true},
		{"glob prefix", []string{`namespace "prod-*" { policy = "write" }`}, "prod-web", CapSubmitJob, true},
		{"glob prefix miss", []string{`namespace "prod-*" { policy = "write" }`}, "dev-web", CapSubmitJob, false},
		{"exact beats glob", []string{`namespace "*" { policy = "write" }`, `namespace "default" { policy = "read" }`}, "default", CapSubmitJob, false},
		{"closest glob wins", []string{`namespace "*" { policy = "write" }`, `namespace "prod-*" { policy = "deny" }`}, "prod-web", CapReadJob, false},
		{"closest glob wins other way", []string{`namespace "*" { policy = "deny" }`, `namespace "prod-*" { policy = "write" }`}, "prod-web", CapSubmitJob, true},
		{"glob middle", []string{`namespace "a*z" { policy = "read" }`}, "abcz", CapReadJob, true},
		{"glob middle miss", []string{`namespace "a*z" { policy = "read" }`}, "abcza", CapReadJob, false},
		{"json policy", []string{`{"namespace": {"default": {"policy": "write"}}}`}, "default", CapSubmitJob, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := compile(t, tc.rules...)
			if got := a.AllowNamespaceOperation(tc.ns, tc.cap); got != tc.want {
				t.Fatalf("AllowNamespaceOperation(%q, %q) = %v, want %v", tc.ns, tc.cap, got, tc.want)
			}
		})
	}
}

func TestLevelRules(t *testing.T) {
	tests := []struct {
		rules []string
		check func(*ACL) bool
		want  bool
	}{
		{nil, (*ACL).AllowNodeRead, false},
		{[]string{`node { policy = "read" }`}, (*ACL).AllowNodeRead, true},
		{[]string{`node { policy = "read" }`}, (*ACL).AllowNodeWrite, false},
		{[]string{`node { policy = "write" }`}, (*ACL).AllowNodeRead, true},
		{[]string{`node { policy = "write" }`}, (*ACL).AllowNodeWrite, true},
		{[]string{`node { policy = "write" }`, `node { policy = "deny" }`}, (*ACL).AllowNodeRead, false},
		{[]string{`node { policy = "read" }`, `node { policy = "write" }`}, (*ACL).AllowNodeWrite, true},
		{[]string{`agent { policy = "read" }`}, (*ACL).AllowAgentRead, true},
		{[]string{`agent { policy = "read" }`}, (*ACL).AllowAgentWrite, false},
		{[]string{`agent { policy = "write" }`}, (*ACL).AllowAgentWrite, true},
		{[]string{`operator { policy = "read" }`}, (*ACL).AllowOperatorRead, true},
		{[]string{`operator { policy = "read" }`}, (*ACL).AllowOperatorWrite, false},
		{[]string{`operator { policy = "write" }`}, (*ACL).AllowOperatorWrite, true},
		{[]string{`node { policy = "write" }`}, (*ACL).AllowOperatorRead, false},
		{[]string{`plugin { policy = "read" }`}, (*ACL).AllowPluginRead, true},
		{[]string{`plugin { policy = "list" }`}, (*ACL).AllowPluginRead, false},
		{[]string{`quota { policy = "read" }`}, (*ACL).AllowQuotaRead, true},
	}
	for i, tc := range tests {
		if got := tc.check(compile(t, tc.rules...)); got != tc.want {
			t.Errorf("case %d %v: got %v, want %v", i, tc.rules, got, tc.want)
		}
	}
}

func TestServiceRules(t *testing.T) {
	tests := []struct {
		name    string
		rules   []string
		service string
		read    bool
		write   bool
	}{
		{"no rule", nil, "web", false, false},
		{"exact read", []string{`service "web" { policy = "read" }`}, "web", true, false},
		{"exact write", []string{`service "web" { policy = "write" }`}, "web", true, true},
		{"exact other name", []string{`service "web" { policy = "write" }`}, "webx", false, false},
		{"empty prefix", []string{`service_prefix "" { policy = "read" }`}, "web", true, false},
		{"prefix", []string{`service_prefix "ext-" { policy = "write" }`}, "ext-db", true, true},
		{"prefix miss", []string{`service_prefix "ext-" { policy = "write" }`}, "db", false, false},
		{"longest prefix wins", []string{`service_prefix "" { policy = "write" }
service_prefix "web" { policy = "deny" }`}, "web-1", false, false},
		{"exact beats prefix", []string{`service_prefix "" { policy = "write" }
service "web" { policy = "read" }`}, "web", true, false},
		{"deny merges over write", []string{`service "web" { policy = "write" }`, `service "web" { policy = "deny" }`}, "web", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := compile(t, tc.rules...)
			if got := a.AllowServiceRead(tc.service); got != tc.read {
				t.Errorf("AllowServiceRead(%q) = %v, want %v", tc.service, got, tc.read)
			}
			if got := a.AllowServiceWrite(tc.service); got != tc.write {
				t.Errorf("AllowServiceWrite(%q) = %v, want %v", tc.service, got, tc.write)
			}
		})
	}
}

func TestManagementAllowsEverything(t *testing.T) {
	a := ManagementACL
	checks := []bool{a.IsManagement(), a.AllowNamespaceOperation("x", CapAllocNodeExec), a.AllowNamespace("y"),
		a.AllowNodeWrite(), a.AllowAgentWrite(), a.AllowOperatorWrite(), a.AllowServiceWrite("z")}
	for i, ok := range checks {
		if !ok {
			t.Errorf("check %d denied for management", i)
		}
	}
	if compile(t, `namespace "*" { policy = "write" }`).IsManagement() {
		t.Error("a client ACL claims management")
	}
}

func TestParseRefusesBadPolicies(t *testing.T) {
	tests := []struct {
		name  string
		rules string
		want  string
	}{
		{"bad namespace policy", `namespace "default" { policy = "admin" }`, `policy "admin"`},
		{"unknown capability", `namespace "default" { capabilities = ["root"] }`, `unknown capability "root"`},
		{"bad node policy", `node { policy = "scale" }`, `node: policy "scale"`},
		{"node without policy", `node {}`, `Missing required argument`},
		{"unknown block", `variables "x" { policy = "read" }`, `Unsupported block type`},
		{"unknown attribute", `namespace "default" { polcy = "read" }`, `Unsupported argument`},
		{"syntax error", `namespace "default" {`, `policy.hcl:1`},
		{"bad service policy", `service "web" { policy = "scale" }`, `service "web": policy "scale"`},
		{"bad plugin policy", `plugin { policy = "write" }`, `plugin: policy "write"`},
		{"too large", strings.Repeat("#", MaxRulesBytes+1), "more than"},
		{"deep nesting", strings.Repeat("[", 20000), "policy.hcl"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.rules)
			if err == nil {
				t.Fatal("parse succeeded")
			}
			if !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want ErrInvalidPolicy containing %q", err, tc.want)
			}
		})
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"*", "abc", true}, {"a*", "abc", true}, {"a*", "ba", false},
		{"*c", "abc", true}, {"*c", "cb", false}, {"a*b*c", "aXbYc", true}, {"a*b*c", "acb", false},
		{"abc", "abc", true}, {"abc", "abcd", false}, {"a**", "a", true}, {"ab*ab", "ab", false},
	}
	for _, tc := range tests {
		if got := globMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
