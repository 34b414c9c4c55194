package layout_test

import (
	"slices"
	"strings"
	"testing"
)

func TestParseRules(t *testing.T) {
	tests := []struct {
		name, doc string
		deny      []string
		except    []string
		through   []string
		testsOnly bool
		wantErr   string
	}{
		{name: "list", doc: "x must never import internal/server, internal/client or internal/state.",
			deny: []string{"internal/server", "internal/client", "internal/state"}},
		{name: "reason after a colon", doc: "It must never import internal/drivers: drivers import it. More prose.",
			deny: []string{"internal/drivers"}},
		{name: "remark in parentheses", doc: "x must never import internal/state (the cluster store) or internal/api; it talks HTTP.",
			deny: []string{"internal/state", "internal/api"}},
		{name: "external prefix and nor", doc: "x must never import any other wharf package nor go.etcd.io: it is a leaf.",
			deny: []string{itemOtherWharf, "go.etcd.io"}},
		{name: "except", doc: "x must never import anything outside the standard library except internal/structs.",
			deny: []string{itemNonStd}, except: []string{"internal/structs"}},
		{name: "except through", doc: "x must never import internal/server except through internal/agent.",
			deny: []string{"internal/server"}, through: []string{"internal/agent"}},
		{name: "tests only", doc: "x must only be imported by tests; it must never import internal/server.",
			deny: []string{"internal/server"}, testsOnly: true},
		{name: "trailing slash", doc: "x must never import cmd/ or test/.", deny: []string{"cmd", "test"}},
		{name: "standard library package", doc: "x must never import net/http or os/exec.", deny: []string{"net/http", "os/exec"}},
		{name: "no rule", doc: "x is a package."},
		{name: "short name", doc: "x must never import server or client.", wantErr: `item "server"`},
		{name: "imports only", doc: "x imports only internal/jsonlimit and the standard library. More.",
			deny: []string{itemNonStd}, except: []string{"internal/jsonlimit"}},
		{name: "imports only from wharf", doc: "x imports only internal/structs and internal/api from wharf; it talks HTTP.",
			deny: []string{itemOtherWharf}, except: []string{"internal/structs", "internal/api"}},
		{name: "imports only, short name", doc: "x imports only structs.", wantErr: `item "structs"`},
		{name: "loose wording", doc: "x must not import internal/api.", wantErr: `"must not import"`},
		{name: "loose test-only wording", doc: "x must only be imported by tests and dev tooling.", wantErr: "only be imported by"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := parseRules("internal/x", "internal/x/doc.go", tt.doc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var deny, except, through []string
			testsOnly := false
			for _, r := range rules {
				deny, except, through = append(deny, r.deny...), append(except, r.except...), append(through, r.through...)
				testsOnly = testsOnly || r.testsOnly
			}
			if !slices.Equal(deny, tt.deny) || !slices.Equal(except, tt.except) || !slices.Equal(through, tt.through) || testsOnly != tt.testsOnly {
				t.Errorf("got deny %q except %q through %q testsOnly %v, want %q %q %q %v",
					deny, except, through, testsOnly, tt.deny, tt.except, tt.through, tt.testsOnly)
			}
		})
	}
}

// fakeGraph builds a graph from import edges between module paths;
// paths with a dot in their first element are outside the module, and
// std marks standard library packages.
func fakeGraph(edges map[string][]string, std ...string) *graph {
	const mod = "example.org/m"
	g := &graph{goos: "linux", module: mod, pkgs: map[string]*pkg{}, testOnly: map[string]bool{}}
	abs := func(p string) string {
		if strings.Contains(strings.Split(p, "/")[0], ".") || slices.Contains(std, p) || p == "C" {
			return p
		}
		return mod + "/" + p
	}
	add := func(p string) {
		if _, ok := g.pkgs[abs(p)]; ok {
			return
		}
		np := &pkg{ImportPath: abs(p), Standard: slices.Contains(std, p)}
		if abs(p) != p {
			np.Module = &struct{ Main bool }{true}
			g.own = append(g.own, p)
		}
		g.pkgs[abs(p)] = np
	}
	for from, tos := range edges {
		add(from)
		for _, to := range tos {
			add(to)
			g.pkgs[abs(from)].Imports = append(g.pkgs[abs(from)].Imports, abs(to))
		}
	}
	slices.Sort(g.own)
	return g
}

