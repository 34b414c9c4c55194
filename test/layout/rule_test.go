package layout_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// A rule is one import rule a package states in its doc comment, in one
// of three fixed sentence forms:
//
//	<name> must never import <items>[ except <items>][ except through <items>].
//	<name> imports only <items>[ from wharf].
//	<name> must only be imported by tests[ and benchmarks].
//
// Items are separated by ", ", " or ", " nor " and " and ", and each is
// one of (a remark in parentheses may follow an item):
//
//   - a package path relative to the module (internal/server, cmd/wharf,
//     test/cluster/harness, bench/internal): that package and every
//     package under it, never the rule's own package or its subpackages;
//   - an import path prefix outside the module, its first element holding
//     a dot (go.etcd.io, github.com/coder/websocket), or a standard library
//     package of more than one element (net/http, os/exec);
//   - "any other wharf package" (or "another wharf package"): every
//     package of the module but the rule's own package and its subpackages;
//   - "anything outside the standard library": every package not in the
//     standard library.
//
// "except" takes packages out of the forbidden set; "except through"
// allows import chains that pass through the named packages. A "must
// never import" rule holds for the whole import graph below the package
// (an import through other packages counts); the sentence ends at a
// colon, a semicolon or a full stop.
//
// "imports only" names the package's own imports: besides the standard
// library (which may be named as "the standard library"), only the items;
// with "from wharf", only the items of the module's packages. The items'
// own imports are theirs to rule.
type rule struct {
	pkg     string   // module-relative path of the package that states it
	file    string   // file whose doc comment states it
	text    string   // the sentence, for messages
	deny    []string // forbidden items
	except  []string // items taken out of the forbidden set
	through []string // items a chain may pass through
	direct  bool     // the rule names the package's own imports only
	// testsOnly marks a package that only tests (and benchmarks, when
	// benches is set) may import.
	testsOnly bool
	benches   bool
}

const (
	itemOtherWharf = "any other wharf package"
	itemNonStd     = "anything outside the standard library"
)

var (
	denyRe      = regexp.MustCompile(`must never import (.*?)(?:[:;]|\.(?:\s|$)|$)`)
	onlyRe      = regexp.MustCompile(`imports only (.*?)( from wharf)?(?:[:;]|\.(?:\s|$)|$)`)
	testsOnlyRe = regexp.MustCompile(`must only be imported by tests( and benchmarks)?(?:[:;]|\.(?:\s|$)|$)`)
	parenRe     = regexp.MustCompile(`\s*\([^)]*\)`)
	listSepRe   = regexp.MustCompile(`, (?:or |nor |and )?| or | nor | and `)
	pathRe      = regexp.MustCompile(`^(?:internal|cmd|test|bench)(?:/[a-z0-9_]+)*$`)
	stdRe       = regexp.MustCompile(`^[a-z0-9]+(?:/[a-z0-9]+)+$`)
	externalRe  = regexp.MustCompile(`^[a-z0-9-]+(?:\.[a-z0-9-]+)+(?:/[A-Za-z0-9._-]+)*$`)
)

// parseRules returns the rules stated in one package's doc comment text,
// already joined into one line. A sentence that uses the rule's words but
// not its form is an error: a rule that is not checked must not read as
// one.
func parseRules(pkg, file, doc string) ([]rule, error) {
	var rules []rule
	for _, m := range denyRe.FindAllStringSubmatch(doc, -1) {
		r, err := parseDeny(m[1])
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", file, m[0], err)
		}
		r.pkg, r.file, r.text = pkg, file, strings.TrimRight(m[0], ":;. ")
		rules = append(rules, r)
	}
	for _, m := range onlyRe.FindAllStringSubmatch(doc, -1) {
		items, err := parseItems(strings.ReplaceAll(m[1], "the standard library", "std"))
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", file, m[0], err)
		}
		r := rule{pkg: pkg, file: file, text: strings.TrimRight(m[0], ":;. "), direct: true,
			deny: []string{itemNonStd}}
		if m[2] != "" {
			r.deny = []string{itemOtherWharf}
		}
		r.except = slices.DeleteFunc(items, func(it string) bool { return it == "std" })
		rules = append(rules, r)
	}
	for _, m := range testsOnlyRe.FindAllStringSubmatch(doc, -1) {
		rules = append(rules, rule{pkg: pkg, file: file, text: strings.TrimRight(m[0], ":;. "),
			testsOnly: true, benches: m[1] != ""})
	}
	if n := strings.Count(doc, "only be imported by"); n != len(testsOnlyRe.FindAllString(doc, -1)) {
		return nil, fmt.Errorf("%s: \"only be imported by\" must read \"must only be imported by tests[ and benchmarks].\"", file)
	}
	for _, loose := range []string{"imported by tests only", "must not import", "never imports"} {
		if strings.Contains(doc, loose) {
			return nil, fmt.Errorf("%s: %q is not a rule the layout test reads: write \"must never import ...\" or \"must only be imported by tests\"", file, loose)
		}
	}
	return rules, nil
}

// parseDeny parses the items of a "must never import" sentence.
func parseDeny(s string) (rule, error) {
	var r rule
	head, through, _ := strings.Cut(s, " except through ")
	head, except, _ := strings.Cut(head, " except ")
	var err error
	if r.deny, err = parseItems(head); err != nil {
		return r, err
	}
	if except != "" {
		if r.except, err = parseItems(except); err != nil {
			return r, err
		}
	}
	if through != "" {
		if r.through, err = parseItems(through); err != nil {
			return r, err
		}
	}
	return r, nil
}

// parseItems splits a list of items and checks each one's form.
func parseItems(s string) ([]string, error) {
	var items []string
	s = parenRe.ReplaceAllString(s, "")
	for _, it := range listSepRe.Split(strings.TrimSpace(s), -1) {
		if trimmed := strings.TrimSuffix(it, "/"); pathRe.MatchString(trimmed) {
			it = trimmed // "cmd/" reads as cmd
		}
		switch {
		case it == "any other wharf package" || it == "another wharf package":
			items = append(items, itemOtherWharf)
		case it == itemNonStd, it == "std":
			items = append(items, it)
		case pathRe.MatchString(it), externalRe.MatchString(it), stdRe.MatchString(it):
			items = append(items, it)
		default:
			return nil, fmt.Errorf("item %q is neither a module path (internal/...), an import path (with a dot, or a standard library package such as net/http), %q nor %q", it, itemOtherWharf, itemNonStd)
		}
	}
	return items, nil
}
