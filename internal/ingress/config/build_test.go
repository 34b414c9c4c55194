package config

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// inst makes an instance of svc at 10.0.0.<n>:8000.
func inst(id, svc string, n int, health string, tags ...string) Instance {
	return Instance{ID: id, ServiceName: svc, Address: fmt.Sprintf("10.0.0.%d", n), Port: 8000, Health: health, Tags: tags}
}

// dev are the -dev options.
var dev = Options{Domain: "minipot", ExposedByDefault: true, EntryPoints: []string{"web"}}

// routerLine summarises a router for comparison.
func routerLine(r *Router) string {
	return fmt.Sprintf("%s %s rule=%s svc=%s mw=%v ep=%v tls=%v prio=%d", r.Name, r.Status, r.Rule, r.Service,
		r.Middlewares, r.EntryPoints, r.TLS, r.Priority)
}

// mustRouter returns the named router or fails.
func mustRouter(t *testing.T, c *Config, name string) *Router {
	t.Helper()
	r := c.Routers[name]
	if r == nil {
		t.Fatalf("no router %q; have %v", name, sortedKeys(c.Routers))
	}
	return r
}

// wantErr fails unless one of errs contains want.
func wantErr(t *testing.T, errs []string, want string) {
	t.Helper()
	for _, e := range errs {
		if strings.Contains(e, want) {
			return
		}
	}
	t.Fatalf("errors %q lack %q", errs, want)
}

func TestBuildDefaults(t *testing.T) {
	c := Build([]Instance{
		inst("b", "web", 2, HealthWarning),
		inst("a", "web", 1, HealthPassing),
		inst("c", "web", 3, HealthCritical),
		{ID: "d", ServiceName: "web", Address: "", Port: 80, Health: HealthPassing},
		{ID: "e", ServiceName: "web", Address: "10.0.0.5", Port: 0, Health: HealthPassing},
		{ID: "f", ServiceName: "nothing", Address: "", Port: 0, Health: HealthPassing},
		inst("g", "api", 7, HealthPassing),
	}, dev)
	if got := routerLine(mustRouter(t, c, "web")); got != "web enabled rule=Host(`web.minipot`) svc=web mw=[] ep=[web] tls=false prio=0" {
		t.Fatalf("router: %s", got)
	}
	if len(c.Routers) != 2 || len(c.Services) != 2 || len(c.Middlewares) != 0 {
		t.Fatalf("routers %v services %v", sortedKeys(c.Routers), sortedKeys(c.Services))
	}
	s := c.Services["web"]
	want := []*Server{
		{URL: "http://10.0.0.1:8000", Weight: 10, Health: HealthPassing, InstanceID: "a"},
		{URL: "http://10.0.0.2:8000", Weight: 1, Health: HealthWarning, InstanceID: "b"},
	}
	if !reflect.DeepEqual(s.Servers, want) || !s.PassHostHeader || s.Status != StatusEnabled || s.Provider != "catalog" || s.Scheme != "http" {
		t.Fatalf("service %+v servers %+v", s, s.Servers)
	}
}

func TestBuildAllCriticalKeepsServiceWithoutServers(t *testing.T) {
	c := Build([]Instance{inst("a", "web", 1, HealthCritical)}, dev)
	if s := c.Services["web"]; s == nil || len(s.Servers) != 0 || s.Servers == nil {
		t.Fatalf("service %+v", s)
	}
	if mustRouter(t, c, "web").Status != StatusEnabled {
		t.Fatal("router not enabled")
	}
}

func TestBuildIPv6Address(t *testing.T) {
	c := Build([]Instance{{ID: "a", ServiceName: "web", Address: "fd00::1", Port: 80, Health: HealthPassing}}, dev)
	if got := c.Services["web"].Servers[0].URL; got != "http://[fd00::1]:80" {
		t.Fatalf("URL %s", got)
	}
}

