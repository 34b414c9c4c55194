package allocrunner

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"strconv"

	"github.com/wharf-project/wharf/internal/client/allocdir"
	"github.com/wharf-project/wharf/internal/structs"
)

// PrerunHook is one step run, in order, before an allocation's tasks
// start (and again when a restarted agent restores the allocation). An
// error fails every task with a Setup Failure event.
type PrerunHook interface {
	Name() string
	Prerun(ctx context.Context) error
}

// allocDirHook builds the allocation's directory: the shared alloc/ with
// logs/, data/ and tmp/, and each task's local/, secrets/ and tmp/. The
// directories of a task that runs as another user are given to that user
// when the agent runs as root.
type allocDirHook struct {
	dir   *allocdir.AllocDir
	tasks []*structs.Task
}

var _ PrerunHook = (*allocDirHook)(nil)

// Name names the hook.
func (*allocDirHook) Name() string { return "alloc_dir" }

// Prerun builds the directories.
func (h *allocDirHook) Prerun(context.Context) error {
	names := make([]string, len(h.tasks))
	for i, t := range h.tasks {
		names[i] = t.Name
	}
	if err := h.dir.Build(names); err != nil {
		return err
	}
	for _, t := range h.tasks {
		if t.User != "" && os.Geteuid() == 0 {
			if err := chownTaskDir(h.dir.TaskDir(t.Name), t.User); err != nil {
				return fmt.Errorf("task %s: %w", t.Name, err)
			}
		}
	}
	return nil
}

// chownTaskDir gives a task's directories to the user it runs as.
func chownTaskDir(td *allocdir.TaskDir, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("look up user %q: %w", name, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return fmt.Errorf("user %q has a non-numeric uid/gid %s/%s", name, u.Uid, u.Gid)
	}
	for _, d := range []string{td.Dir, td.LocalDir, td.SecretsDir, td.TmpDir} {
		if err := os.Chown(d, uid, gid); err != nil {
			return fmt.Errorf("give %s to user %q: %w", d, name, err)
		}
	}
	return nil
}
