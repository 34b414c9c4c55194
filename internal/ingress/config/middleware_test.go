package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestBuildMiddlewares(t *testing.T) {
	tests := []struct {
		name string
		tags []string
		want Middleware
		err  string
	}{
		{"stripprefix", []string{"traefik.http.middlewares.m.stripprefix.prefixes=/a, /b"},
			Middleware{Name: "m", StripPrefix: []string{"/a", "/b"}, Status: StatusEnabled}, ""},
		{"redirectscheme", []string{"traefik.http.middlewares.m.redirectscheme.scheme=https"},
			Middleware{Name: "m", RedirectScheme: "https", Status: StatusEnabled}, ""},
		{"redirectscheme permanent", []string{"traefik.http.middlewares.m.redirectscheme.scheme=https",
			"traefik.http.middlewares.m.redirectscheme.permanent=true"},
			Middleware{Name: "m", RedirectScheme: "https", Permanent: true, Status: StatusEnabled}, ""},
		{"unsupported type", []string{"traefik.http.middlewares.m.basicauth.users=a:b"},
			Middleware{Name: "m", Status: StatusDisabled}, `unsupported middleware type "basicauth"`},
		{"two types", []string{"traefik.http.middlewares.m.stripprefix.prefixes=/a", "traefik.http.middlewares.m.redirectscheme.scheme=https"},
			Middleware{Name: "m", StripPrefix: []string{"/a"}, RedirectScheme: "", Status: StatusDisabled}, "a middleware has one type"},
		{"prefix without slash", []string{"traefik.http.middlewares.m.stripprefix.prefixes=a"},
			Middleware{Name: "m", StripPrefix: []string{"a"}, Status: StatusDisabled}, `prefix "a" must start with /`},
		{"no prefixes", []string{"traefik.http.middlewares.m.stripprefix.prefixes="},
			Middleware{Name: "m", Status: StatusDisabled}, "stripprefix needs prefixes"},
		{"no scheme", []string{"traefik.http.middlewares.m.redirectscheme.permanent=true"},
			Middleware{Name: "m", Permanent: true, Status: StatusDisabled}, "redirectscheme needs a scheme"},
		{"bad scheme", []string{"traefik.http.middlewares.m.redirectscheme.scheme=ftp"},
			Middleware{Name: "m", RedirectScheme: "ftp", Status: StatusDisabled}, "scheme must be http or https"},
		{"bad permanent", []string{"traefik.http.middlewares.m.redirectscheme.scheme=https", "traefik.http.middlewares.m.redirectscheme.permanent=2"},
			Middleware{Name: "m", RedirectScheme: "https", Status: StatusDisabled}, "permanent must be true or false"},
		{"unknown option", []string{"traefik.http.middlewares.m.stripprefix.prefix=/a"},
			Middleware{Name: "m", Status: StatusDisabled}, `unknown stripprefix option "prefix"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Build([]Instance{inst("a", "web", 1, HealthPassing, tt.tags...)}, dev)
			m := c.Middlewares["m"]
			if m == nil {
				t.Fatal("no middleware m")
			}
			if tt.err != "" {
				wantErr(t, m.Err, tt.err)
			}
			got := *m
			got.Err, got.Provider = nil, ""
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestBuildHTTPSRedirect is Traefik's per-router redirect: an HTTP router
// with a redirectscheme middleware beside the TLS router.
func TestBuildHTTPSRedirect(t *testing.T) {
	c := Build([]Instance{inst("a", "web", 1, HealthPassing,
		"traefik.http.routers.web-secure.rule=Host(`web.example`)",
		"traefik.http.routers.web-secure.entrypoints=websecure",
		"traefik.http.routers.web-secure.tls=true",
		"traefik.http.routers.web-http.rule=Host(`web.example`)",
		"traefik.http.routers.web-http.entrypoints=web",
		"traefik.http.routers.web-http.middlewares=to-https",
		"traefik.http.middlewares.to-https.redirectscheme.scheme=https",
		"traefik.http.middlewares.to-https.redirectscheme.permanent=true",
	)}, dev)
	for name, want := range map[string]string{
		"web-secure": "web-secure enabled rule=Host(`web.example`) svc=web mw=[] ep=[websecure] tls=true prio=0",
		"web-http":   "web-http enabled rule=Host(`web.example`) svc=web mw=[to-https] ep=[web] tls=false prio=0",
	} {
		if got := routerLine(mustRouter(t, c, name)); got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
	if m := c.Middlewares["to-https"]; m.RedirectScheme != "https" || !m.Permanent || m.Status != StatusEnabled {
		t.Fatalf("middleware %+v", m)
	}
}

func TestBuildDefaultRule(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		tags []string
		want string // routerLine of router "my.web", or an error
	}{
		{"domain", dev, nil, "my.web enabled rule=Host(`my.web.minipot`) svc=my.web mw=[] ep=[web] tls=false prio=0"},
		{"no domain", Options{ExposedByDefault: true}, nil, "my.web enabled rule=Host(`my.web`) svc=my.web mw=[] ep=[] tls=false prio=0"},
		{"template", Options{ExposedByDefault: true, Domain: "d", DefaultRule: "Host(`{{ normalize .Name }}.{{ .Domain }}`)"}, nil,
			"my.web enabled rule=Host(`my-web.d`) svc=my.web mw=[] ep=[] tls=false prio=0"},
		{"template labels", Options{ExposedByDefault: true, DefaultRule: "Host(`{{ index .Labels \"host\" }}`)"}, []string{"host=h.example"},
			"my.web enabled rule=Host(`h.example`) svc=my.web mw=[] ep=[] tls=false prio=0"},
		{"template path", Options{ExposedByDefault: true, DefaultRule: "PathPrefix(`/{{ .Name }}`)"}, nil,
			"my.web enabled rule=PathPrefix(`/my.web`) svc=my.web mw=[] ep=[] tls=false prio=0"},
		{"template parse error", Options{ExposedByDefault: true, DefaultRule: "Host(`{{ .Name `)"}, nil, "default rule: template:"},
		{"template exec error", Options{ExposedByDefault: true, DefaultRule: "Host(`{{ .Nope }}`)"}, nil, "default rule: template:"},
		{"template makes a bad rule", Options{ExposedByDefault: true, DefaultRule: "Hots(`{{ .Name }}`)"}, nil, "unknown matcher Hots"},
		{"path routing", Options{ExposedByDefault: true, Domain: "d", PathRouting: true, DefaultRule: "Host(`x`)"}, nil,
			"my.web enabled rule=Path(`/my.web`) || PathPrefix(`/my.web/`) svc=my.web mw=[stripprefix-my.web] ep=[] tls=false prio=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Build([]Instance{inst("a", "my.web", 1, HealthPassing, tt.tags...)}, tt.opts)
			r := mustRouter(t, c, "my.web")
			if strings.Contains(tt.want, "=") {
				if got := routerLine(r); got != tt.want || len(r.Err) > 0 {
					t.Fatalf("got  %s %q\nwant %s", got, r.Err, tt.want)
				}
				return
			}
			if r.Status != StatusDisabled {
				t.Fatalf("status %s", r.Status)
			}
			wantErr(t, r.Err, tt.want)
		})
	}
}

