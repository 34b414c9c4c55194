package jobspec

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/wharf-project/wharf/internal/structs"
)

// portDecls records where each port label of a group was declared: labels
// are unique per allocation, across the group network and every task's
// resources network.
type portDecls map[string]hcl.Range

// network reads a network block: a group's (kind ctxGroupNetwork) or the
// older form inside a task's resources (ctxTaskNetwork). Ports with a
// static value go to ReservedPorts, the others to DynamicPorts.
func (p *parser) network(b *hclsyntax.Block, path string, kind *bodyKind, ports portDecls) *structs.NetworkResource {
	n := &structs.NetworkResource{}
	if !p.open(b, path, kind) {
		return n
	}
	body := b.Body
	if kind == ctxGroupNetwork {
		p.str(body, "mode", path+".Mode", &n.Mode)
		p.str(body, "hostname", path+".Hostname", &n.Hostname)
	}
	p.integer(body, "mbits", path+".MBits", &n.MBits, -anyInt, anyInt)
	for _, pb := range blocksOf(body, "port") {
		if !p.labels(pb, 1, "label") {
			continue
		}
		label := pb.Labels[0]
		if first, dup := ports[label]; dup {
			p.errorf(pb.LabelRanges[0], "", "Duplicate port label", "port labels are shared by all tasks of a group",
				"port %q was already declared at line %d", label, first.Start.Line)
			continue
		}
		ports[label] = pb.LabelRanges[0]
		port, static := p.port(pb, path, label)
		if static {
			n.ReservedPorts = append(n.ReservedPorts, port)
		} else {
			n.DynamicPorts = append(n.DynamicPorts, port)
		}
	}
	return n
}

// port reads one port block and says whether it is static.
func (p *parser) port(b *hclsyntax.Block, npath, label string) (structs.Port, bool) {
	port := structs.Port{Label: label}
	_, static := b.Body.Attributes["static"]
	path := fmt.Sprintf("%s.DynamicPorts[%q]", npath, label)
	if static {
		path = fmt.Sprintf("%s.ReservedPorts[%q]", npath, label)
	}
	p.at(path, b.DefRange())
	p.checkBody(b.Body, ctxPort)
	if static {
		p.integer(b.Body, "static", path+".Value", &port.Value, -anyInt, anyInt)
	}
	p.integer(b.Body, "to", path+".To", &port.To, -anyInt, anyInt)
	p.str(b.Body, "host_network", path+".HostNetwork", &port.HostNetwork)
	return port, static
}
