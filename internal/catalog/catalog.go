package catalog

import (
	"context"
	"net"
	"sort"
	"strings"

	"github.com/wharf-project/wharf/internal/state"
	"github.com/wharf-project/wharf/internal/structs"
)

// Reader is what the catalog reads: snapshots and blocking waits.
// state.Store satisfies it.
type Reader interface {
	Snapshot() state.Snapshot
	WaitForChange(ctx context.Context, min uint64, tables ...state.Table) (uint64, error)
}

// Store is a Reader that also writes registrations (the agent API).
// state.Store satisfies it.
type Store interface {
	Reader
	UpsertServiceRegistrations(ctx context.Context, regs []*structs.ServiceRegistration) (uint64, error)
	UpsertServiceRegistrationsIf(ctx context.Context, regs []*structs.ServiceRegistration, seen map[string]uint64) (uint64, error)
	DeleteServiceRegistrations(ctx context.Context, ids []string) (uint64, error)
}

var _ Store = state.Store(nil)

// Tables are the store tables the catalog's answers depend on.
var Tables = []state.Table{state.TableServices, state.TableNodes}

// SerfCheckID is the ID of a node's own health check, as Consul's.
const SerfCheckID = "serfHealth"

// Node is a catalog node: a wharf client node, or a name that only
// registrations refer to (services registered through the agent API of
// an agent without a client role).
type Node struct {
	ID         string
	Name       string
	Address    string
	Datacenter string
	Meta       map[string]string
	// Status is the node check's status: passing for a ready node (and
	// for a node only registrations name), critical otherwise.
	Status      string
	CreateIndex uint64
	ModifyIndex uint64
}

// Instance is one service instance with its node.
type Instance struct {
	Reg  *structs.ServiceRegistration
	Node *Node
}

// Address is where the instance is reached: its own address, or its
// node's when it has none.
func (i *Instance) Address() string {
	if i.Reg.Address != "" {
		return i.Reg.Address
	}
	return i.Node.Address
}

// Status is the instance's health including its node's: critical when the
// node is not passing, else the registration's own.
func (i *Instance) Status() string {
	if i.Node.Status != structs.HealthPassing {
		return structs.HealthCritical
	}
	return i.Reg.Health()
}

