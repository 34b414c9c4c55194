package config

import (
	"strings"
	"testing"
)

// FuzzBuild checks that Build never panics on any tags and that every
// router it returns has a status, and a reason when disabled.
func FuzzBuild(f *testing.F) {
	for _, s := range []string{
		"traefik.enable=true",
		"traefik.http.routers.r.rule=Host(`a`)\ntraefik.http.routers.r.middlewares=m\ntraefik.http.middlewares.m.stripprefix.prefixes=/a",
		"traefik.http.services.s.loadbalancer.sticky.cookie.name=x\ntraefik.http.services.s.loadbalancer.server.port=1",
		"traefik.http.routers..rule=x\ntraefik.http.=\ntraefik.http.routers.r.tls.domains[0].main=a",
		"traefik.http.middlewares.m.redirectscheme.scheme=https\ntraefik.http.routers.r.service=s@file",
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, tags string, pathRouting bool) {
		opts := dev
		opts.PathRouting = pathRouting
		c := Build([]Instance{inst("a", "web", 1, HealthPassing, strings.Split(tags, "\n")...),
			inst("b", "api", 2, HealthWarning, strings.Split(tags, "\n")...)}, opts)
		for name, r := range c.Routers {
			if r.Status == "" || r.Status == StatusDisabled && len(r.Err) == 0 {
				t.Fatalf("router %s: status %q err %q", name, r.Status, r.Err)
			}
		}
	})
}
