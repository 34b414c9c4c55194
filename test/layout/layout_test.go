// Package layout_test checks the layout's import rules against the real
// import graph: every rule a package's doc comment states in the fixed
// form (see rule), and the few that hold for the whole tree (see
// treeRules). It reads `go list -deps -json ./...` for each platform the
// code is built for.
package layout_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// goosList are the platforms whose import graphs are checked: imports
// differ by file suffix.
var goosList = []string{"linux", "freebsd"}

// treeRules hold for the whole tree; they have no package doc of their own
// to live in.
var treeRules = []struct {
	under string // packages under this module-relative path
	text  string
}{
	{"internal", "must never import cmd, test or bench"},
}

// knownBroken lists rules broken on main while the fix is under way, as
// "package forbidden-item". Each entry names its issue; the test fails
// when an entry is no longer broken, so it is removed with the fix.
var knownBroken = map[string]string{}

// pkg is what the test needs of one `go list` package.
type pkg struct {
	ImportPath string
	Dir        string
	Standard   bool
	GoFiles    []string
	Imports    []string
	Module     *struct{ Main bool }
}

// graph is the import graph of one platform.
type graph struct {
	goos   string
	module string // the module path
	pkgs   map[string]*pkg
	own    []string // the module's packages, module-relative, sorted
	// testOnly holds the packages whose docs say only tests import them.
	testOnly map[string]bool
}

func TestImportRules(t *testing.T) {
	for _, goos := range goosList {
		t.Run(goos, func(t *testing.T) {
			g, rules := load(t, goos)
			seen := map[string]bool{}
			for _, r := range rules {
				for _, v := range g.check(r) {
					key := r.pkg + " " + v.item
					if issue, ok := knownBroken[key]; ok {
						seen[key] = true
						t.Logf("known broken (%s): %s", issue, v.msg)
						continue
					}
					t.Error(v.msg)
				}
			}
			if goos == "linux" {
				for key, issue := range knownBroken {
					if !seen[key] {
						t.Errorf("knownBroken lists %q (%s) but the rule holds now: remove the entry", key, issue)
					}
				}
			}
		})
	}
}

// TestRequiredRules checks that the docs still state the layout's
// load-bearing rules, so that deleting a sentence cannot switch one off.
func TestRequiredRules(t *testing.T) {
	g, rules := load(t, "linux")
	m := g.module + "/"
	tests := []struct {
		pkg, imp string
		want     bool
	}{
		{"internal/scheduler", m + "internal/state", true},
		{"internal/scheduler", m + "internal/api", true},
		{"internal/scheduler", "github.com/hashicorp/go-memdb", true},
		{"internal/scheduler", m + "internal/structs", false},
		{"internal/scheduler", "sort", false},
		{"internal/image", m + "internal/drivers", true},
		{"internal/image/fetch", m + "internal/drivers/pot", true},
		{"internal/image/flavour", m + "internal/drivers", true},
		{"internal/drivers/pot", m + "internal/drivers/rawexec", true},
		{"internal/drivers/pot", m + "internal/drivers/fake", true},
		{"internal/drivers/rawexec", m + "internal/drivers/pot", true},
		{"internal/drivers/rawexec", m + "internal/drivers/fake", true},
		{"internal/drivers/fake", m + "internal/drivers/rawexec", true},
		{"internal/drivers/fake", m + "internal/drivers/pot", true},
		{"internal/drivers/pot", m + "internal/drivers", false},
		{"internal/server", m + "cmd/wharf", true},
		{"internal/state/etcdstore", m + "test/cluster/harness", true},
		{"internal/structs", m + "internal/api", true},
		{"internal/state", m + "internal/server", true},
		{"internal/client", m + "internal/state", true},
		{"internal/api", m + "internal/state", true},
	}
	for _, tt := range tests {
		got := slices.ContainsFunc(rules, func(r rule) bool {
			return r.pkg == tt.pkg && !r.testsOnly && slices.ContainsFunc(r.deny, func(item string) bool { return g.forbidden(r, item, tt.imp) })
		})
		if got != tt.want {
			t.Errorf("rules of %s forbid %s: %v, want %v", tt.pkg, g.rel(tt.imp), got, tt.want)
		}
	}
}