func TestBuildExposedByDefault(t *testing.T) {
	tests := []struct {
		exposed bool
		tags    []string
		routed  bool
	}{
		{true, nil, true},
		{true, []string{"traefik.enable=false"}, false},
		{true, []string{"traefik.enable=true"}, true},
		{false, nil, false},
		{false, []string{"traefik.enable=true"}, true},
		{false, []string{"Traefik.Enable=TRUE"}, true},
		{false, []string{"traefik.enable=false"}, false},
	}
	for _, tt := range tests {
		opts := dev
		opts.ExposedByDefault = tt.exposed
		c := Build([]Instance{inst("a", "web", 1, HealthPassing, tt.tags...)}, opts)
		if got := c.Routers["web"] != nil && c.Services["web"] != nil; got != tt.routed {
			t.Errorf("exposed=%v tags=%v: routed %v, want %v", tt.exposed, tt.tags, got, tt.routed)
		}
	}
}

func TestBuildBadEnable(t *testing.T) {
	c := Build([]Instance{inst("a", "web", 1, HealthPassing, "traefik.enable=yes")}, dev)
	r := mustRouter(t, c, "web")
	if r.Status != StatusDisabled {
		t.Fatalf("status %s", r.Status)
	}
	wantErr(t, r.Err, "traefik.enable must be true or false")
}

func TestBuildTagsFromSmallestHealthyID(t *testing.T) {
	c := Build([]Instance{
		inst("c", "web", 3, HealthPassing, "traefik.http.routers.web.rule=Host(`c`)"),
		inst("b", "web", 2, HealthPassing, "traefik.http.routers.web.rule=Host(`b`)"),
		inst("a", "web", 1, HealthCritical, "traefik.http.routers.web.rule=Host(`a`)"),
	}, dev)
	if got := mustRouter(t, c, "web").Rule; got != "Host(`b`)" {
		t.Fatalf("rule %s", got)
	}
	c = Build([]Instance{
		inst("c", "web", 3, HealthCritical, "traefik.http.routers.web.rule=Host(`c`)"),
		inst("a", "web", 1, HealthCritical, "traefik.http.routers.web.rule=Host(`a`)"),
	}, dev)
	if got := mustRouter(t, c, "web").Rule; got != "Host(`a`)" {
		t.Fatalf("rule %s", got)
	}
}

func TestBuildRouterTags(t *testing.T) {
	tests := []struct {
		name string
		tags []string
		want string // routerLine of router "r"
	}{
		{"rule", []string{"traefik.http.routers.r.rule=Host(`a.example`) && PathPrefix(`/foo`)"},
			"r enabled rule=Host(`a.example`) && PathPrefix(`/foo`) svc=web mw=[] ep=[web] tls=false prio=0"},
		{"no rule takes the default", []string{"traefik.http.routers.r.priority=5"},
			"r enabled rule=Host(`web.minipot`) svc=web mw=[] ep=[web] tls=false prio=5"},
		{"priority", []string{"traefik.http.routers.r.rule=Path(`/`)", "traefik.http.routers.r.priority=42"},
			"r enabled rule=Path(`/`) svc=web mw=[] ep=[web] tls=false prio=42"},
		{"entrypoints", []string{"traefik.http.routers.r.entrypoints=web, websecure"},
			"r enabled rule=Host(`web.minipot`) svc=web mw=[] ep=[web websecure] tls=false prio=0"},
		{"tls", []string{"traefik.http.routers.r.tls=true", "traefik.http.routers.r.entrypoints=websecure"},
			"r enabled rule=Host(`web.minipot`) svc=web mw=[] ep=[websecure] tls=true prio=0"},
		{"service", []string{"traefik.http.routers.r.service=api", "traefik.http.services.api.loadbalancer.server.port=9000"},
			"r enabled rule=Host(`web.minipot`) svc=api mw=[] ep=[web] tls=false prio=0"},
		{"service@catalog", []string{"traefik.http.routers.r.service=web@catalog"},
			"r enabled rule=Host(`web.minipot`) svc=web mw=[] ep=[web] tls=false prio=0"},
		{"middlewares", []string{"traefik.http.routers.r.middlewares=strip, tohttps@catalog",
			"traefik.http.middlewares.strip.stripprefix.prefixes=/a,/b",
			"traefik.http.middlewares.tohttps.redirectscheme.scheme=https"},
			"r enabled rule=Host(`web.minipot`) svc=web mw=[strip tohttps] ep=[web] tls=false prio=0"},
		{"case-insensitive keys", []string{"TRAEFIK.HTTP.Routers.r.RULE=Host(`x`)", "traefik.http.routers.r.EntryPoints=a"},
			"r enabled rule=Host(`x`) svc=web mw=[] ep=[a] tls=false prio=0"},
		{"tls options ignored with a warning", []string{"traefik.http.routers.r.tls.certresolver=le"},
			"r warning rule=Host(`web.minipot`) svc=web mw=[] ep=[web] tls=true prio=0"},
		{"other providers' tags ignored", []string{"traefik.tcp.routers.r.rule=HostSNI(`*`)", "traefik.http.routers.r.rule=Path(`/`)", "other=1", "traefik"},
			"r enabled rule=Path(`/`) svc=web mw=[] ep=[web] tls=false prio=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Build([]Instance{inst("a", "web", 1, HealthPassing, tt.tags...)}, dev)
			r := mustRouter(t, c, "r")
			if got := routerLine(r); got != tt.want {
				t.Fatalf("got  %s\nwant %s\nerr %q", got, tt.want, r.Err)
			}
			if c.Routers["web"] != nil {
				t.Fatal("a default router exists beside tag routers")
			}
		})
	}
}

