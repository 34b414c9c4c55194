package server

import (
	"os"
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/testkit/apidoc"
)

// TestAPIDocListsEveryRoute holds docs/api.md's Nomad-shaped tables
// against the route table: a route served but not documented, or
// documented but not served, fails.
func TestAPIDocListsEveryRoute(t *testing.T) {
	ts := newTestServer(t, nil)
	var served []string
	for _, rt := range ts.srv.routeTable {
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok {
			continue // the catch-all answering 404 for unknown /v1/ paths
		}
		served = append(served, apidoc.Normalize(method, path))
	}
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	documented, err := apidoc.Routes(doc, "Nomad-shaped API")
	if err != nil {
		t.Fatalf("docs/api.md: %v", err)
	}
	undocumented, unserved := apidoc.Diff(served, documented)
	for _, r := range undocumented {
		t.Errorf("%s is served but docs/api.md does not list it", r)
	}
	for _, r := range unserved {
		t.Errorf("docs/api.md lists %s, which the server does not serve", r)
	}
}