// loaded caches each platform's graph and rules: go list takes seconds.
var (
	loadMu sync.Mutex
	loaded = map[string]struct {
		g     *graph
		rules []rule
	}{}
)

// load returns the import graph of one platform and every rule: those
// the package docs state and the tree rules.
func load(t *testing.T, goos string) (*graph, []rule) {
	t.Helper()
	loadMu.Lock()
	defer loadMu.Unlock()
	if l, ok := loaded[goos]; ok {
		return l.g, l.rules
	}
	g := loadGraph(t, goos)
	rules := docRules(t, g)
	if t.Failed() {
		t.FailNow()
	}
	for _, r := range rules {
		if r.testsOnly {
			g.testOnly[r.pkg] = true
		}
	}
	if len(rules) < 40 {
		t.Fatalf("read %d rules from the package docs; expected the layout's rules (at least 40)", len(rules))
	}
	for _, tr := range treeRules {
		r, err := parseDeny(strings.TrimPrefix(tr.text, "must never import "))
		if err != nil {
			t.Fatalf("tree rule %q: %v", tr.text, err)
		}
		for _, p := range g.own {
			if under(p, tr.under) {
				r.pkg, r.file, r.text = p, "test/layout (tree rule for "+tr.under+"/)", tr.text
				rules = append(rules, r)
			}
		}
	}
	loaded[goos] = struct {
		g     *graph
		rules []rule
	}{g, rules}
	return g, rules
}

