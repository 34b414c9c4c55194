package scheduler

import (
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

func TestMetricHelpers(t *testing.T) {
	m := &structs.AllocMetric{}
	filtered(m, "k", "")
	filtered(m, "k", "big")
	exhausted(m, dimCPU, "big")
	if m.NodesFiltered != 2 || m.ConstraintFiltered["k"] != 2 || m.ClassFiltered["big"] != 1 ||
		m.NodesExhausted != 1 || m.DimensionExhausted[dimCPU] != 1 || m.ClassExhausted["big"] != 1 {
		t.Errorf("metric %+v", m)
	}
}

func TestSuccessfulPlacementMetrics(t *testing.T) {
	nodes := append(testNodes(3, "dc1"), testNode("x", "dc2"))
	nodes[0].Drivers = nil
	res := run(t, newFakeState(nodes...), testJob("web", 1))
	a := placed(res.Plan)[0]
	m := a.Metrics
	if m.NodesInPool != 4 || m.NodesAvailable["dc1"] != 3 || m.NodesEvaluated < 2 || m.NodesEvaluated > 3 {
		t.Errorf("metric %+v", m)
	}
	if m.DimensionExhausted != nil || (m.ConstraintFiltered != nil && m.ConstraintFiltered[keyMissingDrivers] != 1) {
		t.Errorf("unexpected rejection maps %+v", m)
	}
	if _, ok := m.Scores[a.NodeID]; !ok {
		t.Errorf("scores %v miss the chosen node %s", m.Scores, a.NodeID)
	}
}
