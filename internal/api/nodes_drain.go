package api

import (
	"net/http"

	"github.com/wharf-project/wharf/internal/structs"
)

// DrainOptions are a drain update: Spec starts or changes a drain (nil
// stops it), MarkEligible makes a node whose drain stops eligible again,
// and Meta is kept in the node's LastDrain.
type DrainOptions struct {
	Spec         *DrainSpec
	MarkEligible bool
	Meta         map[string]string
}

// UpdateDrainOpts updates a node's drain (PUT /v1/node/:id/drain).
func (n *Nodes) UpdateDrainOpts(nodeID string, o *DrainOptions) (*structs.NodeUpdateResponse, error) {
	body := struct {
		NodeID       string
		DrainSpec    *DrainSpec
		MarkEligible bool
		Meta         map[string]string `json:",omitempty"`
	}{nodeID, o.Spec, o.MarkEligible, o.Meta}
	var out structs.NodeUpdateResponse
	if err := n.c.write(http.MethodPut, "/v1/node/"+escape(nodeID)+"/drain", body, &out, nil, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// ToggleEligibility makes a node eligible or ineligible for new
// placements (PUT /v1/node/:id/eligibility).
func (n *Nodes) ToggleEligibility(nodeID string, eligible bool) (*structs.NodeUpdateResponse, error) {
	e := structs.NodeSchedulingIneligible
	if eligible {
		e = structs.NodeSchedulingEligible
	}
	body := struct{ NodeID, Eligibility string }{nodeID, e}
	var out structs.NodeUpdateResponse
	if err := n.c.write(http.MethodPut, "/v1/node/"+escape(nodeID)+"/eligibility", body, &out, nil, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// NodePurgeResponse is the answer to a node purge.
type NodePurgeResponse struct {
	EvalIDs         []string
	EvalCreateIndex uint64
	NodeModifyIndex uint64
}

// Purge removes a node; its allocations are marked lost and replaced (PUT
// /v1/node/:id/purge). A live node registers again.
func (n *Nodes) Purge(nodeID string) (*NodePurgeResponse, error) {
	var out NodePurgeResponse
	if err := n.c.write(http.MethodPut, "/v1/node/"+escape(nodeID)+"/purge", nil, &out, nil, nil); err != nil {
		return nil, err
	}
	return &out, nil
}
