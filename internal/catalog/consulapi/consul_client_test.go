package consulapi

import (
	"testing"
	"time"

	consul "github.com/hashicorp/consul/api"
)

// TestConsulClient drives the API with Consul's official Go client.
func TestConsulClient(t *testing.T) {
	f := newFixture(t)
	c, err := consul.NewClient(&consul.Config{Address: f.http.URL})
	if err != nil {
		t.Fatal(err)
	}
	f.put(t, reg("w1", "web", "node-1", "10.0.0.1", 8080, []string{"v1"}, "passing"),
		reg("w2", "web", "node-1", "10.0.0.1", 8081, []string{"v1"}, "critical"))

	err = c.Agent().ServiceRegister(&consul.AgentServiceRegistration{ID: "pg", Name: "postgres", Port: 5432,
		Address: "10.9.9.9", Tags: []string{"primary"}, Check: &consul.AgentServiceCheck{TTL: "1m"}})
	if err != nil {
		t.Fatal(err)
	}
	services, meta, err := c.Catalog().Services(nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(services) != 2 || services["postgres"][0] != "primary" || meta.LastIndex == 0 || !meta.KnownLeader {
		t.Fatalf("services = %v, meta = %+v", services, meta)
	}
	cs, _, err := c.Catalog().Service("web", "v1", nil)
	if err != nil || len(cs) != 2 || cs[0].ServiceAddress != "10.0.0.1" {
		t.Fatalf("catalog web = %+v, %v", cs, err)
	}
	entries, _, err := c.Health().Service("web", "", true, nil)
	if err != nil || len(entries) != 1 || entries[0].Service.ID != "w1" || entries[0].Checks.AggregatedStatus() != "passing" {
		t.Fatalf("passing web = %+v, %v", entries, err)
	}

	// A blocking query on postgres wakes when its TTL check passes.
	entries, meta, err = c.Health().Service("postgres", "", true, nil)
	if err != nil || len(entries) != 0 {
		t.Fatalf("postgres before = %+v, %v", entries, err)
	}
	type result struct {
		entries []*consul.ServiceEntry
		err     error
	}
	woke := make(chan result, 1)
	go func() {
		e, _, err := c.Health().Service("postgres", "", true, &consul.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 30 * time.Second})
		woke <- result{e, err}
	}()
	if err := c.Agent().PassTTL("service:pg", "up"); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-woke:
		if r.err != nil || len(r.entries) != 1 || r.entries[0].Service.Port != 5432 || r.entries[0].Checks[1].Output != "up" {
			t.Fatalf("postgres after = %+v, %v", r.entries, r.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("blocking query did not wake on the health change")
	}

	checks, _, err := c.Health().Checks("postgres", nil)
	if err != nil || len(checks) != 1 || checks[0].Status != "passing" {
		t.Fatalf("checks = %+v, %v", checks, err)
	}
	states, _, err := c.Health().State("critical", nil)
	if err != nil || len(states) != 2 { // w2's check and node n2's serfHealth
		t.Fatalf("critical = %+v, %v", states, err)
	}
	nodes, _, err := c.Catalog().Nodes(nil)
	if err != nil || len(nodes) != 2 {
		t.Fatalf("nodes = %+v, %v", nodes, err)
	}
	leader, err := c.Status().Leader()
	if err != nil || leader == "" {
		t.Fatalf("leader = %q, %v", leader, err)
	}
	if name, err := c.Agent().NodeName(); err != nil || name != "n1" {
		t.Fatalf("node name = %q, %v", name, err)
	}
	agentServices, err := c.Agent().Services()
	if err != nil || agentServices["pg"] == nil || agentServices["pg"].Service != "postgres" {
		t.Fatalf("agent services = %+v, %v", agentServices, err)
	}
	if err := c.Agent().ServiceDeregister("pg"); err != nil {
		t.Fatal(err)
	}
	services, _, err = c.Catalog().Services(nil)
	if err != nil || len(services) != 1 {
		t.Fatalf("after deregister = %v, %v", services, err)
	}
	if err := c.Agent().ServiceRegister(&consul.AgentServiceRegistration{Name: "bad",
		Check: &consul.AgentServiceCheck{HTTP: "http://x", Interval: "10s"}}); err == nil {
		t.Fatal("an HTTP check through the agent API was accepted")
	}
}
