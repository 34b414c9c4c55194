package consulapi

import (
	"context"
	"net/http"

	"github.com/wharf-project/wharf/internal/catalog"
)

// catalogServices answers GET /v1/catalog/services: service name -> tags.
// Only the services the token reads are listed.
func (s *Server) catalogServices(r *http.Request, v *catalog.View) (any, error) {
	all, may := v.Services(), readable(r)
	for name := range all {
		if !may(name) {
			delete(all, name)
		}
	}
	return all, noFilter(r)
}

// catalogService answers GET /v1/catalog/service/:name (?tag= repeated).
func (s *Server) catalogService(r *http.Request, v *catalog.View) (any, error) {
	if err := noFilter(r); err != nil {
		return nil, err
	}
	ins := v.Instances(r.PathValue("name"), r.URL.Query()["tag"], false)
	out := make([]*catalogService, 0, len(ins))
	for _, in := range ins {
		out = append(out, toCatalogService(in))
	}
	return out, nil
}

// catalogNodes answers GET /v1/catalog/nodes.
func (s *Server) catalogNodes(r *http.Request, v *catalog.View) (any, error) {
	if err := noFilter(r); err != nil {
		return nil, err
	}
	nodes := v.Nodes()
	out := make([]*node, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, toNode(n))
	}
	return out, nil
}

// catalogNode answers GET /v1/catalog/node/:node: the node and its
// services by ID (those the token reads), or null for an unknown node, as
// Consul.
func (s *Server) catalogNode(r *http.Request, v *catalog.View) (any, error) {
	n := v.NodeByName(r.PathValue("node"))
	if n == nil {
		return nil, nil
	}
	out := &catalogNode{Node: toNode(n), Services: map[string]*agentService{}}
	may := readable(r)
	for _, in := range v.InstancesOnNode(n) {
		if may(in.Reg.ServiceName) {
			out.Services[in.Reg.ID] = toAgentService(in)
		}
	}
	return out, nil
}

// datacenters answers GET /v1/catalog/datacenters.
func (s *Server) datacenters(*http.Request) (any, error) {
	return []string{s.cfg.Datacenter}, nil
}

// statusLeader answers GET /v1/status/leader with the leader's address as
// a JSON string ("" when there is none, as Consul).
func (s *Server) statusLeader(r *http.Request) (any, error) {
	if s.cfg.Leader == nil {
		return "", nil
	}
	addr, err := s.cfg.Leader(r.Context())
	if err != nil && r.Context().Err() == nil {
		return "", nil
	}
	return addr, nil
}

// statusPeers answers GET /v1/status/peers.
func (s *Server) statusPeers(r *http.Request) (any, error) {
	if s.cfg.Peers == nil {
		return []string{}, nil
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	peers, err := s.cfg.Peers(ctx)
	if err != nil {
		return nil, err
	}
	if peers == nil {
		peers = []string{}
	}
	return peers, nil
}
