package server

import (
	"testing"

	"github.com/wharf-project/wharf/internal/testkit/apidoc"
)

// TestAPIDocListsEveryRoute holds docs/api.md's Nomad-shaped tables
// against the route table: a route served but not documented, or
// documented but not served, fails.
func TestAPIDocListsEveryRoute(t *testing.T) {
	ts := newTestServer(t, nil)
	var patterns []string
	for _, rt := range ts.srv.routeTable {
		patterns = append(patterns, rt.pattern)
	}
	apidoc.Check(t, "../../docs/api.md", "Nomad-shaped API", patterns)
}
