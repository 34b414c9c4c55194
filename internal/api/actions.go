package api

import (
	"net/http"

	"github.com/wharf-project/wharf/internal/structs"
)

// AllocStopResponse is the answer to an allocation stop: the evaluation
// that places the replacement.
type AllocStopResponse struct {
	EvalID string
	Index  uint64
}

// Stop stops an allocation and has the scheduler place a replacement
// (PUT /v1/allocation/:id/stop).
func (a *Allocations) Stop(allocID string, w *WriteOptions) (*AllocStopResponse, error) {
	var out AllocStopResponse
	if err := a.c.write(http.MethodPut, "/v1/allocation/"+escape(allocID)+"/stop", nil, &out, w, nil); err != nil {
		return nil, err
	}
	return &out, nil
}

// Restart restarts one task of an allocation, or every running task when
// task is empty (PUT /v1/client/allocation/:id/restart). The restart does
// not count against the restart policy.
func (a *Allocations) Restart(allocID, task string) error {
	body := map[string]any{"TaskName": task, "AllTasks": task == ""}
	return a.c.write(http.MethodPut, "/v1/client/allocation/"+escape(allocID)+"/restart", body, nil, nil, nil)
}

// Signal sends signal (e.g. "SIGHUP") to one task of an allocation, or to
// every running task when task is empty (PUT
// /v1/client/allocation/:id/signal).
func (a *Allocations) Signal(allocID, task, signal string) error {
	body := map[string]string{"Task": task, "Signal": signal}
	return a.c.write(http.MethodPut, "/v1/client/allocation/"+escape(allocID)+"/signal", body, nil, nil, nil)
}

// DrainSpec says how a node drains: allocations left when Deadline
// passes are stopped (0: no deadline; negative: at once).
type DrainSpec = structs.DrainSpec

// UpdateDrain enables (spec non-nil) or disables (spec nil) draining of a
// node (PUT /v1/node/:id/drain); on disable, markEligible makes the node
// eligible for placements again.
func (n *Nodes) UpdateDrain(nodeID string, spec *DrainSpec, markEligible bool) (*structs.NodeUpdateResponse, error) {
	body := struct {
		DrainSpec    *DrainSpec
		MarkEligible bool
	}{spec, markEligible}
	var out structs.NodeUpdateResponse
	if err := n.c.write(http.MethodPut, "/v1/node/"+escape(nodeID)+"/drain", body, &out, nil, nil); err != nil {
		return nil, err
	}
	return &out, nil
}