// loadGraph runs go list for one platform.
func loadGraph(t *testing.T, goos string) *graph {
	t.Helper()
	root := moduleRoot(t)
	cmd := exec.Command("go", "list", "-deps", "-json", "./...")
	cmd.Dir = root
	cmd.Env = append(cmd.Environ(), "GOOS="+goos)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("go list (GOOS=%s): %v\n%s", goos, err, errb.String())
	}
	g := &graph{goos: goos, pkgs: map[string]*pkg{}, testOnly: map[string]bool{}}
	dec := json.NewDecoder(&out)
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		g.pkgs[p.ImportPath] = &p
		if p.Module != nil && p.Module.Main && g.module == "" {
			g.module = modulePath(t, root)
		}
	}
	for path, p := range g.pkgs {
		if p.Module != nil && p.Module.Main {
			g.own = append(g.own, g.rel(path))
		}
	}
	sort.Strings(g.own)
	return g
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil || strings.TrimSpace(string(out)) == "" {
		t.Fatalf("find the module root: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

func modulePath(t *testing.T, root string) string {
	t.Helper()
	cmd := exec.Command("go", "list", "-m")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// rel returns an import path relative to the module, or the path itself
// for packages outside it.
func (g *graph) rel(path string) string {
	if rest, ok := strings.CutPrefix(path, g.module+"/"); ok {
		return rest
	}
	return path
}

// docRules parses the doc comments of every package of the module.
func docRules(t *testing.T, g *graph) []rule {
	t.Helper()
	var rules []rule
	for _, rel := range g.own {
		p := g.pkgs[g.module+"/"+rel]
		for _, name := range p.GoFiles {
			file := filepath.Join(p.Dir, name)
			f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatalf("parse %s: %v", file, err)
			}
			if f.Doc == nil {
				continue
			}
			doc := strings.Join(strings.Fields(f.Doc.Text()), " ")
			rs, err := parseRules(rel, filepath.Join(rel, name), doc)
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			for i := range rs {
				rs[i].deny = g.checkItems(t, rs[i].file, rs[i].deny)
				rs[i].except = g.checkItems(t, rs[i].file, rs[i].except)
				rs[i].through = g.checkItems(t, rs[i].file, rs[i].through)
			}
			rules = append(rules, rs...)
		}
	}
	return rules
}

// checkItems fails the test for a module path that names no package: a
// rule about a package that moved is a rule nobody checks.
func (g *graph) checkItems(t *testing.T, file string, items []string) []string {
	t.Helper()
	for _, it := range items {
		if !pathRe.MatchString(it) {
			continue
		}
		if !slices.ContainsFunc(g.own, func(p string) bool { return under(p, it) }) {
			t.Errorf("%s: the rule names %s, which is no package of the module (GOOS=%s)", file, it, g.goos)
		}
	}
	return items
}

// under reports whether path is dir or below it.
func under(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// violation is one broken rule.
type violation struct {
	item string // the rule's item the import matched
	msg  string
}

// check returns the ways the import graph breaks one rule.
func (g *graph) check(r rule) []violation {
	if r.testsOnly {
		return g.checkTestsOnly(r)
	}
	from := g.module + "/" + r.pkg
	var out []violation
	for _, item := range r.deny {
		if r.direct {
			for _, imp := range g.pkgs[from].Imports {
				if g.forbidden(r, item, imp) {
					out = append(out, violation{item: item, msg: fmt.Sprintf(
						"%s imports %s, which %s forbids (%q; GOOS=%s)\n\timport chain: %s -> %s",
						r.pkg, g.rel(imp), r.file, r.text, g.goos, r.pkg, g.rel(imp))})
				}
			}
			continue
		}
		chain := g.chainTo(from, func(path string) bool { return g.forbidden(r, item, path) },
			func(path string) bool {
				return slices.ContainsFunc(r.through, func(th string) bool { return g.matches(r, th, path) })
			})
		if chain == nil {
			continue
		}
		rels := make([]string, len(chain))
		for i, c := range chain {
			rels[i] = g.rel(c)
		}
		out = append(out, violation{item: item, msg: fmt.Sprintf(
			"%s imports %s, which %s forbids (%q; GOOS=%s)\n\timport chain: %s",
			r.pkg, rels[len(rels)-1], r.file, r.text, g.goos, strings.Join(rels, " -> "))})
	}
	return out
}

// forbidden reports whether the rule's item forbids the package path.
func (g *graph) forbidden(r rule, item, path string) bool {
	if !g.matches(r, item, path) {
		return false
	}
	return !slices.ContainsFunc(r.except, func(ex string) bool { return g.matches(r, ex, path) })
}

// matches reports whether an item names the package path. No item names
// the rule's own package or its subpackages.
func (g *graph) matches(r rule, item, path string) bool {
	rel := g.rel(path)
	own := rel != path
	if own && under(rel, r.pkg) {
		return false
	}
	p := g.pkgs[path]
	switch {
	case item == itemOtherWharf:
		return own
	case item == itemNonStd:
		return path != "C" && (p == nil || !p.Standard)
	case pathRe.MatchString(item):
		return own && under(rel, item)
	default:
		return !own && under(path, item)
	}
}

// chainTo returns the shortest import chain from a package to one that
// target accepts, not passing through packages that skip accepts, or nil.
func (g *graph) chainTo(from string, target, skip func(string) bool) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		p := g.pkgs[cur]
		if p == nil {
			continue
		}
		for _, imp := range p.Imports {
			if _, ok := prev[imp]; ok {
				continue
			}
			prev[imp] = cur
			if target(imp) {
				var chain []string
				for c := imp; c != ""; c = prev[c] {
					chain = append([]string{c}, chain...)
				}
				return chain
			}
			if !skip(imp) {
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

// checkTestsOnly returns the non-test packages that import a package only
// tests may import: every importer must itself be test-only, under test/,
// or (when the rule allows benchmarks) under bench/.
func (g *graph) checkTestsOnly(r rule) []violation {
	testOnly := func(rel string) bool {
		return under(rel, "test") || (r.benches && under(rel, "bench")) || under(rel, r.pkg)
	}
	target := g.module + "/" + r.pkg
	var out []violation
	for _, rel := range g.own {
		if testOnly(rel) || g.testOnly[rel] {
			continue
		}
		for _, imp := range g.pkgs[g.module+"/"+rel].Imports {
			if imp == target {
				out = append(out, violation{item: rel, msg: fmt.Sprintf(
					"%s imports %s, which %s allows only to tests (%q; GOOS=%s)\n\timport chain: %s -> %s",
					rel, r.pkg, r.file, r.text, g.goos, rel, r.pkg)})
			}
		}
	}
	return out
}