func TestBuildRouterErrors(t *testing.T) {
	tests := []struct {
		name string
		tags []string
		err  string
	}{
		{"unknown option", []string{"traefik.http.routers.r.rul=Host(`a`)"}, `unknown router option "rul"`},
		{"bad priority", []string{"traefik.http.routers.r.priority=high"}, "priority must be a non-negative integer"},
		{"negative priority", []string{"traefik.http.routers.r.priority=-1"}, "priority must be a non-negative integer"},
		{"bad tls", []string{"traefik.http.routers.r.tls=maybe"}, "tls must be true or false"},
		{"bad rule", []string{"traefik.http.routers.r.rule=Host(`a`) && HostX(`b`)"}, "rule: 1:14: unknown matcher HostX"},
		{"undefined middleware", []string{"traefik.http.routers.r.middlewares=nope"}, "middleware nope is not defined"},
		{"other provider's middleware", []string{"traefik.http.routers.r.middlewares=auth@file"}, "middleware auth@file is not defined"},
		{"disabled middleware", []string{"traefik.http.routers.r.middlewares=m", "traefik.http.middlewares.m.basicauth.users=x"}, "middleware m is disabled"},
		{"undefined service", []string{"traefik.http.routers.r.service=nope"}, "service nope is not defined"},
		{"disabled service", []string{"traefik.http.services.s.loadbalancer.server.port=x"}, "service s is disabled"},
		{"several services", []string{"traefik.http.services.a.loadbalancer.server.port=1", "traefik.http.services.b.loadbalancer.server.port=2"},
			"defines several services (a, b)"},
		{"unknown http kind", []string{"traefik.http.routrs.r.rule=Host(`a`)", "traefik.http.routers.r.service=web"}, "unknown key; ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Build([]Instance{
				inst("a", "web", 1, HealthPassing, append(tt.tags, "traefik.http.routers.r.entrypoints=web")...),
				inst("b", "ok", 2, HealthPassing),
			}, dev)
			r := mustRouter(t, c, "r")
			wantErr(t, r.Err, tt.err)
			if r.Status == StatusEnabled {
				t.Fatalf("status %s", r.Status)
			}
			if ok := mustRouter(t, c, "ok"); ok.Status != StatusEnabled || len(ok.Err) > 0 {
				t.Fatalf("other router affected: %s %q", ok.Status, ok.Err)
			}
		})
	}
}

