package catalog

import (
	"context"
	"testing"

	"github.com/wharf-project/wharf/internal/state/memstore"
	"github.com/wharf-project/wharf/internal/structs"
)

func TestView(t *testing.T) {
	st := memstore.New()
	defer st.Close()
	ctx := context.Background()
	if _, err := st.UpsertNode(ctx, &structs.Node{ID: "id-1", Name: "n1", Status: structs.NodeStatusDown, HTTPAddr: "10.0.0.1:4646"}); err != nil {
		t.Fatal(err)
	}
	regs := []*structs.ServiceRegistration{
		{ID: "a", ServiceName: "web", NodeID: "id-1", Port: 1, Tags: []string{"x"}},
		{ID: "b", ServiceName: "Web", NodeID: "ext-host", Address: "10.9.0.1", Port: 2},
		{ID: "c", ServiceName: "db", NodeID: "ext-host", Address: "10.9.0.2", Port: 3,
			Checks: []*structs.CheckStatus{{ID: "t", Status: structs.HealthWarning}}},
	}
	if _, err := st.UpsertServiceRegistrations(ctx, regs); err != nil {
		t.Fatal(err)
	}
	v := NewView(st.Snapshot())
	web := v.Instances("web", nil, false)
	if len(web) != 1 || web[0].Address() != "10.0.0.1" || web[0].Status() != structs.HealthCritical || !web[0].HasTags([]string{"X"}) {
		t.Fatalf("web = %+v", web)
	}
	if got := v.Instances("WEB", nil, true); len(got) != 1 || got[0].Reg.ID != "b" {
		t.Fatalf("case-folded lookup = %+v", got)
	}
	if got := v.Instances("db", nil, true); len(got) != 0 {
		t.Fatalf("warning instance counted as passing: %+v", got)
	}
	nodes := v.Nodes()
	if len(nodes) != 2 || nodes[0].Name != "ext-host" || nodes[0].Status != structs.HealthPassing || nodes[1].Status != structs.HealthCritical {
		t.Fatalf("nodes = %+v %+v", nodes[0], nodes[1])
	}
	if n := v.NodeByName("N1"); n == nil || len(v.InstancesOnNode(n)) != 1 {
		t.Fatalf("node n1 = %+v", n)
	}
	if s := v.Services(); len(s) != 3 || s["web"][0] != "x" {
		t.Fatalf("services = %v", s)
	}
	if v.Index() < 2 {
		t.Fatalf("index = %d", v.Index())
	}
}
