package scheduler

import "github.com/wharf-project/wharf/internal/structs"

// keyHostVolumes is the metric key of nodes filtered because no host
// volume of theirs holds one of a task's host mounts.
const keyHostVolumes = "missing compatible host volumes"

// hostMountsFit reports whether every host path tg's tasks mount lies in
// one of n's host volumes; if not, it returns the metric key naming the
// first mount that does not.
func hostMountsFit(n *structs.Node, tg *structs.TaskGroup) (bool, string) {
	task, m, ok := structs.UncoveredMount(n, tg)
	if ok {
		return true, ""
	}
	return false, keyHostVolumes + ": " + structs.MountRefusal(task, m)
}
