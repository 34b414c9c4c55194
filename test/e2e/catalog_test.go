package e2e

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
	mdns "github.com/miekg/dns"
)

// TestCatalogConsulAPIAndDNS registers an external service through the
// Consul agent API of `wharf agent -dev` with Consul's own client and
// reads it back from the catalog, the health endpoint and DNS.
func TestCatalogConsulAPIAndDNS(t *testing.T) {
	consulPort, dnsPort := freePort(t), freePort(t)
	a := startAgent(t, "-dev", "-consul-port", strconv.Itoa(consulPort), "-dns-port", strconv.Itoa(dnsPort))
	c, err := consul.NewClient(&consul.Config{Address: fmt.Sprintf("127.0.0.1:%d", consulPort)})
	if err != nil {
		t.Fatal(err)
	}
	if leader, err := c.Status().Leader(); err != nil || leader == "" {
		t.Fatalf("leader = %q, %v\n%s", leader, err, a.out)
	}
	reg := &consul.AgentServiceRegistration{ID: "pg-1", Name: "postgres", Tags: []string{"primary"}, Port: 5432,
		Address: "127.0.0.42", Check: &consul.AgentServiceCheck{TTL: "10m", Status: "passing"}}
	if err := c.Agent().ServiceRegister(reg); err != nil {
		t.Fatal(err)
	}
	services, meta, err := c.Catalog().Services(nil)
	if err != nil || len(services["postgres"]) != 1 || services["postgres"][0] != "primary" || meta.LastIndex == 0 {
		t.Fatalf("catalog services = %v, %+v, %v", services, meta, err)
	}
	entries, _, err := c.Health().Service("postgres", "primary", true, nil)
	if err != nil || len(entries) != 1 || entries[0].Service.Address != "127.0.0.42" || entries[0].Node.Node == "" {
		t.Fatalf("health = %+v, %v", entries, err)
	}

	dnsAddr := fmt.Sprintf("127.0.0.1:%d", dnsPort)
	for _, network := range []string{"udp", "tcp"} {
		m := new(mdns.Msg)
		m.SetQuestion("primary.postgres.service.consul.", mdns.TypeSRV)
		resp, _, err := (&mdns.Client{Net: network, Timeout: 5 * time.Second}).Exchange(m, dnsAddr)
		if err != nil || len(resp.Answer) != 1 || resp.Answer[0].(*mdns.SRV).Port != 5432 || len(resp.Extra) != 1 {
			t.Fatalf("DNS over %s: %v, %v", network, resp, err)
		}
		if ip := resp.Extra[0].(*mdns.A).A.String(); ip != "127.0.0.42" {
			t.Fatalf("SRV target address %s", ip)
		}
	}

	// A failing TTL check takes the instance out of the passing view and
	// DNS; deregistering removes it.
	if err := c.Agent().FailTTL("service:pg-1", "down"); err != nil {
		t.Fatal(err)
	}
	if entries, _, err = c.Health().Service("postgres", "", true, nil); err != nil || len(entries) != 0 {
		t.Fatalf("passing after fail = %+v, %v", entries, err)
	}
	m := new(mdns.Msg)
	m.SetQuestion("postgres.service.wharf.", mdns.TypeA)
	if resp, _, err := (&mdns.Client{Timeout: 5 * time.Second}).Exchange(m, dnsAddr); err != nil || resp.Rcode != mdns.RcodeNameError {
		t.Fatalf("DNS after fail: %v, %v", resp, err)
	}
	if err := c.Agent().ServiceDeregister("pg-1"); err != nil {
		t.Fatal(err)
	}
	if services, _, err = c.Catalog().Services(nil); err != nil || len(services) != 0 {
		t.Fatalf("services after deregister = %v, %v", services, err)
	}
}