func TestCheck(t *testing.T) {
	g := fakeGraph(map[string][]string{
		"internal/image/flavour":    {"internal/image", "internal/drivers/pot/spec"},
		"internal/drivers/pot/spec": {"internal/drivers", "github.com/opencontainers/runtime-spec"},
		"internal/drivers":          {"internal/structs"},
		"internal/structs":          {"net"},
		"net":                       {"C"},
		"internal/scheduler":        {"internal/structs", "sort"},
		"internal/cli":              {"internal/agent", "internal/api"},
		"internal/agent":            {"internal/server"},
		"internal/api":              {"internal/structs"},
		"internal/server":           {"internal/state"},
		"internal/state":            {"internal/state/index"},
		"internal/testutil":         {},
		"internal/client":           {"internal/testutil"},
		"test/cluster/harness":      {"internal/testutil"},
		"bench/c1m":                 {"internal/fakenode"},
		"internal/fakenode":         {"internal/api"},
	}, "net", "sort")
	tests := []struct {
		name  string
		rule  rule
		chain []string // the expected chains, one a violation
	}{
		{name: "a chain through another package",
			rule:  rule{pkg: "internal/image/flavour", deny: []string{"internal/drivers"}},
			chain: []string{"internal/image/flavour -> internal/drivers/pot/spec"}},
		{name: "the shortest chain to a subpackage is reported",
			rule:  rule{pkg: "internal/image/flavour", deny: []string{"internal/structs"}},
			chain: []string{"internal/image/flavour -> internal/drivers/pot/spec -> internal/drivers -> internal/structs"}},
		{name: "only the standard library and structs",
			rule: rule{pkg: "internal/scheduler", deny: []string{itemNonStd}, except: []string{"internal/structs"}}},
		{name: "a third-party import breaks the standard library rule",
			rule:  rule{pkg: "internal/drivers/pot/spec", deny: []string{itemNonStd}, except: []string{"internal/drivers"}},
			chain: []string{"internal/drivers/pot/spec -> github.com/opencontainers/runtime-spec"}},
		{name: "except through allows one path only",
			rule: rule{pkg: "internal/cli", deny: []string{"internal/server", "internal/state"}, through: []string{"internal/agent"}}},
		{name: "without except through the chain is found",
			rule:  rule{pkg: "internal/cli", deny: []string{"internal/state"}},
			chain: []string{"internal/cli -> internal/agent -> internal/server -> internal/state"}},
		{name: "own subpackages are never forbidden",
			rule: rule{pkg: "internal/state", deny: []string{itemOtherWharf}}},
		{name: "any other wharf package",
			rule:  rule{pkg: "internal/api", deny: []string{itemOtherWharf}},
			chain: []string{"internal/api -> internal/structs"}},
		{name: "an external prefix",
			rule:  rule{pkg: "internal/image/flavour", deny: []string{"github.com/opencontainers"}},
			chain: []string{"internal/image/flavour -> internal/drivers/pot/spec -> github.com/opencontainers/runtime-spec"}},
		{name: "imports only: direct imports",
			rule:  rule{pkg: "internal/image/flavour", direct: true, deny: []string{itemNonStd}, except: []string{"internal/image"}},
			chain: []string{"internal/image/flavour -> internal/drivers/pot/spec"}},
		{name: "imports only: the items' imports are theirs",
			rule: rule{pkg: "internal/cli", direct: true, deny: []string{itemOtherWharf}, except: []string{"internal/agent", "internal/api"}}},
		{name: "tests only: a product package imports it",
			rule:  rule{pkg: "internal/testutil", testsOnly: true},
			chain: []string{"internal/client -> internal/testutil"}},
		{name: "tests and benchmarks",
			rule: rule{pkg: "internal/fakenode", testsOnly: true, benches: true}},
		{name: "tests only: benchmarks may not",
			rule:  rule{pkg: "internal/fakenode", testsOnly: true},
			chain: []string{"bench/c1m -> internal/fakenode"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rule.file, tt.rule.text = tt.rule.pkg+"/doc.go", "the rule"
			var chains []string
			for _, v := range g.check(tt.rule) {
				_, chain, ok := strings.Cut(v.msg, "import chain: ")
				if !ok || !strings.HasPrefix(v.msg, strings.SplitN(chain, " -> ", 2)[0]+" imports ") ||
					!strings.Contains(v.msg, tt.rule.file) {
					t.Errorf("message %q does not name the package, the rule's file and the chain", v.msg)
				}
				chains = append(chains, chain)
			}
			if !slices.Equal(chains, tt.chain) {
				t.Errorf("chains %q, want %q", chains, tt.chain)
			}
		})
	}
}
