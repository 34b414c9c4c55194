package proxy

import (
	"net"
	"strconv"
	"testing"

	"github.com/wharf-project/wharf/internal/ingress/config"
)

// backendInstance is a catalog instance of service in namespace ns served by
// the test server at url, registered at index idx.
func backendInstance(t *testing.T, id, ns, service, url string, idx uint64, tags ...string) config.Instance {
	t.Helper()
	host, port, err := net.SplitHostPort(url[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return config.Instance{ID: id, ServiceName: service, Namespace: ns, CreateIndex: idx, Address: host, Port: p,
		Tags: tags, Health: config.HealthPassing}
}

// TestHeldHostIsServedOnlyByItsNamespace builds a table from the catalog as
// the ingress does: namespace prod holds api.example and web.prod.minipot,
// the default namespace web.minipot, and namespace evil has routers of
// every shape that is not a claim (PathPrefix alone, HostRegexp, a wildcard
// host, all with the highest priority). None of them gets a held host;
// they still serve hosts nobody holds.
func TestHeldHostIsServedOnlyByItsNamespace(t *testing.T) {
	prod, def, evil := namedBackend(t, "prod"), namedBackend(t, "default"), namedBackend(t, "evil")
	in := []config.Instance{
		backendInstance(t, "p", "prod", "api", prod.URL, 50, "traefik.http.routers.api.rule=Host(`api.example`)",
			"traefik.http.routers.web.rule=Host(`web.prod.minipot`)"),
		backendInstance(t, "d", "default", "web", def.URL, 60),
		backendInstance(t, "e", "evil", "x", evil.URL, 1,
			"traefik.http.routers.all.rule=PathPrefix(`/`)", "traefik.http.routers.all.priority=1000",
			"traefik.http.routers.re.rule=HostRegexp(`^.+$`)", "traefik.http.routers.re.priority=999",
			"traefik.http.routers.wild.rule=Host(`*.example`) || Host(`*.minipot`)", "traefik.http.routers.wild.priority=998"),
	}
	c := config.Build(in, config.Options{Domain: "minipot", ExposedByDefault: true, EntryPoints: []string{"web"}})
	p := testProxy(t, Options{})
	p.Update(c)
	url := serve(t, p.Handler("web"), ServerOptions{})
	for _, tt := range []struct{ host, want string }{
		{"api.example", "prod"},
		{"API.Example:80", "prod"},
		{"api.example.", "prod"},
		{"web.prod.minipot", "prod"},
		{"web.minipot", "default"},
		{"WEB.minipot", "default"},
		{"other.example", "evil"},
		{"x.minipot", "evil"},
	} {
		if code, body := get(t, url+"/", tt.host); body != tt.want {
			t.Errorf("%s: %d %q, want %q", tt.host, code, body, tt.want)
		}
	}
}
