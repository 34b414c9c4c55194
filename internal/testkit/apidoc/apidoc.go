// Package apidoc reads the route tables of docs/api.md, so that each
// server's tests can hold the routes it serves against the routes the
// document lists: a route served but not documented, or documented but
// not served, fails them.
//
// A route row is a table row whose first cell lists HTTP methods
// ("GET", "PUT, POST") and whose second cell is one path, its parameters
// written :name or {name}. Rows of other tables (their first cell not
// methods) are not routes.
//
// apidoc must only be imported by tests. It must never import any other
// wharf package.
package apidoc

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var (
	methodsRe = regexp.MustCompile(`^(?:GET|HEAD|PUT|POST|DELETE|PATCH)(?:, (?:GET|HEAD|PUT|POST|DELETE|PATCH))*$`)
	pathRe    = regexp.MustCompile("^`?(/v1/[A-Za-z0-9_./:{}-]*)`?$")
)

// Routes returns the routes that the tables of one section of doc list,
// each as Normalize gives it, sorted. A section runs from a "## " heading
// that starts with heading to the next "## " heading. A route row whose
// path cell is not one path is an error, so the document keeps the form
// the check reads.
func Routes(doc []byte, heading string) ([]string, error) {
	var routes []string
	in, found := false, false
	sc := bufio.NewScanner(bytes.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if h, ok := strings.CutPrefix(line, "## "); ok {
			in = strings.HasPrefix(h, heading)
			found = found || in
			continue
		}
		if !in || !strings.HasPrefix(line, "|") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) < 2 || !methodsRe.MatchString(strings.TrimSpace(cells[0])) {
			continue
		}
		m := pathRe.FindStringSubmatch(strings.TrimSpace(cells[1]))
		if m == nil {
			return nil, fmt.Errorf("line %d: the path cell %q is not one /v1/ path", n, strings.TrimSpace(cells[1]))
		}
		for _, method := range strings.Split(strings.TrimSpace(cells[0]), ", ") {
			routes = append(routes, Normalize(method, m[1]))
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("no section %q", heading)
	}
	slices.Sort(routes)
	return slices.Compact(routes), nil
}

// Normalize writes a route as "METHOD /path" with every parameter
// segment (":id", "{id}", "{path...}") as "{}", so that a mux pattern and
// a documented path compare equal.
func Normalize(method, path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") || (strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}")) {
			segs[i] = "{}"
		}
	}
	return method + " " + strings.Join(segs, "/")
}

// Diff returns the served routes missing from the document and the
// documented routes not served.
func Diff(served, documented []string) (undocumented, unserved []string) {
	for _, r := range served {
		if !slices.Contains(documented, r) {
			undocumented = append(undocumented, r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			unserved = append(unserved, r)
		}
	}
	return undocumented, unserved
}
