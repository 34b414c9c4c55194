package config

import (
	"reflect"
	"testing"
)

// nsInst makes an instance of svc in namespace ns registered at index idx.
func nsInst(id, ns, svc string, n int, idx uint64, tags ...string) Instance {
	in := inst(id, svc, n, HealthPassing, tags...)
	in.Namespace, in.CreateIndex = ns, idx
	return in
}

// serverIDs lists the instance IDs behind a service.
func serverIDs(s *Service) []string {
	var ids []string
	for _, srv := range s.Servers {
		ids = append(ids, srv.InstanceID)
	}
	return ids
}

func TestBuildNamespacesDoNotShareAPool(t *testing.T) {
	c := Build([]Instance{
		nsInst("a", "default", "web", 1, 10),
		nsInst("b", "", "web", 2, 11), // "" is the default namespace
		nsInst("c", "prod", "web", 3, 5),
		nsInst("d", "dev", "web", 4, 6),
	}, dev)
	for _, tc := range []struct {
		router, rule string
		ids          []string
	}{
		{"web", "Host(`web.minipot`)", []string{"a", "b"}},
		{"web.prod", "Host(`web.prod.minipot`)", []string{"c"}},
		{"web.dev", "Host(`web.dev.minipot`)", []string{"d"}},
	} {
		r := mustRouter(t, c, tc.router)
		if r.Status != StatusEnabled || r.Rule != tc.rule || r.Service != tc.router {
			t.Errorf("%s: %s err=%q", tc.router, routerLine(r), r.Err)
		}
		if got := serverIDs(c.Services[tc.router]); !reflect.DeepEqual(got, tc.ids) {
			t.Errorf("%s servers %v, want %v", tc.router, got, tc.ids)
		}
	}
	if len(c.Routers) != 3 || len(c.Services) != 3 {
		t.Fatalf("routers %v services %v", sortedKeys(c.Routers), sortedKeys(c.Services))
	}
}

func TestBuildNamespaceTagsStayInTheirNamespace(t *testing.T) {
	// Namespace evil defines a router, service and middleware with the
	// default namespace's names and points its router at "web": every name
	// is scoped, so the default namespace's definitions are untouched.
	c := Build([]Instance{
		nsInst("a", "default", "web", 1, 10,
			"traefik.http.routers.web.rule=Host(`shop.example`)",
			"traefik.http.middlewares.strip.stripprefix.prefixes=/a"),
		nsInst("e", "evil", "x", 9, 1,
			"traefik.http.routers.web.rule=Host(`evil.example`)",
			"traefik.http.routers.web.service=web@catalog",
			"traefik.http.routers.web.middlewares=strip",
			"traefik.http.services.web.loadbalancer.server.port=9",
			"traefik.http.middlewares.strip.stripprefix.prefixes=/b"),
	}, dev)
	web := mustRouter(t, c, "web")
	if web.Status != StatusEnabled || web.Service != "web" || !reflect.DeepEqual(serverIDs(c.Services["web"]), []string{"a"}) {
		t.Fatalf("default router %s err=%q servers %v", routerLine(web), web.Err, serverIDs(c.Services["web"]))
	}
	if m := c.Middlewares["strip"]; m.Status != StatusEnabled || !reflect.DeepEqual(m.StripPrefix, []string{"/a"}) {
		t.Fatalf("default middleware %+v", m)
	}
	evil := mustRouter(t, c, "web.evil")
	if evil.Status != StatusEnabled || evil.Service != "web.evil" || !reflect.DeepEqual(evil.Middlewares, []string{"strip.evil"}) {
		t.Fatalf("evil router %s err=%q", routerLine(evil), evil.Err)
	}
	if got := serverIDs(c.Services["web.evil"]); !reflect.DeepEqual(got, []string{"e"}) {
		t.Fatalf("evil servers %v", got)
	}
}

func TestBuildHostClaimsAcrossNamespaces(t *testing.T) {
	host := func(h string) string { return "traefik.http.routers.r.rule=Host(`" + h + "`)" }
	for _, tc := range []struct {
		name     string
		in       []Instance
		enabled  []string
		disabled map[string]string // router -> error
	}{{
		name: "default namespace keeps its default host",
		in: []Instance{
			nsInst("a", "default", "web", 1, 50),
			nsInst("e", "evil", "x", 9, 1, host("web.minipot")),
		},
		enabled:  []string{"web"},
		disabled: map[string]string{"r.evil": "host web.minipot is held by namespace default"},
	}, {
		name: "default namespace wins even when registered later",
		in: []Instance{
			nsInst("a", "", "shop", 1, 99, host("shop.example")),
			nsInst("e", "evil", "x", 9, 1, host("shop.example")),
		},
		enabled:  []string{"r"},
		disabled: map[string]string{"r.evil": "host shop.example is held by namespace default"},
	}, {
		name: "between other namespaces the first registered keeps it",
		in: []Instance{
			nsInst("p1", "prod", "api", 1, 7, host("api.example")),
			nsInst("p2", "prod", "api", 2, 3),
			nsInst("s", "stage", "api", 3, 5, host("API.example")+" || Host(`other.example`)"),
		},
		enabled:  []string{"r.prod"},
		disabled: map[string]string{"r.stage": "host api.example is held by namespace prod"},
	}, {
		name: "one namespace shares a host by priority as before",
		in: []Instance{
			nsInst("a", "prod", "a", 1, 1, host("x.example")),
			nsInst("b", "prod", "b", 2, 2, "traefik.http.routers.s.rule=Host(`x.example`) && PathPrefix(`/b`)"),
		},
		enabled: []string{"r.prod", "s.prod"},
	}, {
		name: "a disabled router holds nothing",
		in: []Instance{
			nsInst("a", "", "web", 1, 1, host("x.example"), "traefik.http.routers.r.service=missing"),
			nsInst("e", "evil", "e", 2, 2, host("x.example")),
		},
		enabled:  []string{"r.evil"},
		disabled: map[string]string{"r": "service missing is not defined"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			c := Build(tc.in, dev)
			for _, name := range tc.enabled {
				if r := mustRouter(t, c, name); r.Status != StatusEnabled {
					t.Errorf("%s: %s err=%q", name, r.Status, r.Err)
				}
			}
			for name, msg := range tc.disabled {
				r := mustRouter(t, c, name)
				if r.Status != StatusDisabled {
					t.Errorf("%s: %s, want disabled", name, r.Status)
				}
				wantErr(t, r.Err, msg)
			}
		})
	}
}