func TestBuildPathRouting(t *testing.T) {
	opts := Options{ExposedByDefault: true, PathRouting: true, EntryPoints: []string{"web"}}
	c := Build([]Instance{
		inst("a", "foo", 1, HealthPassing),
		inst("b", "bar", 2, HealthPassing, "traefik.http.routers.bar.tls=true", "traefik.http.routers.bar.middlewares=m",
			"traefik.http.middlewares.m.redirectscheme.scheme=https"),
		inst("c", "baz", 3, HealthPassing, "traefik.http.routers.baz.rule=Host(`baz.example`)"),
	}, opts)
	want := map[string]string{
		"foo": "foo enabled rule=Path(`/foo`) || PathPrefix(`/foo/`) svc=foo mw=[stripprefix-foo] ep=[web] tls=false prio=0",
		"bar": "bar enabled rule=Path(`/bar`) || PathPrefix(`/bar/`) svc=bar mw=[stripprefix-bar m] ep=[web] tls=true prio=0",
		"baz": "baz enabled rule=Host(`baz.example`) svc=baz mw=[] ep=[web] tls=false prio=0",
	}
	for name, w := range want {
		if got := routerLine(mustRouter(t, c, name)); got != w {
			t.Errorf("got  %s\nwant %s", got, w)
		}
	}
	if m := c.Middlewares["stripprefix-foo"]; m == nil || !reflect.DeepEqual(m.StripPrefix, []string{"/foo"}) || m.Status != StatusEnabled {
		t.Fatalf("middleware %+v", m)
	}
	if c.Middlewares["stripprefix-baz"] != nil {
		t.Fatal("a router with its own rule got a stripprefix")
	}
}

func TestBuildCrossServiceNames(t *testing.T) {
	c := Build([]Instance{
		inst("a", "one", 1, HealthPassing, "traefik.http.routers.shared.rule=Host(`a`)",
			"traefik.http.middlewares.strip.stripprefix.prefixes=/x"),
		inst("b", "two", 2, HealthPassing, "traefik.http.routers.shared.rule=Host(`b`)",
			"traefik.http.routers.uses.middlewares=strip", "traefik.http.routers.uses.service=one",
			"traefik.http.middlewares.strip.stripprefix.prefixes=/x"),
		inst("c", "three", 3, HealthPassing, "traefik.http.services.one.loadbalancer.server.port=1"),
	}, dev)
	r := mustRouter(t, c, "shared")
	if r.Status != StatusDisabled || r.Rule != "Host(`a`)" {
		t.Fatalf("shared: %s", routerLine(r))
	}
	wantErr(t, r.Err, "router shared is defined differently by catalog services one and two")
	if m := c.Middlewares["strip"]; m.Status != StatusEnabled {
		t.Fatalf("identical middleware definitions conflict: %+v", m)
	}
	s := c.Services["one"]
	if s.Status != StatusDisabled || len(s.Servers) != 1 || s.Servers[0].InstanceID != "a" {
		t.Fatalf("service one: %+v", s)
	}
	wantErr(t, s.Err, "service one is defined by catalog services one and three")
	wantErr(t, mustRouter(t, c, "uses").Err, "service one is disabled")
}
