package api

import (
	"net/http"

	"github.com/wharf-project/wharf/internal/structs"
)

// Nodes is the /v1/nodes and /v1/node/:id part of the API.
type Nodes struct{ c *Client }

// Nodes returns the node endpoints.
func (c *Client) Nodes() *Nodes { return &Nodes{c: c} }

// List returns nodes (GET /v1/nodes), filtered by q.Prefix.
func (n *Nodes) List(q *QueryOptions) ([]*structs.NodeListStub, *QueryMeta, error) {
	var out []*structs.NodeListStub
	meta, err := n.c.query("/v1/nodes", &out, q)
	return out, meta, err
}

// Info returns one node (GET /v1/node/:id).
func (n *Nodes) Info(id string, q *QueryOptions) (*structs.Node, *QueryMeta, error) {
	var out structs.Node
	meta, err := n.c.query("/v1/node/"+escape(id), &out, q)
	if err != nil {
		return nil, nil, err
	}
	return &out, meta, nil
}

// Allocations lists the allocations placed on a node (GET
// /v1/node/:id/allocations). The client agent watches it with blocking
// queries.
func (n *Nodes) Allocations(id string, q *QueryOptions) ([]*structs.Allocation, *QueryMeta, error) {
	var out []*structs.Allocation
	meta, err := n.c.query("/v1/node/"+escape(id)+"/allocations", &out, q)
	return out, meta, err
}

// Register registers or updates a node (PUT /v1/node/register). It is
// wharf's own endpoint, used by the client agent.
func (n *Nodes) Register(node *structs.Node) (*structs.NodeUpdateResponse, error) {
	var resp structs.NodeUpdateResponse
	if err := n.c.write(http.MethodPut, "/v1/node/register", node, &resp, nil, nil); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Heartbeat tells the servers the node is alive (PUT
// /v1/node/:id/heartbeat); the answer says when the next one is due.
func (n *Nodes) Heartbeat(nodeID string) (*structs.NodeUpdateResponse, error) {
	req := &structs.NodeUpdateStatusRequest{NodeID: nodeID, Status: structs.NodeStatusReady}
	var resp structs.NodeUpdateResponse
	if err := n.c.write(http.MethodPut, "/v1/node/"+escape(nodeID)+"/heartbeat", req, &resp, nil, nil); err != nil {
		return nil, err
	}
	return &resp, nil
}

// Resolve returns the node whose ID is id or starts with id.
func (n *Nodes) Resolve(id string, q *QueryOptions) (*structs.Node, *QueryMeta, error) {
	full, err := resolvePrefix("nodes", id, func(p *QueryOptions) ([]string, error) {
		stubs, _, err := n.List(p)
		return stubIDs(stubs, func(s *structs.NodeListStub) string { return s.ID }), err
	}, q)
	if err != nil {
		return nil, nil, err
	}
	return n.Info(full, q)
}