// HasTags reports whether the instance carries every tag in tags
// (case-insensitive, as Consul's).
func (i *Instance) HasTags(tags []string) bool {
	for _, want := range tags {
		found := false
		for _, t := range i.Reg.Tags {
			if strings.EqualFold(t, want) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// View is a catalog read at one store index.
type View struct {
	snap  state.Snapshot
	nodes map[string]*Node // by wharf node ID or synthetic name
}

// NewView reads the catalog from snap.
func NewView(snap state.Snapshot) *View {
	return &View{snap: snap, nodes: map[string]*Node{}}
}

// Index is the highest index of the tables the catalog depends on, at
// least 1 (Consul's clients treat 0 as "no index").
func (v *View) Index() uint64 {
	if i := v.snap.TableIndex(Tables...); i > 0 {
		return i
	}
	return 1
}

// Snapshot is the store snapshot the view reads.
func (v *View) Snapshot() state.Snapshot { return v.snap }

// NodeOf returns the catalog node a registration's NodeID names.
func (v *View) NodeOf(reg *structs.ServiceRegistration) *Node {
	if n, ok := v.nodes[reg.NodeID]; ok {
		return n
	}
	var n *Node
	if sn := v.snap.Node(reg.NodeID); sn != nil {
		n = FromNode(sn)
	} else {
		n = &Node{Name: reg.NodeID, Address: reg.Address, Datacenter: reg.Datacenter,
			Status: structs.HealthPassing, CreateIndex: reg.CreateIndex, ModifyIndex: reg.ModifyIndex}
	}
	v.nodes[reg.NodeID] = n
	return n
}

// FromNode converts a wharf node to a catalog node.
func FromNode(sn *structs.Node) *Node {
	status := structs.HealthCritical
	if sn.Status == structs.NodeStatusReady {
		status = structs.HealthPassing
	}
	name := sn.Name
	if name == "" {
		name = sn.ID
	}
	return &Node{ID: sn.ID, Name: name, Address: NodeAddress(sn), Datacenter: sn.Datacenter, Meta: sn.Meta,
		Status: status, CreateIndex: sn.CreateIndex, ModifyIndex: sn.ModifyIndex}
}

// NodeAddress is a node's IP: its fingerprinted address, else the host of
// its HTTP address.
func NodeAddress(sn *structs.Node) string {
	if ip := sn.Attributes["unique.network.ip-address"]; ip != "" {
		return ip
	}
	if sn.NodeResources != nil {
		for _, nw := range sn.NodeResources.Networks {
			if nw.IP != "" {
				return nw.IP
			}
		}
	}
	if host, _, err := net.SplitHostPort(sn.HTTPAddr); err == nil {
		return host
	}
	return ""
}

// Instances lists the instances of service name (every namespace), in
// the store's order, filtered by tags (all must match) and, with
// passingOnly, by health.
func (v *View) Instances(name string, tags []string, passingOnly bool) []*Instance {
	regs := v.snap.ServiceRegistrationsByName("*", name)
	if len(regs) == 0 {
		regs = v.byNameFold(name)
	}
	out := make([]*Instance, 0, len(regs))
	for _, r := range regs {
		in := &Instance{Reg: r, Node: v.NodeOf(r)}
		if !in.HasTags(tags) || (passingOnly && in.Status() != structs.HealthPassing) {
			continue
		}
		out = append(out, in)
	}
	return out
}

// byNameFold finds a service's registrations ignoring case, as Consul's
// DNS does.
func (v *View) byNameFold(name string) []*structs.ServiceRegistration {
	var out []*structs.ServiceRegistration
	for _, r := range v.snap.ServiceRegistrations() {
		if strings.EqualFold(r.ServiceName, name) {
			out = append(out, r)
		}
	}
	return out
}

// All lists every instance, sorted by service name then ID.
func (v *View) All() []*Instance {
	regs := v.snap.ServiceRegistrations()
	out := make([]*Instance, 0, len(regs))
	for _, r := range regs {
		out = append(out, &Instance{Reg: r, Node: v.NodeOf(r)})
	}
	return out
}

// Services maps each service name to the union of its instances' tags,
// sorted.
func (v *View) Services() map[string][]string {
	sets := map[string]map[string]bool{}
	for _, r := range v.snap.ServiceRegistrations() {
		if sets[r.ServiceName] == nil {
			sets[r.ServiceName] = map[string]bool{}
		}
		for _, t := range r.Tags {
			sets[r.ServiceName][t] = true
		}
	}
	out := make(map[string][]string, len(sets))
	for name, set := range sets {
		tags := make([]string, 0, len(set))
		for t := range set {
			tags = append(tags, t)
		}
		sort.Strings(tags)
		out[name] = tags
	}
	return out
}

// Nodes lists the catalog's nodes: every wharf node and every name only
// registrations refer to, sorted by name.
func (v *View) Nodes() []*Node {
	seen := map[string]bool{}
	var out []*Node
	for _, sn := range v.snap.Nodes() {
		n := FromNode(sn)
		v.nodes[sn.ID] = n
		seen[sn.ID] = true
		out = append(out, n)
	}
	for _, r := range v.snap.ServiceRegistrations() {
		if !seen[r.NodeID] {
			seen[r.NodeID] = true
			out = append(out, v.NodeOf(r))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// NodeByName finds a catalog node by name (case-insensitive) or ID.
func (v *View) NodeByName(name string) *Node {
	for _, n := range v.Nodes() {
		if strings.EqualFold(n.Name, name) || (n.ID != "" && n.ID == name) {
			return n
		}
	}
	return nil
}

// InstancesOnNode lists the instances registered on n.
func (v *View) InstancesOnNode(n *Node) []*Instance {
	key := n.ID
	if key == "" {
		key = n.Name
	}
	regs := v.snap.ServiceRegistrationsByNode(key)
	out := make([]*Instance, 0, len(regs))
	for _, r := range regs {
		out = append(out, &Instance{Reg: r, Node: n})
	}
	return out
}
