package consulapi

import (
	"net/http"
	"net/http/httptest"
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

// TestBlockingQueryWaitsForItsOwnAnswer: a blocking query on one service,
// made with Consul's client, sleeps through changes to another service
// and wakes when its own answer changes.
func TestBlockingQueryWaitsForItsOwnAnswer(t *testing.T) {
	f := newFixture(t)
	waiting := make(chan struct{}, 1)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("index") != "" {
			select {
			case waiting <- struct{}{}:
			default:
			}
		}
		f.srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	c, err := consul.NewClient(&consul.Config{Address: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	f.put(t, reg("w1", "web", "node-1", "10.0.0.1", 8080, nil, "passing"),
		reg("d1", "db", "node-1", "10.0.0.1", 5432, nil, "passing"))
	_, meta, err := c.Health().Service("web", "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		entries []*consul.ServiceEntry
		meta    *consul.QueryMeta
		err     error
	}
	woke := make(chan result, 1)
	go func() {
		e, m, err := c.Health().Service("web", "", false, &consul.QueryOptions{WaitIndex: meta.LastIndex, WaitTime: 30 * time.Second})
		woke <- result{e, m, err}
	}()
	<-waiting
	time.Sleep(300 * time.Millisecond) // the query has read the catalog and waits

	f.put(t, reg("d1", "db", "node-1", "10.0.0.1", 5432, nil, "critical"))
	f.put(t, reg("d2", "db", "node-1", "10.0.0.1", 5433, nil, "passing"))
	select {
	case r := <-woke:
		t.Fatalf("the query on web woke when db changed: %+v %v", r.entries, r.err)
	case <-time.After(500 * time.Millisecond):
	}
	f.put(t, reg("w1", "web", "node-1", "10.0.0.1", 8080, nil, "critical"))
	var r result
	select {
	case r = <-woke:
	case <-time.After(10 * time.Second):
		t.Fatal("the query on web did not wake when web changed")
	}
	if r.err != nil || len(r.entries) != 1 || r.entries[0].Checks.AggregatedStatus() != "critical" || r.meta.LastIndex <= meta.LastIndex {
		t.Fatalf("after web changed: %+v %+v %v", r.entries, r.meta, r.err)
	}

	// A wait that ends with nothing of web changed answers with the
	// catalog's latest index, so the next query waits from there.
	last := r.meta.LastIndex
	idx := f.put(t, reg("d3", "db", "node-1", "10.0.0.1", 5434, nil, "passing"))
	_, m, err := c.Health().Service("web", "", false, &consul.QueryOptions{WaitIndex: idx, WaitTime: 200 * time.Millisecond})
	if err != nil || m.LastIndex != idx || idx <= last {
		t.Fatalf("timed-out query: index %d, want %d (%v)", m.LastIndex, idx, err)
	}
}
