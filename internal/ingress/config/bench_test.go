package config

import (
	"fmt"
	"testing"
)

// BenchmarkBuild1000Services builds 1,000 services of 2 instances each;
// every tenth has router, service and middleware tags.
func BenchmarkBuild1000Services(b *testing.B) {
	var instances []Instance
	for i := range 1000 {
		name := fmt.Sprintf("svc-%d", i)
		var tags []string
		if i%10 == 0 {
			tags = []string{
				"traefik.http.routers." + name + ".rule=Host(`" + name + ".example`) && PathPrefix(`/api`)",
				"traefik.http.routers." + name + ".middlewares=strip-" + name,
				"traefik.http.middlewares.strip-" + name + ".stripprefix.prefixes=/api",
				"traefik.http.services." + name + ".loadbalancer.server.port=9000",
			}
		}
		for j := range 2 {
			instances = append(instances, Instance{ID: fmt.Sprintf("%s-%d", name, j), ServiceName: name,
				Address: fmt.Sprintf("10.0.%d.%d", i/250, i%250), Port: 20000 + j, Health: HealthPassing, Tags: tags})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if c := Build(instances, dev); len(c.Routers) != 1000 {
			b.Fatalf("%d routers", len(c.Routers))
		}
	}
}