func TestBuildServiceTags(t *testing.T) {
	tests := []struct {
		name string
		tags []string
		want Service // Name, Servers[0].URL via URL below
		url  string
	}{
		{"port", []string{"traefik.http.services.web.loadbalancer.server.port=9090"},
			Service{Scheme: "http", PassHostHeader: true}, "http://10.0.0.1:9090"},
		{"scheme https", []string{"traefik.http.services.web.loadbalancer.server.scheme=HTTPS"},
			Service{Scheme: "https", PassHostHeader: true}, "https://10.0.0.1:8000"},
		{"scheme h2c", []string{"traefik.http.services.web.loadbalancer.server.scheme=h2c"},
			Service{Scheme: "h2c", PassHostHeader: true}, "http://10.0.0.1:8000"},
		{"passhostheader", []string{"traefik.http.services.web.loadbalancer.passhostheader=false"},
			Service{Scheme: "http"}, "http://10.0.0.1:8000"},
		{"sticky cookie", []string{"traefik.http.services.web.loadbalancer.sticky.cookie=true"},
			Service{Scheme: "http", PassHostHeader: true, Sticky: &Sticky{CookieName: defaultCookieName("web")}}, "http://10.0.0.1:8000"},
		{"sticky cookie options", []string{"traefik.http.services.web.loadbalancer.sticky.cookie.name=srv",
			"traefik.http.services.web.loadbalancer.sticky.cookie.secure=true", "traefik.http.services.web.loadbalancer.sticky.cookie.httponly=true"},
			Service{Scheme: "http", PassHostHeader: true, Sticky: &Sticky{CookieName: "srv", Secure: true, HTTPOnly: true}}, "http://10.0.0.1:8000"},
		{"sticky false", []string{"traefik.http.services.web.loadbalancer.sticky.cookie=false"},
			Service{Scheme: "http", PassHostHeader: true}, "http://10.0.0.1:8000"},
		{"sticky (v2 boolean)", []string{"traefik.http.services.web.loadbalancer.sticky=true"},
			Service{Scheme: "http", PassHostHeader: true, Sticky: &Sticky{CookieName: defaultCookieName("web")}}, "http://10.0.0.1:8000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Build([]Instance{inst("a", "web", 1, HealthPassing, tt.tags...)}, dev)
			s := c.Services["web"]
			if s == nil || s.Status != StatusEnabled || len(s.Servers) != 1 {
				t.Fatalf("service %+v", s)
			}
			if s.Servers[0].URL != tt.url || s.Scheme != tt.want.Scheme || s.PassHostHeader != tt.want.PassHostHeader ||
				!reflect.DeepEqual(s.Sticky, tt.want.Sticky) {
				t.Fatalf("got %+v sticky %+v url %s", s, s.Sticky, s.Servers[0].URL)
			}
			if r := mustRouter(t, c, "web"); r.Service != "web" || r.Status != StatusEnabled {
				t.Fatalf("router %s", routerLine(r))
			}
		})
	}
}

func TestBuildServiceErrors(t *testing.T) {
	tests := []struct{ tag, err string }{
		{"traefik.http.services.web.loadbalancer.server.port=0", "port must be a number from 1 to 65535"},
		{"traefik.http.services.web.loadbalancer.server.port=http", "port must be a number from 1 to 65535"},
		{"traefik.http.services.web.loadbalancer.server.scheme=ftp", "scheme must be http, https or h2c"},
		{"traefik.http.services.web.loadbalancer.passhostheader=perhaps", "passhostheader must be true or false"},
		{"traefik.http.services.web.loadbalancer.sticky.cookie.secure=x", "cookie.secure must be true or false"},
		{"traefik.http.services.web.loadbalancer.sticky.cookie.flavour=x", `unknown sticky option "cookie.flavour"`},
		{"traefik.http.services.web.loadbalancer.servers.port=1", `unknown service option "loadbalancer.servers.port"`},
		{"traefik.http.services.web.weighted.services=a", `unknown service option "weighted.services"`},
	}
	for _, tt := range tests {
		c := Build([]Instance{inst("a", "web", 1, HealthPassing, tt.tag)}, dev)
		s := c.Services["web"]
		if s.Status != StatusDisabled {
			t.Errorf("%s: status %s", tt.tag, s.Status)
			continue
		}
		wantErr(t, s.Err, tt.err)
		r := mustRouter(t, c, "web")
		wantErr(t, r.Err, "service web is disabled")
	}
}

func TestBuildWarnings(t *testing.T) {
	c := Build([]Instance{inst("a", "web", 1, HealthPassing,
		"traefik.http.services.web.loadbalancer.healthcheck.path=/health",
		"traefik.http.middlewares.m.redirectscheme.scheme=https", "traefik.http.middlewares.m.redirectscheme.port=443",
	)}, dev)
	if s := c.Services["web"]; s.Status != StatusWarning {
		t.Fatalf("service %s %q", s.Status, s.Err)
	}
	if m := c.Middlewares["m"]; m.Status != StatusWarning || m.RedirectScheme != "https" {
		t.Fatalf("middleware %+v", m)
	}
	if r := mustRouter(t, c, "web"); r.Status != StatusEnabled {
		t.Fatalf("router %s %q", r.Status, r.Err)
	}
}
