package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wharf-project/wharf/internal/structs"
)

// checkHostMounts refuses a job whose tasks mount a host path (pot's
// mount, mount_read_only and copy) that no ready node's host volumes
// contain: such a task could never start, and a host path outside the
// operator's volumes must never reach a jail. The scheduler then places
// each group only on nodes whose volumes hold all its mounts.
func (s *Server) checkHostMounts(job *structs.Job) error {
	var ready []*structs.Node
	for _, n := range s.store.Snapshot().Nodes() {
		if n.Ready() && len(n.HostVolumes) > 0 {
			ready = append(ready, n)
		}
	}
	var problems []string
	for _, tg := range job.TaskGroups {
		for _, t := range tg.Tasks {
			for _, m := range structs.TaskHostMounts(t) {
				if !anyNodeHolds(ready, m.Src) {
					problems = append(problems, fmt.Sprintf("TaskGroups[%q].%s: no ready node has such a volume",
						tg.Name, structs.MountRefusal(t.Name, m)))
				}
			}
		}
	}
	if len(problems) > 0 {
		return errorf(http.StatusBadRequest, "job validation failed: %v", errors.New(strings.Join(problems, "\n")))
	}
	return nil
}

// anyNodeHolds reports whether one of nodes has a host volume holding p.
func anyNodeHolds(nodes []*structs.Node, p string) bool {
	for _, n := range nodes {
		if structs.VolumeFor(n.HostVolumes, p) != nil {
			return true
		}
	}
	return false
}
