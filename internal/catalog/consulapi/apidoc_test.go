package consulapi

import (
	"testing"

	"github.com/wharf-project/wharf/internal/testkit/apidoc"
)

// TestAPIDocListsEveryRoute holds docs/api.md's Consul-shaped tables
// against the route table: a route served but not documented, or
// documented but not served, fails.
func TestAPIDocListsEveryRoute(t *testing.T) {
	f := newFixture(t)
	var patterns []string
	for _, rt := range f.srv.routeTable {
		patterns = append(patterns, rt.pattern)
	}
	apidoc.Check(t, "../../../docs/api.md", "Consul-shaped API", patterns)
}
