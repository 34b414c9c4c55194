package config

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

func TestBuildDottedDefaultNamesNeverAliasANamespace(t *testing.T) {
	// A service registered through the Consul-shaped API in the default
	// namespace as "web.prod" would be namespace prod's pool name: it is not
	// routed, and prod's pool holds only prod's instance.
	c := Build([]Instance{
		nsInst("squat", "default", "web.prod", 9, 1),
		nsInst("p", "prod", "web", 1, 50),
	}, dev)
	if got := serverIDs(c.Services["web.prod"]); !reflect.DeepEqual(got, []string{"p"}) {
		t.Fatalf("servers of web.prod: %v, want only prod's", got)
	}
	if r := mustRouter(t, c, "web.prod"); r.Status != StatusEnabled || r.Namespace != "prod" {
		t.Fatalf("web.prod: %s ns=%q err=%q", r.Status, r.Namespace, r.Err)
	}
	if len(c.Routers) != 1 || len(c.Services) != 1 {
		t.Fatalf("routers %v services %v", sortedKeys(c.Routers), sortedKeys(c.Services))
	}
	if c.Hosts["web.prod.minipot"] != "prod" {
		t.Fatalf("hosts %v", c.Hosts)
	}
}

func TestBuildDefaultTagsCannotReferToAnotherNamespace(t *testing.T) {
	for _, tag := range []string{
		"traefik.http.routers.r.service=web.prod",
		"traefik.http.routers.r.service=web.prod@catalog",
		"traefik.http.routers.r.middlewares=strip.prod",
	} {
		t.Run(tag, func(t *testing.T) {
			c := Build([]Instance{
				nsInst("d", "default", "d", 2, 1, "traefik.http.routers.r.rule=Host(`d.example`)", tag),
				nsInst("p", "prod", "web", 1, 50, "traefik.http.middlewares.strip.stripprefix.prefixes=/x",
					"traefik.http.routers.web.rule=Host(`web.prod.minipot`)"),
			}, dev)
			r := mustRouter(t, c, "r")
			if r.Status != StatusDisabled {
				t.Fatalf("router r: %s, want disabled", routerLine(r))
			}
			wantErr(t, r.Err, "names what another namespace defines")
		})
	}
}

func TestBuildNamespaceKeepsHostsUnderItsOwnDomain(t *testing.T) {
	// The default namespace wins hosts it claims outright, but not the
	// hosts of another namespace's default rule shape.
	c := Build([]Instance{
		nsInst("d", "default", "d", 2, 1, "traefik.http.routers.r.rule=Host(`web.prod.minipot`)"),
		nsInst("p", "prod", "web", 1, 50),
	}, dev)
	if r := mustRouter(t, c, "web.prod"); r.Status != StatusEnabled {
		t.Fatalf("prod's router: %s err=%q", r.Status, r.Err)
	}
	r := mustRouter(t, c, "r")
	if r.Status != StatusDisabled {
		t.Fatalf("default's router: %s", routerLine(r))
	}
	wantErr(t, r.Err, "host web.prod.minipot is held by namespace prod")
}

func TestBuildHostClaimsDoNotDependOnOrder(t *testing.T) {
	host := func(h string) string { return "traefik.http.routers.r.rule=Host(`" + h + "`)" }
	in := []Instance{
		nsInst("a1", "alpha", "a", 1, 40, host("x.example")),
		nsInst("a2", "alpha", "a", 2, 12),
		nsInst("b1", "beta", "b", 3, 11, host("x.example")),
		nsInst("c1", "gamma", "c", 4, 11, host("x.example")),
		nsInst("d1", "delta", "d", 5, 30, host("y.example")),
		nsInst("e1", "eps", "e", 6, 31, host("y.example")),
	}
	want := Build(slices.Clone(in), dev)
	// beta and gamma were both registered at 11: the name breaks the tie.
	if want.Hosts["x.example"] != "beta" || want.Hosts["y.example"] != "delta" {
		t.Fatalf("hosts %v", want.Hosts)
	}
	for i := range 50 {
		r := rand.New(rand.NewPCG(uint64(i), 7))
		shuffled := slices.Clone(in)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := Build(shuffled, dev)
		if !reflect.DeepEqual(got.Hosts, want.Hosts) {
			t.Fatalf("order %d: hosts %v, want %v", i, got.Hosts, want.Hosts)
		}
		for name, r := range want.Routers {
			if g := got.Routers[name]; g.Status != r.Status {
				t.Fatalf("order %d: router %s %s, want %s", i, name, g.Status, r.Status)
			}
		}
	}
}
