package consulapi

import (
	"github.com/wharf-project/wharf/internal/catalog"
	"github.com/wharf-project/wharf/internal/structs"
)

func toNode(n *catalog.Node) *node {
	return &node{ID: n.ID, Node: n.Name, Address: n.Address, Datacenter: n.Datacenter,
		TaggedAddresses: map[string]string{"lan": n.Address, "wan": n.Address},
		Meta:            nonNilMap(n.Meta), CreateIndex: n.CreateIndex, ModifyIndex: n.ModifyIndex}
}

func toAgentService(in *catalog.Instance) *agentService {
	r := in.Reg
	return &agentService{ID: r.ID, Service: r.ServiceName, Tags: nonNil(r.Tags), Meta: nonNilMap(r.Meta),
		Port: r.Port, Address: r.Address, Weights: weights{Passing: 1, Warning: 1},
		CreateIndex: r.CreateIndex, ModifyIndex: r.ModifyIndex, Datacenter: r.Datacenter}
}

func toCatalogService(in *catalog.Instance) *catalogService {
	r, n := in.Reg, in.Node
	return &catalogService{ID: n.ID, Node: n.Name, Address: n.Address, Datacenter: n.Datacenter,
		TaggedAddresses: map[string]string{"lan": n.Address, "wan": n.Address}, NodeMeta: nonNilMap(n.Meta),
		ServiceID: r.ID, ServiceName: r.ServiceName, ServiceAddress: r.Address, ServiceTags: nonNil(r.Tags),
		ServiceMeta: nonNilMap(r.Meta), ServicePort: r.Port, ServiceWeights: weights{Passing: 1, Warning: 1},
		CreateIndex: r.CreateIndex, ModifyIndex: r.ModifyIndex}
}

// nodeCheck is the node's own check, Consul's serfHealth.
func nodeCheck(n *catalog.Node) *healthCheck {
	out := "Agent alive and reachable"
	if n.Status != structs.HealthPassing {
		out = "Node is not ready"
	}
	return &healthCheck{Node: n.Name, CheckID: catalog.SerfCheckID, Name: "Serf Health Status", Status: n.Status,
		Output: out, ServiceTags: []string{}, CreateIndex: n.CreateIndex, ModifyIndex: n.ModifyIndex}
}

// CheckID is the Consul check ID of check c of registration r: the ID
// given through the agent API, or one unique on the node for a task's
// check.
func CheckID(r *structs.ServiceRegistration, c *structs.CheckStatus) string {
	if r.AllocID == "" {
		return c.ID
	}
	return "service:" + r.ID + ":" + c.ID
}

// serviceChecks are the instance's own checks.
func serviceChecks(in *catalog.Instance) []*healthCheck {
	r := in.Reg
	out := make([]*healthCheck, 0, len(r.Checks))
	for _, c := range r.Checks {
		status := c.Status
		if status != structs.HealthPassing && status != structs.HealthWarning {
			status = structs.HealthCritical
		}
		out = append(out, &healthCheck{Node: in.Node.Name, CheckID: CheckID(r, c), Name: c.Name, Status: status,
			Output: c.Output, ServiceID: r.ID, ServiceName: r.ServiceName, ServiceTags: nonNil(r.Tags),
			Type: c.Type, CreateIndex: r.CreateIndex, ModifyIndex: r.ModifyIndex})
	}
	return out
}

func toServiceEntry(in *catalog.Instance) *serviceEntry {
	checks := append([]*healthCheck{nodeCheck(in.Node)}, serviceChecks(in)...)
	return &serviceEntry{Node: toNode(in.Node), Service: toAgentService(in), Checks: checks}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
