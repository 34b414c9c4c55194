package scheduler

import (
	"strings"
	"testing"

	"github.com/wharf-project/wharf/internal/structs"
)

// TestHostVolumesPlacement: a pot task mounting /srv/x/data is placed
// only on the node whose host volume holds it; with /:/host no node fits
// and the failure names the task and the mount.
func TestHostVolumesPlacement(t *testing.T) {
	nodes := testNodes(3, "dc1")
	for _, n := range nodes {
		n.Drivers["pot"] = &structs.DriverInfo{Detected: true, Healthy: true}
	}
	nodes[1].HostVolumes = map[string]*structs.ClientHostVolumeConfig{"x": {Name: "x", Path: "/srv/x"}}
	nodes[2].HostVolumes = map[string]*structs.ClientHostVolumeConfig{"x2": {Name: "x2", Path: "/srv/x2"}}
	potJob := func(mount string) *structs.Job {
		job := testJob("web", 1)
		task := job.TaskGroups[0].Tasks[0]
		task.Driver, task.Config = "pot", map[string]any{"mount": []any{mount}}
		return job
	}
	res := run(t, newFakeState(nodes...), potJob("/srv/x/data:/data"))
	var placed []string
	for _, a := range res.Plan.NodeAllocation {
		for _, al := range a {
			placed = append(placed, al.NodeID)
		}
	}
	if len(placed) != 1 || placed[0] != nodes[1].ID {
		t.Fatalf("placed on %v, want only %s (the node with /srv/x)", placed, nodes[1].ID)
	}
	res = run(t, newFakeState(nodes...), potJob("/:/host"))
	m := res.FailedTGAllocs["web"]
	if m == nil || m.NodesFiltered != 3 {
		t.Fatalf("metric %+v, want 3 nodes filtered", m)
	}
	for key, n := range m.ConstraintFiltered {
		if !strings.HasPrefix(key, keyHostVolumes) || !strings.Contains(key, `"/:/host"`) || n != 3 {
			t.Errorf("filtered %q %d, want the host volume key naming the mount", key, n)
		}
	}
}
